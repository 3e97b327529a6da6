package dev.jgrad.io;

import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-made hostile safetensors and model files: each is refused with {@link InvalidModelException}
 * naming the file and what is wrong, before anything the size of its promises is allocated.
 */
class HostileModelFilesTest {
    @TempDir
    Path dir;

    /** A safetensors file from a header (JSON text, padded as any writer may) and data bytes. */
    static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(data).array();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    private static String refused(Path f) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelFile.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        return e.getMessage();
    }

    private static String refusedTensors(Path f) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        return e.getMessage();
    }

    /** A model file whose description is {@code jgrad} and whose tensors are none. */
    private Path described(String name, String jgrad) throws IOException {
        String meta = Json.write(Map.of("__metadata__", Map.of("jgrad", jgrad)));
        return file(name, safetensors(meta, new byte[0]));
    }

    @Test
    void twoHugeLayersAndNoTensorsFailFastWithoutAllocating() throws IOException {
        Path f = described("huge.safetensors", "{\"input\":30000,\"layers\":[{\"type\":\"dense\",\"in\":30000,\"out\":30000,"
                + "\"activation\":\"relu\"},{\"type\":\"dense\",\"in\":30000,\"out\":30000,\"activation\":\"relu\"}],\"loss\":\"mse\"}");
        assertTrue(Files.size(f) < 300, "a file of " + Files.size(f) + " bytes");
        String m = refused(f);
        assertTrue(m.contains("the architecture needs 1800060000 parameters, the file holds 0 values"), m);
        long bytes = HeapMeter.allocatedBy(() -> ModelFile.load(f));
        assertTrue(bytes < 4_000_000, bytes + " bytes allocated to refuse a 250-byte file");
    }

    @Test
    void layerSizesThatOverflowAnIntAreNamed() throws IOException {
        Path f = described("wide.safetensors", "{\"input\":65536,\"layers\":[{\"type\":\"dense\",\"in\":65536,\"out\":65536,"
                + "\"activation\":\"relu\"}],\"loss\":\"mse\"}");
        String m = refused(f);
        assertTrue(m.contains("layer 0: dense layer 65536 → 65536 has 4295032832 parameters, more than a network holds"), m);
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(2).dense(Integer.MAX_VALUE, dev.jgrad.nn.Activations.RELU));
    }

    @Test
    void everyDescriptionFieldIsChecked() throws IOException {
        String layer = "{\"type\":\"dense\",\"in\":2,\"out\":3,\"activation\":\"softmax\"}";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"layers\":[" + layer + "],\"loss\":\"mse\"}", "field 'input' is missing");
        cases.put("{\"input\":-2,\"layers\":[" + layer + "],\"loss\":\"mse\"}", "field 'input' is -2, outside [1, 2147483647]");
        cases.put("{\"input\":2.5,\"layers\":[" + layer + "],\"loss\":\"mse\"}", "field 'input' is 2.5, not a whole number");
        cases.put("{\"input\":2,\"layers\":[],\"loss\":\"mse\"}", "field 'layers' has 0 entries");
        cases.put("{\"input\":2,\"layers\":[7],\"loss\":\"mse\"}", "field 'layers[0]' is not an object");
        cases.put("{\"input\":2,\"layers\":[{\"type\":\"conv9\"}],\"loss\":\"mse\"}", "layer 0: unknown layer type 'conv9'");
        cases.put("{\"input\":2,\"layers\":[{\"in\":2}],\"loss\":\"mse\"}", "field 'layers[0].type' is missing");
        cases.put("{\"input\":2,\"layers\":[{\"type\":\"dense\",\"in\":2,\"out\":3,\"activation\":\"swishy\"}],\"loss\":\"mse\"}",
                "layer 0: dense layer: 'activation' unknown activation 'swishy'");
        cases.put("{\"input\":2,\"layers\":[{\"type\":\"dense\",\"in\":5,\"out\":3,\"activation\":\"relu\"}],\"loss\":\"mse\"}",
                "layer 0: dense layer takes [B, 5] but the layer before it gives [B, 2]");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"hinge9\"}", "field 'loss' unknown loss");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\",\"classes\":[\"a\",1,\"c\"]}", "field 'classes[1]' is not a string");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\",\"classes\":[\"a\",\"b\"]}",
                "field 'classes' names 2 classes, the network has 3 outputs");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\",\"normalizer\":{\"kind\":\"minmax\",\"offset\":[0],\"scale\":[1,1]}}",
                "field 'normalizer.offset' has 1 values, the network takes 2 features");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\",\"normalizer\":{\"kind\":\"minmax\",\"offset\":[0,\"x\"],\"scale\":[1,1]}}",
                "field 'normalizer.offset[1]' is x, not a finite number");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\",\"normalizer\":{\"kind\":\"zscore\",\"offset\":[0,0],\"scale\":[1,1]}}",
                "field 'normalizer.kind' unknown normalisation 'zscore'");
        cases.put("{\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\",\"image_shape\":[3,3]}", "field 'image_shape' is [3, 3]");
        cases.put("{\"format\":2,\"input\":2,\"layers\":[" + layer + "],\"loss\":\"mse\"}", "field 'format' is 2, this version reads format 1");
        cases.put("[1]", "expected a JSON object");
        cases.put("{\"input\":2,\"input\":3}", "duplicate key at character");
        int i = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            // Valid tensors for the valid layer, so that only the description is at fault.
            Map<String, Tensor> t = Map.of("layers.0.weight", Tensor.zeros(DType.F32, 3, 2), "layers.0.bias", Tensor.zeros(DType.F32, 3));
            Path f = dir.resolve("d" + i++ + ".safetensors");
            SafeTensors.write(f, t, Map.of("jgrad", c.getKey()));
            String m = refused(f);
            assertTrue(m.contains(c.getValue()), c.getKey() + " → " + m);
        }
    }

    @Test
    void headerLengthIsCheckedAgainstTheFile() throws IOException {
        for (long n : new long[]{0, -1, 1L << 40, 200, SafeTensors.MAX_HEADER + 1}) {
            byte[] b = ByteBuffer.allocate(100).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
            String m = refusedTensors(file("h.safetensors", b));
            assertTrue(m.contains("header length " + n + " does not fit a file of 100 bytes"), m);
        }
        assertTrue(refusedTensors(file("s.safetensors", new byte[7])).contains("too short"));
        assertTrue(refusedTensors(file("j.safetensors", safetensors("{\"a\":", new byte[0]))).contains("the header is not valid JSON"));
        assertTrue(refusedTensors(file("u.safetensors", safetensors("{\"\u00ff\":1}", new byte[0])).toFile().toPath() /* valid UTF-8 */)
                .contains("entry is not an object"));
        byte[] bad = safetensors("{\"x\":{}}", new byte[0]);
        bad[11] = (byte) 0xC3;    // a lead byte with no continuation
        assertTrue(refusedTensors(file("b.safetensors", bad)).contains("invalid UTF-8 at byte 3"));
    }

    @Test
    void entriesAreCheckedAndMustTileTheData() throws IOException {
        byte[] data = new byte[24];
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"a\":{\"dtype\":\"BF16\",\"shape\":[12],\"data_offsets\":[0,24]}}", "tensor 'a' has dtype BF16 (F32 or F64 expected)");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,24]}}", "tensor 'a' [5] F32 needs 20 bytes, its offsets span 24");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[24,0]}}", "end before they begin");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24,3]}}", "data_offsets has 3 values, 2 expected");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[-6],\"data_offsets\":[0,24]}}", "shape[0] is -6, not a whole number ≥ 0");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,28]}}", "truncated: tensor 'a' ends at byte 28");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24],\"extra\":1}}", "unknown field 'extra'");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "8 bytes after the last tensor");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", "a gap of 8 bytes before tensor 'a'");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                "tensor 'b' (bytes 8..24) overlaps the tensor before it, which ends at 16");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647,4],\"data_offsets\":[0,24]}}",
                "has more elements than 64 bits count");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,24]}}", "more than one tensor can");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4294967296],\"data_offsets\":[0,24]}}", "more than one tensor can");
        cases.put("{\"__metadata__\":{\"k\":1}}", "metadata value 'k' is not a string");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String m = refusedTensors(file("e.safetensors", safetensors(c.getKey(), data)));
            assertTrue(m.contains(c.getValue()), c.getKey() + " → " + m);
        }
        // Entries listed out of offset order are fine as long as their spans tile the data.
        byte[] ok = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putDouble(3).putDouble(4).array();
        Path f = file("ok.safetensors", safetensors("{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[8,24]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", ok));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(List.of("d", "f", "z"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new double[]{3, 4}, c.tensors().get("d").toDoubleArray());
        assertArrayEquals(new double[]{1, 2}, c.tensors().get("f").toDoubleArray());
    }

    @Test
    void thousandsOfEntriesOnTheSameBytesAreRefusedBeforeAnyCopy() throws IOException {
        int n = 20_000, floats = 16_384;
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            if (i > 0) h.append(',');
            h.append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[").append(floats).append("],\"data_offsets\":[0,")
                    .append(floats * 4).append("]}");
        }
        Path f = file("same.safetensors", safetensors(h.append('}').toString(), new byte[floats * 4]));
        String m = refusedTensors(f);
        assertTrue(m.contains("overlaps the tensor before it"), m);
        long bytes = HeapMeter.allocatedBy(() -> SafeTensors.read(f));
        // Copying every entry would take 20,000 × 64 KiB = 1.3 GB; parsing the 1.3 MB header takes tens of MB.
        assertTrue(bytes < 100_000_000L, bytes + " bytes allocated");
    }

    /**
     * A file over 2 GiB (sparse: its tensors are mostly holes) opens mapped, and a tensor beyond
     * the 2 GiB mark is read without the rest being copied.
     */
    @Test
    void filesOver2GiBAreMappedNotCopied() throws IOException {
        int count = 33, floats = 1 << 24;     // 33 × 64 MiB = 2.06 GiB of data
        Map<String, Object> header = new LinkedHashMap<>();
        long at = 0;
        for (int i = 0; i < count; i++) {
            header.put("t" + i, Map.of("dtype", "F32", "shape", List.of((long) floats), "data_offsets", List.of(at, at + 4L * floats)));
            at += 4L * floats;
        }
        header.put("small", Map.of("dtype", "F32", "shape", List.of(3L), "data_offsets", List.of(at, at + 12)));
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        Path f = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.setLength(8 + h.length + at + 12);
            raf.seek(8 + h.length + at);
            raf.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2).putFloat(7).array());
            raf.seek(8 + h.length + at - 4);
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(9).array());
        }
        assertTrue(Files.size(f) > (2L << 30));
        long[] heap = new long[1];
        heap[0] = HeapMeter.allocatedBy(() -> {
            try (SafeTensors.Mapped m = SafeTensors.open(f)) {
                assertEquals(count + 1, m.entries().size());
                assertArrayEquals(new double[]{1.5, -2, 7}, m.tensor("small").toDoubleArray());
                Tensor last = Tensor.zeros(DType.F32, floats);
                m.copyInto("t" + (count - 1), last);
                assertEquals(9, last.get(floats - 1));
                assertEquals(0, last.get(0));
            }
        });
        // One 64 MiB tensor was asked for; the file's other 2 GiB were not copied.
        assertTrue(heap[0] < 80L << 20, heap[0] + " bytes allocated");
    }
}
