package dev.jgrad.cli;

import dev.jgrad.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile files given to every command that reads them: each ends with exit code 1 and one line
 * on standard error naming the file, never a stack trace; and in a JVM of 64 MB the files that
 * used to take gigabytes are refused all the same.
 */
class HostileFilesCliTest {
    @TempDir
    Path dir;

    private static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put(data).array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    private Path gzip(String name, byte[] head, int zeroMiB) throws IOException {
        Path f = dir.resolve(name);
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f), 1 << 16)) {
            o.write(head);
            byte[] z = new byte[1 << 20];
            for (int i = 0; i < zeroMiB; i++) o.write(z);
        }
        return f;
    }

    /** Hostile model files, by what is wrong with them. */
    private List<Path> models() throws IOException {
        List<Path> m = new ArrayList<>();
        m.add(write("nested.safetensors", safetensors("[".repeat(50_000) + "]".repeat(50_000), new byte[0])));
        String huge = "{\"input\":30000,\"layers\":[{\"type\":\"dense\",\"in\":30000,\"out\":30000,\"activation\":\"relu\"},"
                + "{\"type\":\"dense\",\"in\":30000,\"out\":30000,\"activation\":\"relu\"}],\"loss\":\"mse\"}";
        m.add(write("huge-layers.safetensors", safetensors(Json.write(Map.of("__metadata__", Map.of("jgrad", huge))), new byte[0])));
        StringBuilder same = new StringBuilder("{");
        for (int i = 0; i < 3000; i++) {
            same.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[4096],\"data_offsets\":[0,16384]}");
        }
        m.add(write("same-bytes.safetensors", safetensors(same.append('}').toString(), new byte[16384])));
        m.add(write("overflow.safetensors", safetensors(Json.write(Map.of("__metadata__", Map.of("jgrad",
                "{\"input\":1,\"layers\":[{\"type\":\"dense\",\"in\":1,\"out\":2147483647,\"activation\":\"relu\"}],\"loss\":\"mse\"}"))),
                new byte[0])));
        m.add(write("length.safetensors", new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, '{', '}'}));
        m.add(write("utf8.safetensors", safetensors("{\"\u00e9\":1}", new byte[0])));
        Files.write(m.getLast(), new byte[]{4, 0, 0, 0, 0, 0, 0, 0, '"', (byte) 0xC3, '"', ' '});
        m.add(write("empty.safetensors", new byte[0]));
        return m;
    }

    private static void oneLineNamingTheFile(CliTest.Result r, String command, Path file) {
        assertEquals(1, r.code(), command + " " + file + ": " + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.startsWith("jgrad " + command + ": "), err);
        assertTrue(err.contains(file.getFileName().toString()), err);
        assertFalse(err.contains("Exception") || err.contains("\tat ") || err.contains("Error"), err);
        assertTrue(err.length() < 500, err);
    }

    @Test
    void everyCommandRefusesHostileModelFilesInOneLine() throws IOException {
        for (Path m : models()) {
            oneLineNamingTheFile(CliTest.run("info", "--model", m.toString()), "info", m);
            oneLineNamingTheFile(CliTest.run("eval", "--model", m.toString(), "--data", "digits"), "eval", m);
            oneLineNamingTheFile(CliTest.run("predict", "--model", m.toString(), "--input", m.toString()), "predict", m);
            oneLineNamingTheFile(CliTest.run("train", "--epochs", "1", "--resume", m.toString(), "--out", dir.resolve("o.safetensors").toString()),
                    "train", m);
        }
    }

    @Test
    void everyCommandRefusesHostileDataFilesInOneLine() throws IOException {
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, CliTest.run("train", "--epochs", "1", "--out", model.toString(), "--quiet").code());
        List<Path> csv = List.of(
                write("latin1.csv", new byte[]{'a', ',', 'b', '\n', '1', ',', (byte) 0xE9, '\n'}),
                write("quote.csv", "a,b\n\"1,2\n".getBytes(StandardCharsets.US_ASCII)),
                write("newline.csv", "a,b\n\"x\ny\",1\n2,3\n".getBytes(StandardCharsets.US_ASCII)),
                gzip("long.csv.gz", "a,b\n1,".getBytes(StandardCharsets.US_ASCII), 0));
        // One long line of ones, compressed.
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(csv.getLast()))) {
            byte[] ones = new byte[1 << 20];
            java.util.Arrays.fill(ones, (byte) '1');
            for (int i = 0; i < 16; i++) o.write(ones);
        }
        for (Path f : csv) {
            oneLineNamingTheFile(CliTest.run("train", "--data", f.toString(), "--epochs", "1", "--out", dir.resolve("o.safetensors").toString()),
                    "train", f);
            oneLineNamingTheFile(CliTest.run("predict", "--model", model.toString(), "--input", f.toString()), "predict", f);
        }
        Path idx = gzip("t10k-images-idx3-ubyte.gz", new byte[]{0, 0, 8, 3, 0, 0, 0, 1}, 8);
        oneLineNamingTheFile(CliTest.run("predict", "--model", model.toString(), "--input", idx.toString()), "predict", idx);
    }

    /** {@code jgrad} in a JVM of its own with a 64 MB heap: what used to need gigabytes must fail in one line all the same. */
    private static String runSmall(Path work, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.jgrad.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        return out;
    }

    @Test
    void aSmallHeapIsEnoughToRefuseThem() throws Exception {
        List<Path> models = models();
        for (Path m : List.of(models.get(0), models.get(1), models.get(2))) {
            String out = runSmall(dir, "info", "--model", m.toString());
            assertTrue(out.contains("jgrad info: " + m), out);
            assertFalse(out.contains("OutOfMemoryError") || out.contains("StackOverflowError"), out);
        }
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, CliTest.run("train", "--epochs", "1", "--out", model.toString(), "--quiet").code());
        Path bomb = gzip("train-images-idx3-ubyte.gz", new byte[]{9, 9, 9, 9}, 192);
        String out = runSmall(dir, "predict", "--model", model.toString(), "--input", bomb.toString());
        assertTrue(out.contains("jgrad predict: " + bomb + ": bad magic number"), out);
        Path line = dir.resolve("line.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(line), 1 << 16)) {
            byte[] ones = new byte[1 << 20];
            java.util.Arrays.fill(ones, (byte) '1');
            for (int i = 0; i < 192; i++) o.write(ones);
        }
        out = runSmall(dir, "predict", "--model", model.toString(), "--input", line.toString());
        assertTrue(out.contains("jgrad predict: " + line + ": line 1: a record longer than"), out);
    }
}
