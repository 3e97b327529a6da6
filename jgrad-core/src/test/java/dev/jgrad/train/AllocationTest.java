package dev.jgrad.train;

import com.sun.management.ThreadMXBean;
import dev.jgrad.data.Dataset;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training step allocates nothing once warm: the bytes this thread allocates between two
 * batches deep in an epoch, over a few hundred steps of the Trainer's own loop, stay under
 * 1 KiB per step. (Per-epoch work such as validation may allocate; steps may not.)
 */
class AllocationTest {

    @Test
    void aWarmTrainingStepAllocatesUnderOneKibibyte() {
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        int n = 128 * 301, d = 784;
        Random r = new Random(1);
        float[] f = new float[n * d], t = new float[n];
        for (int i = 0; i < f.length; i++) f[i] = r.nextFloat();
        for (int i = 0; i < n; i++) t[i] = r.nextInt(10);
        Dataset data = new Dataset("random", new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, 1)),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), null);
        long[] at = new long[2];
        int from = 20, to = 300;
        TrainingListener probe = new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int batch, int batches, double loss, int samples) {
                if (epoch == 1 && batch == from) at[0] = mx.getCurrentThreadAllocatedBytes();
                if (epoch == 1 && batch == to) at[1] = mx.getCurrentThreadAllocatedBytes();
            }
        };
        try (Sequential net = Sequential.builder(d).threads(2).dense(256, "relu").dropout(0.1).dense(128, "relu")
                .dense(10, "softmax").build()) {
            Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(1e-3)).epochs(2).batchSize(128)
                    .clipNorm(5).listener(probe).build().fit(data);
        }
        double perStep = (at[1] - at[0]) / (double) (to - from);
        assertTrue(at[1] > at[0] || at[1] == at[0], "measured");
        System.out.printf("a warm training step allocated %.1f bytes on average%n", perStep);
        assertTrue(perStep < 1024, "a warm training step allocated " + perStep + " bytes");
    }
}
