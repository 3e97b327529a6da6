package dev.jgrad.spark;

import dev.jgrad.data.Dataset;
import dev.jgrad.io.Model;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.train.Trainer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RankLoopTest {
    static final int N = 203, WIDTH = 6, CLASSES = 3;
    static final float[] X = new float[N * WIDTH], T = new float[N];

    static {
        Random r = new Random(5);
        for (int i = 0; i < N; i++) {
            int c = r.nextInt(CLASSES);
            T[i] = c;
            for (int j = 0; j < WIDTH; j++) X[i * WIDTH + j] = (float) (r.nextGaussian() + (j % CLASSES == c ? 1.5 : 0));
        }
    }

    static TrainingRecipe recipe(String optimizer, double dropout, int batch, int epochs, String norm) {
        return new TrainingRecipe(WIDTH, CLASSES, true, "16:relu,8:tanh", norm, dropout, optimizer, 0, 0, 0, "cosine",
                batch, epochs, 7, 1);
    }

    static float[] weights(RankLoop.Result r) {
        Model m = JgradModel.read(r.model(), 1);
        FloatTensor p = (FloatTensor) m.network().parameterBuffer();
        return java.util.Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.size());
    }

    static List<RankLoop.Result> train(TrainingRecipe recipe, int... sizes) throws Exception {
        List<Shard> shards = LocalRanks.split(X, T, WIDTH, sizes);
        return LocalRanks.run(sizes.length, 10_000, c -> {
            try {
                return new RankLoop(recipe, shards.get(c.rank()), N, c, null, 0).run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Test
    void oneRankIsJgradTrainBitForBit() throws Exception {
        for (String norm : List.of("none", "batch")) {
            TrainingRecipe recipe = recipe("adam", 0.2, 32, 3, norm);
            float[] ranked = weights(train(recipe, N).getFirst());
            try (Sequential net = recipe.network()) {
                Optimizer opt = recipe.newOptimizer();
                Dataset data = new Dataset("t", new FloatTensor(X.clone(), 0, Shape.of(N, WIDTH)), new FloatTensor(T.clone(), 0, Shape.of(N, 1)),
                        List.of("0", "1", "2"), null);
                Trainer.builder(net, recipe.loss()).optimizer(opt).schedule(recipe.newSchedule()).epochs(3).batchSize(32).seed(7)
                        .build().fit(data);
                FloatTensor p = (FloatTensor) net.parameterBuffer();
                assertArrayEquals(java.util.Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.size()), ranked, "norm " + norm);
            }
        }
    }

    @Test
    void ranksAgreeAndRepeatToTheBit() throws Exception {
        TrainingRecipe recipe = recipe("adam", 0.2, 32, 2, "none");
        List<RankLoop.Result> a = train(recipe, 70, 60, 73), b = train(recipe, 70, 60, 73);
        assertArrayEquals(weights(a.getFirst()), weights(b.getFirst()));
        assertEquals(3, a.size());
        for (int e = 0; e < 2; e++) {
            assertEquals(a.getFirst().epochs().get(e).loss(), a.get(2).epochs().get(e).loss(), "every rank sees the same summed loss");
            assertEquals(a.getFirst().epochs().get(e).accuracy(), a.get(2).epochs().get(e).accuracy());
        }
        assertNotEquals(0, a.get(1).times().steps());
    }

    @Test
    void splitStepEqualsOneMachineToRounding() throws Exception {
        // One SGD step on the whole data as one batch: the ranks' gradient is the one machine's,
        // summed in another association; with dropout the masks must be the same too.
        TrainingRecipe recipe = new TrainingRecipe(WIDTH, CLASSES, true, "16:relu,8:tanh", "layer", 0.3, "sgd", 0.5, 0, 0,
                "constant", N, 1, 7, 1);
        float[] one = weights(train(recipe, N).getFirst());
        float[] three = weights(train(recipe, 50, 100, 53).getFirst());
        float[] start;
        try (Sequential net = recipe.network()) {
            FloatTensor p = (FloatTensor) net.parameterBuffer();
            start = java.util.Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.size());
        }
        double moved = 0, diff = 0;
        for (int i = 0; i < one.length; i++) {
            moved = Math.max(moved, Math.abs(one[i] - start[i]));
            diff = Math.max(diff, Math.abs(one[i] - three[i]));
        }
        assertTrue(moved > 1e-3, "the step moved the weights by " + moved);
        assertTrue(diff < 1e-5 * Math.max(1, moved), "three ranks differ from one by " + diff + " after one step of " + moved);
    }

    @Test
    void batchNormOverRanksIsTheGlobalBatchsBatchNorm() throws Exception {
        // Statistics and dx of the whole batch on every rank: the weights are one machine's to
        // rounding (the sums are associated per rank), and a rerun gives the same bits. The
        // skewed split leaves the small rank with no rows of many batches.
        for (String optimizer : List.of("sgd", "adam")) {
            TrainingRecipe recipe = new TrainingRecipe(WIDTH, CLASSES, true, "16:relu,8:tanh", "batch", 0.2, optimizer, 0.05, 0, 0,
                    "cosine", 32, 2, 7, 1);
            float[] one = weights(train(recipe, N).getFirst());
            for (int[] sizes : new int[][]{{100, 103}, {190, 3, 10}}) {
                List<RankLoop.Result> split = train(recipe, sizes);
                float[] many = weights(split.getFirst());
                double worst = 0, scale = 0;
                for (int i = 0; i < one.length; i++) {
                    scale = Math.max(scale, Math.abs(one[i]));
                    worst = Math.max(worst, Math.abs(one[i] - many[i]));
                }
                String what = optimizer + " over " + java.util.Arrays.toString(sizes);
                assertTrue(worst <= 1e-5 * scale, what + ": differs from one machine by " + worst + " (weights up to " + scale + ")");
                assertArrayEquals(many, weights(train(recipe, sizes).getFirst()), what + " again");
                assertEquals(split.getFirst().epochs().getLast().loss(), split.getLast().epochs().getLast().loss());
                System.out.println("batch norm, " + what + ": max |w - w_one| = " + worst + ", max |w| = " + scale);
            }
        }
    }

    @Test
    void doubleSumsLongerThanOneChunkAddInRankOrder() throws Exception {
        int n = 40_000;   // over the 8 192 doubles of one chunk
        List<double[]> sums = LocalRanks.run(3, 10_000, "tcp", 1 << 16, c -> {
            double[] a = new double[n];
            for (int i = 0; i < n; i++) a[i] = i + 0.25 * c.rank();
            try {
                c.sum(a);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return a;
        });
        for (double[] a : sums) for (int i = 0; i < n; i += 997) assertEquals(3.0 * i + 0.75, a[i], 0.0, "element " + i);
        assertEquals(3.0 * (n - 1) + 0.75, sums.get(1)[n - 1], 0.0);
    }

    @Test
    void floatSumsOfManyChunksAddInRankOrderWhileThePassesOverlap() throws Exception {
        int n = 100_003;   // seven chunks of 16 384 floats, the last one short
        for (int ranks : new int[]{2, 3, 4}) {
            List<float[]> sums = LocalRanks.run(ranks, 10_000, "tcp", 1 << 16, c -> {
                float[] a = new float[n + 2];
                for (int i = 0; i < a.length; i++) a[i] = value(c.rank(), i);
                try {
                    c.sum(a, 1, n);   // an offset slice: the ends stay this rank's own
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return a;
            });
            for (int r = 0; r < ranks; r++) {
                float[] a = sums.get(r);
                assertEquals(value(r, 0), a[0], 0f);
                assertEquals(value(r, n + 1), a[n + 1], 0f);
                for (int i = 1; i <= n; i++) {
                    float expected = value(0, i);
                    for (int q = 1; q < ranks; q++) expected += value(q, i);   // ((r0 + r1) + r2) + …
                    if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(a[i])) {
                        throw new AssertionError(ranks + " ranks, rank " + r + ", element " + i + ": " + a[i] + " != " + expected);
                    }
                }
            }
        }
    }

    /** Values whose sum depends on the order of the additions: 1e8 + 1 rounds back to 1e8. */
    private static float value(int rank, int i) {
        return switch (rank) {
            case 0 -> 1e8f + i % 7;
            case 1 -> 1f + i % 3;
            case 2 -> -1e8f;
            default -> 0.5f * i;
        };
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"auto", "tcp"})
    void aDeadRankStopsTheOthersAtOnce(String transport) {
        TrainingRecipe recipe = recipe("adam", 0, 16, 50, "none");
        List<Shard> shards = LocalRanks.split(X, T, WIDTH, 100, 103);
        long t0 = System.nanoTime();
        Exception e = assertThrows(Exception.class, () -> LocalRanks.run(2, 30_000, transport, 1 << 16, c -> {
            if (c.rank() == 1) {
                c.close();   // rank 1 dies before its first sum
                throw new IllegalStateException("rank 1 died");
            }
            try {
                return new RankLoop(recipe, shards.get(0), N, c, null, 0).run();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 10, "took " + seconds + " s");
        assertTrue(e.getCause() != null);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"auto", "tcp"})
    void aHungRankFailsItsPeerWithinTheReadTimeout(String transport) {
        TrainingRecipe recipe = recipe("adam", 0, 16, 50, "none");
        List<Shard> shards = LocalRanks.split(X, T, WIDTH, 100, 103);
        long t0 = System.nanoTime();
        double[] failedAfter = {Double.NaN};
        Exception e = assertThrows(Exception.class, () -> LocalRanks.run(2, 1500, transport, 1 << 16, c -> {
            if (c.rank() == 1) {
                try {
                    Thread.sleep(6000);   // alive but silent
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }
            try {
                return new RankLoop(recipe, shards.get(0), N, c, null, 0).run();
            } catch (IOException | RuntimeException ex) {
                failedAfter[0] = (System.nanoTime() - t0) / 1e9;
                throw ex instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) ex;
            }
        }));
        assertTrue(failedAfter[0] >= 1.4 && failedAfter[0] < 4, "rank 0 failed after " + failedAfter[0] + " s");
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("read timeout"), String.valueOf(e.getCause()));
    }
}
