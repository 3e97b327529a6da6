package dev.jgrad.train;

import com.sun.management.ThreadMXBean;
import dev.jgrad.data.Dataset;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training step allocates nothing once warm: the bytes allocated between two batches deep in
 * an epoch, over a few hundred steps of the Trainer's own loop, stay under 1 KiB per step. They
 * are counted on every thread that does the work, the caller and each worker of the network's
 * pool. (Per-epoch work such as validation may allocate; steps may not.)
 */
class AllocationTest {

    @Test
    void aWarmTrainingStepAllocatesUnderOneKibibyte() {
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count the bytes each thread allocates");
        int n = 128 * 301, d = 784;
        Random r = new Random(1);
        float[] f = new float[n * d], t = new float[n];
        for (int i = 0; i < f.length; i++) f[i] = r.nextFloat();
        for (int i = 0; i < n; i++) t[i] = r.nextInt(10);
        Dataset data = new Dataset("random", new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, 1)),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), null);
        int from = 20, to = 300;
        long[][] at = new long[2][];
        try (Sequential net = Sequential.builder(d).threads(2).dense(256, Activations.RELU).dropout(0.1)
                .dense(128, Activations.RELU).dense(10, Activations.SOFTMAX).build()) {
            long[] workers = net.parallel().workerThreadIds();
            long[] threads = Arrays.copyOf(workers, workers.length + 1);
            threads[workers.length] = Thread.currentThread().threadId();   // fit runs the loop on this thread
            assertTrue(workers.length == 1, "a pool of two threads has one worker, got " + workers.length);
            TrainingListener probe = new TrainingListener() {
                @Override
                public void onBatchEnd(int epoch, int batch, int batches, double loss, int samples) {
                    if (epoch == 1 && batch == from) at[0] = mx.getThreadAllocatedBytes(threads);
                    if (epoch == 1 && batch == to) at[1] = mx.getThreadAllocatedBytes(threads);
                }
            };
            Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(1e-3)).epochs(2).batchSize(128)
                    .clipNorm(5).listener(probe).build().fit(data);
        }
        assertTrue(at[0] != null && at[1] != null, "the probe did not fire at batches " + from + " and " + to + " of epoch 1");
        long bytes = 0;
        long[] perThread = new long[at[0].length];
        for (int i = 0; i < at[0].length; i++) {
            // -1 would mean a thread that had ended, whose bytes could no longer be counted.
            assertTrue(at[0][i] >= 0 && at[1][i] >= at[0][i], "thread " + i + ": " + at[0][i] + " then " + at[1][i] + " bytes");
            perThread[i] = at[1][i] - at[0][i];
            bytes += perThread[i];
        }
        double perStep = bytes / (double) (to - from);
        System.out.printf("a warm training step allocated %.1f bytes on average (bytes in %d steps, workers then caller: %s)%n",
                perStep, to - from, Arrays.toString(perThread));
        assertTrue(perStep < 1024, "a warm training step allocated " + perStep + " bytes");
    }
}
