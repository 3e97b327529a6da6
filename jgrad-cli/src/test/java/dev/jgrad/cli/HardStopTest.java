package dev.jgrad.cli;

import dev.jgrad.io.CheckpointFile;
import dev.jgrad.io.ModelFile;
import dev.jgrad.io.SafeTensors;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hard stops lose nothing. {@code jgrad train} with checkpoints is killed with SIGKILL at random
 * moments, some of them while a checkpoint or the model file is being written; after each kill
 * whatever stands under a final name is whole, the newest checkpoint loads, and {@code --resume}
 * ends with the very bits of an uninterrupted run. A full disk while writing leaves the previous
 * file intact and says so in one line.
 */
class HardStopTest {
    @TempDir
    Path dir;

    private static final List<String> TRAIN = List.of("train", "--epochs", "8", "--layers", "48:relu,24:tanh",
            "--dropout", "0.1", "--batch", "32", "--seed", "5", "--threads", "1", "--quiet");

    /**
     * Runs until this many were killed (some end before their kill comes) and one kill landed while
     * a file was being written (on a busy machine a write can end before its kill arrives), at most
     * {@link #MAX_RUNS}.
     */
    private static final int KILLS = 22, MAX_RUNS = 60;

    /** {@code jgrad train} in a JVM of its own, on the scalar kernels (no JIT warm-up to wait for). */
    private static ProcessBuilder jgrad(Path work, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Djgrad.kernels=scalar", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.jgrad.cli.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("log.txt").toFile());
    }

    private static List<String> args(Path work, String... more) {
        List<String> a = new ArrayList<>(TRAIN);
        a.addAll(List.of("--checkpoint-dir", work.resolve("ck").toString(), "--out", work.resolve("model.safetensors").toString()));
        a.addAll(List.of(more));
        return a;
    }

    private static int runToEnd(Path work, List<String> args) throws Exception {
        Process p = jgrad(work, args).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "train finished");
        return p.exitValue();
    }

    @Test
    void killedAtRandomMomentsItResumesToTheSameBits() throws Exception {
        Path ref = Files.createDirectories(dir.resolve("reference"));
        long t0 = System.nanoTime();
        assertEquals(0, runToEnd(ref, args(ref)), Files.readString(ref.resolve("log.txt")));
        long fullMillis = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Tensor> expected = SafeTensors.read(ref.resolve("model.safetensors")).tensors();

        Random r = new Random(2026);
        int kills = 0, duringWrite = 0, resumed = 0;
        int runs = 0;
        for (int i = 0; (kills < KILLS || duringWrite == 0) && i < MAX_RUNS; i++, runs++) {
            Path work = Files.createDirectories(dir.resolve("run" + i));
            Process p = jgrad(work, args(work)).start();
            // A third of the kills at any moment (often before the first checkpoint), a third at a
            // random moment after it, a third the instant a file starts being written.
            switch (i % 3) {
                case 0 -> p.waitFor(100 + r.nextInt((int) Math.max(1, fullMillis * 3 / 4)), TimeUnit.MILLISECONDS);
                case 1 -> {
                    Path first = work.resolve("ck").resolve(CheckpointFile.FILE);
                    while (p.isAlive() && !Files.exists(first)) Thread.sleep(5);
                    p.waitFor(r.nextInt((int) Math.max(1, fullMillis / 4)), TimeUnit.MILLISECONDS);
                }
                default -> waitForATemporaryFile(work, p, r.nextInt(4));
            }
            if (p.isAlive()) {
                p.destroyForcibly();   // SIGKILL
                p.waitFor(30, TimeUnit.SECONDS);
                kills++;
            }
            if (hasTemporaryFile(work)) duringWrite++;
            // Under its final name a file is whole or absent.
            Path ck = work.resolve("ck").resolve(CheckpointFile.FILE), model = work.resolve("model.safetensors");
            if (Files.exists(model)) ModelFile.load(model);
            List<String> again = args(work);
            if (Files.exists(ck)) {
                ModelFile.load(ck);
                again = args(work, "--resume", ck.toString());
                resumed++;
            }
            assertEquals(0, runToEnd(work, again), Files.readString(work.resolve("log.txt")));
            Map<String, Tensor> got = SafeTensors.read(model).tensors();
            assertEquals(expected.keySet(), got.keySet());
            for (String name : expected.keySet()) {
                assertArrayEquals(expected.get(name).toDoubleArray(), got.get(name).toDoubleArray(), "run " + i + ": " + name);
            }
        }
        System.out.printf("hard stops: %d kills (%d while a file was being written), %d resumed from a checkpoint, "
                + "all %d runs ended with the reference's bits (uninterrupted run %d ms)%n", kills, duringWrite, resumed, runs, fullMillis);
        assertTrue(kills >= 20, "killed " + kills + " times in " + runs + " runs");
        assertTrue(duringWrite >= 1, "no kill landed while a file was being written");
        assertTrue(resumed >= 12, "resumed " + resumed + " times");
    }

    /** Waits until the n-th temporary file appears in the checkpoint directory or beside the model (or the process ends). */
    private static void waitForATemporaryFile(Path work, Process p, int skip) throws IOException, InterruptedException {
        Path ck = Files.createDirectories(work.resolve("ck"));
        try (WatchService ws = FileSystems.getDefault().newWatchService()) {
            ck.register(ws, StandardWatchEventKinds.ENTRY_CREATE);
            work.register(ws, StandardWatchEventKinds.ENTRY_CREATE);
            int seen = 0;
            while (p.isAlive()) {
                var key = ws.poll(20, TimeUnit.MILLISECONDS);
                if (key == null) continue;
                for (var e : key.pollEvents()) {
                    if (e.context().toString().endsWith(".tmp") && seen++ >= skip) return;
                }
                key.reset();
            }
        }
    }

    private static boolean hasTemporaryFile(Path work) throws IOException {
        try (Stream<Path> s = Files.walk(work)) {
            return s.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
        }
    }

    @Test
    void aFullDiskLeavesThePreviousModelIntact() throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "mounting a small tmpfs needs root (CI runs as root)");
        try {
            Path model = mnt.resolve("model.safetensors");
            CliTest.Result first = CliTest.run("train", "--epochs", "1", "--layers", "8:relu", "--out", model.toString(), "--quiet");
            assertEquals(0, first.code(), first.err());
            byte[] before = Files.readAllBytes(model);
            // Fill the disk, then try to replace the model with a larger one.
            Files.write(mnt.resolve("filler"), new byte[(int) (Files.getFileStore(mnt).getUsableSpace() - 4096)]);
            CliTest.Result second = CliTest.run("train", "--epochs", "1", "--layers", "256:relu", "--out", model.toString(),
                    "--quiet");
            assertEquals(1, second.code(), second.out() + second.err());
            String err = second.err().strip();
            assertEquals(1, err.lines().count(), "one line: " + err);
            assertTrue(err.contains(model.toString()) && err.toLowerCase().contains("space"), err);
            assertArrayEquals(before, Files.readAllBytes(model), "the previous model is intact");
            try (Stream<Path> s = Files.list(mnt)) {
                assertEquals(List.of("filler", "model.safetensors"), s.map(f -> f.getFileName().toString()).sorted().toList(),
                        "no temporary file is left behind");
            }
        } finally {
            new ProcessBuilder("umount", mnt.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
