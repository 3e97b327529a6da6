package dev.jgrad.train;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The next batch gathered during a step (on a pool) changes nothing: the batches are the rows a
 * plain gather gives, and a run trains to the same bits on one, two and three threads, with a
 * fused loss and without, a short last batch, dropout and several epochs.
 */
class GatherAheadTest {

    @Test
    void batchesGatheredAheadHoldTheRowsOfAPlainGather() {
        Dataset data = random(103, 37, 3, 5);
        Batches plain = new Batches(data, 16, true, new Rng(9), DType.F32), ahead = new Batches(data, 16, true, new Rng(9), DType.F32);
        for (int epoch = 0; epoch < 2; epoch++) {
            plain.startEpoch();
            ahead.startEpoch();
            ahead.load(0);
            for (int b = 0; b < plain.count(); b++) {
                plain.load(b);
                Tensor x = ahead.features();
                float[] before = values(x);
                if (b + 1 < ahead.count()) {
                    int rows = ahead.selectNext(b + 1);
                    ahead.gatherNextFeatures(rows / 2, rows);   // in two parts, the second first
                    ahead.gatherNextFeatures(0, rows / 2);
                    // The current batch is untouched by the gather ahead.
                    assertArrayEquals(before, values(ahead.features()), "batch " + b);
                }
                assertEquals(plain.features().shape(), x.shape());
                assertArrayEquals(values(plain.features()), before, "epoch " + epoch + " batch " + b);
                assertArrayEquals(values(plain.targets()), values(ahead.targets()), "epoch " + epoch + " batch " + b);
                if (b + 1 < ahead.count()) ahead.advance();
            }
        }
        assertThrows(IllegalStateException.class, ahead::advance);
        assertThrows(IllegalStateException.class, () -> ahead.gatherNextFeatures(0, 1));
        ahead.selectNext(ahead.count() - 1);   // 7 rows
        assertThrows(IndexOutOfBoundsException.class, () -> ahead.gatherNextFeatures(0, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> ahead.selectNext(ahead.count()));
    }

    @Test
    void aRunTrainsToTheSameBitsOnOneTwoAndThreeThreads() {
        Dataset classes = random(301, 20, 4, 1);
        float[] one = train(classes, Losses.SOFTMAX_CROSS_ENTROPY, 4, Activations.SOFTMAX, 1);
        assertArrayEquals(one, train(classes, Losses.SOFTMAX_CROSS_ENTROPY, 4, Activations.SOFTMAX, 2));
        assertArrayEquals(one, train(classes, Losses.SOFTMAX_CROSS_ENTROPY, 4, Activations.SOFTMAX, 3));
        Dataset regression = regression(257, 11);
        float[] mse = train(regression, Losses.MSE, 2, Activations.IDENTITY, 1);
        assertArrayEquals(mse, train(regression, Losses.MSE, 2, Activations.IDENTITY, 2));
    }

    @Test
    void theStepGivesTheSameBitsAsForwardThenBackwardAndRunsEveryTaskAlongside() {
        Dataset data = random(64, 12, 3, 2);
        Tensor x = data.features(), t = data.targets();
        try (Sequential plain = net(12, 3, Activations.SOFTMAX, 2); Sequential step = net(12, 3, Activations.SOFTMAX, 2)) {
            plain.zeroGrad();
            step.zeroGrad();
            plain.forward(x, Losses.SOFTMAX_CROSS_ENTROPY);
            double v = plain.backward(Losses.SOFTMAX_CROSS_ENTROPY, t);
            AtomicInteger ran = new AtomicInteger();
            boolean[] seen = new boolean[5];
            double w = step.forwardBackward(x, Losses.SOFTMAX_CROSS_ENTROPY, t, i -> {
                seen[i] = true;
                ran.incrementAndGet();
            }, 5);
            assertEquals(v, w);
            assertEquals(5, ran.get());
            for (boolean s : seen) assertEquals(true, s);
            assertArrayEquals(values(plain.gradientBuffer()), values(step.gradientBuffer()));
            // A bad target fails the step as forward then backward would, after the tasks alongside ran.
            Tensor bad = t.copy();
            bad.set(3, 7);
            ran.set(0);
            assertThrows(IllegalArgumentException.class, () -> step.forwardBackward(x, Losses.SOFTMAX_CROSS_ENTROPY, bad,
                    i -> ran.incrementAndGet(), 5));
            assertEquals(5, ran.get());
        }
    }

    private static float[] train(Dataset data, Loss loss, int outputs, dev.jgrad.nn.Activation last, int threads) {
        try (Sequential net = net(data.featureCount(), outputs, last, threads)) {
            Trainer.builder(net, loss).optimizer(new Adam(1e-2)).epochs(3).batchSize(32).seed(4).clipNorm(1)
                    .build().fit(data);
            return values(net.parameterBuffer());
        }
    }

    private static Sequential net(int inputs, int outputs, dev.jgrad.nn.Activation last, int threads) {
        return Sequential.builder(inputs).seed(3).threads(threads).dense(64, Activations.RELU).dropout(0.1)
                .dense(32, Activations.TANH).dense(outputs, last).build();
    }

    private static Dataset random(int n, int d, int classes, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n * d], t = new float[n];
        for (int i = 0; i < f.length; i++) f[i] = r.nextFloat();
        for (int i = 0; i < n; i++) t[i] = r.nextInt(classes);
        List<String> names = new java.util.ArrayList<>();
        for (int c = 0; c < classes; c++) names.add("c" + c);
        return new Dataset("random", new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, 1)), names, null);
    }

    private static Dataset regression(int n, int d) {
        Random r = new Random(7);
        float[] f = new float[n * d], t = new float[n * 2];
        for (int i = 0; i < f.length; i++) f[i] = (float) r.nextGaussian();
        for (int i = 0; i < t.length; i++) t[i] = (float) r.nextGaussian();
        return new Dataset("regression", new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, 2)),
                List.of(), null);
    }

    private static float[] values(Tensor t) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) t.get(i);
        return v;
    }
}
