package dev.jgrad.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short fixed-seed fuzzing run in every build: each file of the committed corpus (the seeds
 * and every crash the fuzzers ever found) is read as it is and after {@value #MUTATIONS} seeded
 * mutations of the kinds that break readers (bit flips, boundary bytes and integers, cut,
 * repeated and deleted spans, long digit runs), and each reader must meet
 * {@link ReaderTargets}'s contract on all of them. Deterministic: the same inputs every run.
 */
class ReaderMutationTest {
    static final int MUTATIONS = 250;
    private static final byte[] BOUNDARY = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, '"', '\\', '[', ']', '{', '}', ',', ':', '\n', '\r',
            '-', '0', '9', 'e', '.', (byte) 0xc3, (byte) 0xed, (byte) 0x1f, (byte) 0x8b};
    private static final long[] INTEGERS = {0, 1, -1, 127, 128, 255, 256, 65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE,
            0x7ffffff8L, 1L << 31, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 100_000_000, 30000};

    private static void run(String target, Consumer<byte[]> read) throws IOException {
        Path dir = Path.of("src/test/resources/dev/jgrad/fuzz/ReadersFuzzTestInputs").resolve(target);
        List<Path> seeds;
        try (Stream<Path> s = Files.list(dir)) {
            seeds = s.sorted().toList();
        }
        assertTrue(seeds.size() >= 2, target + ": a corpus of " + seeds.size());
        for (Path seed : seeds) {
            byte[] original = Files.readAllBytes(seed);
            Random r = new Random(seed.getFileName().toString().hashCode() ^ 2026);
            read.accept(original);
            for (int i = 0; i < MUTATIONS; i++) {
                byte[] m = mutate(original, r);
                try {
                    read.accept(m);
                } catch (AssertionError e) {
                    throw new AssertionError(target + ", mutation " + i + " of " + seed.getFileName() + ": " + e.getMessage(), e);
                }
            }
        }
    }

    static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
            if (b.length == 0) return new byte[]{BOUNDARY[r.nextInt(BOUNDARY.length)]};
            int at = r.nextInt(b.length);
            switch (r.nextInt(8)) {
                case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[at] = BOUNDARY[r.nextInt(BOUNDARY.length)];
                case 2 -> b = java.util.Arrays.copyOf(b, at);
                case 3 -> {      // delete a span
                    int len = Math.min(b.length - at, 1 + r.nextInt(16));
                    byte[] o = new byte[b.length - len];
                    System.arraycopy(b, 0, o, 0, at);
                    System.arraycopy(b, at + len, o, at, b.length - at - len);
                    b = o;
                }
                case 4 -> {      // repeat a span
                    int len = Math.min(b.length - at, 1 + r.nextInt(32));
                    byte[] o = new byte[b.length + len];
                    System.arraycopy(b, 0, o, 0, at + len);
                    System.arraycopy(b, at, o, at + len, b.length - at);
                    b = o;
                }
                case 5 -> {      // an integer, little- or big-endian, over 4 or 8 bytes
                    long v = INTEGERS[r.nextInt(INTEGERS.length)];
                    int width = r.nextBoolean() ? 4 : 8;
                    boolean little = r.nextBoolean();
                    for (int k = 0; k < width && at + k < b.length; k++) {
                        b[at + k] = (byte) (little ? v >>> (8 * k) : v >>> (8 * (width - 1 - k)));
                    }
                }
                case 6 -> {      // a digit run where a digit was: sizes and offsets in text headers
                    int d = indexOfDigit(b, at);
                    if (d >= 0) {
                        byte[] digits = (r.nextBoolean() ? "99999999999" : Long.toString(INTEGERS[r.nextInt(INTEGERS.length)]))
                                .getBytes(StandardCharsets.US_ASCII);
                        byte[] o = new byte[b.length + digits.length - 1];
                        System.arraycopy(b, 0, o, 0, d);
                        System.arraycopy(digits, 0, o, d, digits.length);
                        System.arraycopy(b, d + 1, o, d + digits.length, b.length - d - 1);
                        b = o;
                    }
                }
                default -> {     // insert a boundary byte
                    byte[] o = new byte[b.length + 1];
                    System.arraycopy(b, 0, o, 0, at);
                    o[at] = BOUNDARY[r.nextInt(BOUNDARY.length)];
                    System.arraycopy(b, at, o, at + 1, b.length - at);
                    b = o;
                }
            }
        }
        return b;
    }

    private static int indexOfDigit(byte[] b, int from) {
        for (int i = 0; i < b.length; i++) {
            int k = (from + i) % b.length;
            if (b[k] >= '0' && b[k] <= '9') return k;
        }
        return -1;
    }

    @Test
    void json() throws IOException {
        run("json", ReaderTargets::json);
    }

    @Test
    void modelFile() throws IOException {
        run("modelFile", ReaderTargets::modelFile);
    }

    @Test
    void checkpoint() throws IOException {
        run("checkpoint", ReaderTargets::checkpoint);
    }

    @Test
    void idx() throws IOException {
        run("idx", ReaderTargets::idx);
    }

    @Test
    void csv() throws IOException {
        run("csv", ReaderTargets::csv);
    }
}
