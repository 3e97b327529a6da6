package dev.jgrad.train;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A batch gathered over a pool holds the same rows as one gathered on one thread. */
class BatchGatherTest {

    @Test
    void rowsSplitOverThePoolMatchAGatherOnOneThread() {
        int n = 103, d = 37;
        Random r = new Random(5);
        float[] f = new float[n * d], t = new float[n];
        for (int i = 0; i < f.length; i++) f[i] = r.nextFloat();
        for (int i = 0; i < n; i++) t[i] = r.nextInt(3);
        Dataset data = new Dataset("random", new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, 1)),
                List.of("a", "b", "c"), null);
        for (DType dtype : DType.values()) {
            Batches one = new Batches(data, 16, true, new Rng(9), dtype), pooled = new Batches(data, 16, true, new Rng(9), dtype);
            try (Parallel three = Parallel.create(3)) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    one.startEpoch();
                    pooled.startEpoch();
                    for (int b = 0; b < one.count(); b++) {   // six of 16 rows, then one of 7
                        one.load(b);
                        BatchGather.load(pooled, b, three);
                        assertEquals(one.features().shape(), pooled.features().shape());
                        assertArrayEquals(values(one.features()), values(pooled.features()), dtype + " batch " + b);
                        assertArrayEquals(values(one.targets()), values(pooled.targets()), dtype + " batch " + b);
                    }
                }
            }
        }
    }

    @Test
    void rowsOutsideTheSelectedBatchAreRefused() {
        Dataset data = new Dataset("tiny", new FloatTensor(new float[10], 0, Shape.of(5, 2)),
                new FloatTensor(new float[5], 0, Shape.of(5, 1)), List.of("a", "b"), null);
        Batches b = new Batches(data, 4, false, new Rng(1), DType.F32);
        assertEquals(1, b.select(1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.gatherFeatures(0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> b.select(2));
    }

    private static double[] values(Tensor t) {
        double[] v = new double[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = t.get(i);
        return v;
    }
}
