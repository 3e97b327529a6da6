package dev.jgrad.spark;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedMemorySumTest {
    /** Slots of this many floats: the longest length below is summed in three pieces. */
    static final int CAPACITY = 40_000;
    /** Lengths: shorter than the ranks, odd, one slot exactly, and several slots. */
    static final int[] LENGTHS = {0, 1, 2, 3, 7, 1001, CAPACITY, 100_003};

    /** Values whose sum depends on the order of the additions: 1e8 + 1 rounds back to 1e8. */
    static float value(int rank, int i) {
        return switch (rank) {
            case 0 -> 1e8f + i % 7;
            case 1 -> 1f + i % 3;
            case 2 -> -1e8f;
            default -> 0.5f * i - rank;
        };
    }

    static double doubleValue(int rank, int i) {
        return switch (rank) {
            case 0 -> 1e17 + i % 5;
            case 1 -> 3.0 + i % 11;
            case 2 -> -1e17;
            default -> 0.25 * i + rank;
        };
    }

    /** Every length of {@link #LENGTHS} summed in turn, each at offset 3 in a larger array, then a double sum. */
    static List<Object> sums(Collective c) {
        List<Object> out = new ArrayList<>();
        try {
            for (int len : LENGTHS) {
                float[] a = new float[len + 5];
                for (int i = 0; i < a.length; i++) a[i] = value(c.rank(), i);
                c.sum(a, 3, len);
                out.add(a);
            }
            double[] d = new double[20_001];   // over the 8 192 doubles of one TCP chunk
            for (int i = 0; i < d.length; i++) d[i] = doubleValue(c.rank(), i);
            c.sum(d);
            out.add(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Test
    void sumsHaveTheBitsOfTheTcpRingInRankOrder() throws Exception {
        for (int ranks = 2; ranks <= 4; ranks++) {
            List<List<Object>> shm = LocalRanks.run(ranks, 10_000, "auto", CAPACITY, c -> {
                assertInstanceOf(SharedMemorySum.class, c);
                return sums(c);
            });
            List<List<Object>> tcp = LocalRanks.run(ranks, 10_000, "tcp", CAPACITY, c -> {
                assertInstanceOf(TcpChain.class, c);
                return sums(c);
            });
            for (int r = 0; r < ranks; r++) {
                for (int k = 0; k < LENGTHS.length; k++) {
                    float[] a = (float[]) shm.get(r).get(k), b = (float[]) tcp.get(r).get(k);
                    int len = LENGTHS[k];
                    for (int i = 0; i < a.length; i++) {
                        float expected = value(r, i);
                        if (i >= 3 && i < 3 + len) {
                            expected = value(0, i);
                            for (int q = 1; q < ranks; q++) expected += value(q, i);   // ((r0 + r1) + r2) + …
                        }
                        String where = ranks + " ranks, rank " + r + ", length " + len + ", element " + i;
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(a[i]), where + " (shared memory)");
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(b[i]), where + " (TCP)");
                    }
                }
                double[] a = (double[]) shm.get(r).getLast(), b = (double[]) tcp.get(r).getLast();
                for (int i = 0; i < a.length; i++) {
                    double expected = doubleValue(0, i);
                    for (int q = 1; q < ranks; q++) expected += doubleValue(q, i);
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(a[i]), ranks + " ranks, double " + i);
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(b[i]), ranks + " ranks, double " + i);
                }
            }
        }
    }

    @Test
    void manyConsecutiveSumsReuseTheBarriers() throws Exception {
        int rounds = 3000;
        List<long[]> bad = LocalRanks.run(3, 10_000, "auto", 1024, c -> {
            long[] wrong = {0, -1};
            float[] a = new float[17];
            try {
                for (int s = 0; s < rounds; s++) {
                    for (int i = 0; i < a.length; i++) a[i] = s * 100 + i * 3 + c.rank();
                    c.sum(a, 0, a.length);
                    for (int i = 0; i < a.length; i++) {
                        if (a[i] != 3f * (s * 100 + i * 3) + 3) {
                            wrong[0]++;
                            wrong[1] = s;
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return wrong;
        });
        for (long[] w : bad) assertEquals(0, w[0], "wrong sums, the last in round " + w[1]);
    }

    @Test
    void theFileIsGoneOnceMappedAndTheSumsGoOn() throws Exception {
        List<Path> files = LocalRanks.run(2, 10_000, "auto", CAPACITY, c -> {
            Path f = ((SharedMemorySum) c).file;
            assertTrue(f.getFileName().toString().matches("jgrad-sum-[0-9a-f]{32}"), f.toString());
            sums(c);   // rank 0 deletes the file before its first sum, so it is gone by the end of everyone's first
            assertFalse(Files.exists(f), f + " still exists");
            return f;
        });
        assertEquals(files.get(0), files.get(1));
        assertFalse(Files.exists(files.get(0)));
    }

    @Test
    void theSystemPropertyForcesTcp() throws Exception {
        String before = System.getProperty(SharedMemorySum.TRANSPORT_PROPERTY);
        System.setProperty(SharedMemorySum.TRANSPORT_PROPERTY, "tcp");
        try {
            List<Boolean> tcp = LocalRanks.run(2, 10_000, "auto", CAPACITY, c -> c instanceof TcpChain);
            assertEquals(List.of(true, true), tcp);
        } finally {
            if (before == null) System.clearProperty(SharedMemorySum.TRANSPORT_PROPERTY);
            else System.setProperty(SharedMemorySum.TRANSPORT_PROPERTY, before);
        }
    }

    /** A rank that does a few sums and then stops: by closing ({@code close}) or by its sockets dying with it. */
    private static void aRankStopsMidRun(boolean close) {
        long t0 = System.nanoTime();
        double[] failedAfter = {Double.NaN};
        Exception e = assertThrows(Exception.class, () -> LocalRanks.run(3, 30_000, "auto", CAPACITY, c -> {
            float[] a = new float[CAPACITY + 11];
            try {
                for (int s = 0; ; s++) {
                    if (c.rank() == 1 && s == 50) {
                        if (close) {
                            c.close();
                        } else {
                            // What the kernel does for a process that dies: its sockets close, its
                            // mapping stays unmarked.
                            Field f = SharedMemorySum.class.getDeclaredField("tcp");
                            f.setAccessible(true);
                            ((TcpChain) f.get(c)).close();
                            Thread.sleep(3000);
                        }
                        throw new IllegalStateException("rank 1 stopped");
                    }
                    c.sum(a, 0, a.length);
                }
            } catch (IOException ex) {
                failedAfter[0] = Math.max(Double.isNaN(failedAfter[0]) ? 0 : failedAfter[0], (System.nanoTime() - t0) / 1e9);
                throw new UncheckedIOException(ex);
            } catch (ReflectiveOperationException | InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        }));
        assertTrue(failedAfter[0] < 2.5, "the others failed after " + failedAfter[0] + " s");
        assertTrue(e.getCause() != null, String.valueOf(e));
    }

    @Test
    void aRankThatClosesMidRunStopsTheOthersAtOnce() {
        aRankStopsMidRun(true);
    }

    @Test
    void aRankWhoseSocketsDieStopsTheOthersAtOnce() {
        aRankStopsMidRun(false);
    }

    @Test
    void aHungRankFailsThePeersWithinTheReadTimeout() {
        long t0 = System.nanoTime();
        double[] failedAfter = {Double.NaN};
        Exception e = assertThrows(Exception.class, () -> LocalRanks.run(2, 1500, "auto", CAPACITY, c -> {
            try {
                if (c.rank() == 1) {
                    Thread.sleep(6000);   // alive, its sockets open, but silent
                    return null;
                }
                float[] a = new float[100];
                c.sum(a, 0, a.length);
                return null;
            } catch (IOException ex) {
                failedAfter[0] = (System.nanoTime() - t0) / 1e9;
                throw new UncheckedIOException(ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return null;
            }
        }));
        assertTrue(failedAfter[0] >= 1.4 && failedAfter[0] < 4, "rank 0 failed after " + failedAfter[0] + " s");
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("read timeout"), String.valueOf(e.getCause()));
    }

    @Test
    void ranksOutOfStepFail() {
        Exception e = assertThrows(Exception.class, () -> LocalRanks.run(2, 5000, "auto", CAPACITY, c -> {
            try {
                if (c.rank() == 0) c.sum(new float[10], 0, 10);
                else c.sum(new float[12], 0, 12);
                return null;
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }));
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("out of step"), String.valueOf(e.getCause()));
    }
}
