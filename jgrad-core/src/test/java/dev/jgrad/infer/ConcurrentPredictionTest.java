package dev.jgrad.infer;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One model hammered by 32 threads at once, each asking for batches of 1 to 300 random rows of
 * a fixed pool, every answer compared bit for bit with the pool's answers computed beforehand
 * by one thread, by Sequential one row at a time. Shared buffers between callers would mix answers; a batch
 * dependent kernel would change bits.
 */
class ConcurrentPredictionTest {
    private static final int POOL = 1000;
    private static final long MILLIS = 3000;

    @Test
    void thirtyTwoPlatformThreads() throws Exception {
        hammer(Executors.newFixedThreadPool(32), "platform");
    }

    @Test
    void thirtyTwoVirtualThreads() throws Exception {
        hammer(Executors.newVirtualThreadPerTaskExecutor(), "virtual");
    }

    private void hammer(ExecutorService threads, String kind) throws Exception {
        try (Parallel par = Parallel.create(2)) {
            Sequential net = PredictorTest.network(par);
            InferenceModel model = InferenceModel.of(net);
            int w = model.inputSize(), o = model.outputSize();
            float[] inputs = PredictorTest.gaussian(POOL * w, 77);
            float[][] reference = new float[POOL][];
            for (int r = 0; r < POOL; r++) reference[r] = PredictorTest.reference(net, inputs, r);
            AtomicLong rows = new AtomicLong(), calls = new AtomicLong();
            AtomicReference<String> wrong = new AtomicReference<>();
            long end = System.nanoTime() + MILLIS * 1_000_000;
            List<Future<?>> done = new ArrayList<>();
            try (threads) {
                for (int t = 0; t < 32; t++) {
                    long seed = t;
                    done.add(threads.submit(() -> {
                        Random rnd = new Random(seed);
                        Predictor p = model.predictor();
                        while (System.nanoTime() < end && wrong.get() == null) {
                            int n = rnd.nextInt(4) == 0 ? 1 : 1 + rnd.nextInt(300);
                            int[] pick = new int[n];
                            float[] x = new float[n * w];
                            for (int i = 0; i < n; i++) {
                                pick[i] = rnd.nextInt(POOL);
                                System.arraycopy(inputs, pick[i] * w, x, i * w, w);
                            }
                            // Alternate the entry points: the predictor's flat batch, its one-row
                            // form and the model's pooled methods.
                            float[] y;
                            if (n == 1 && rnd.nextBoolean()) y = model.predict(x);
                            else if (n == 1) y = p.predict(x);
                            else y = p.predict(x, n);
                            for (int i = 0; i < n; i++) {
                                for (int j = 0; j < o; j++) {
                                    if (Float.floatToIntBits(y[i * o + j]) != Float.floatToIntBits(reference[pick[i]][j])) {
                                        wrong.compareAndSet(null, "row " + pick[i] + " in a batch of " + n + ", column " + j
                                                + ": " + y[i * o + j] + " instead of " + reference[pick[i]][j]);
                                    }
                                }
                            }
                            rows.addAndGet(n);
                            calls.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get();
            }
            assertNull(wrong.get(), kind + " threads");
            assertTrue(calls.get() > 320, kind + " threads made only " + calls.get() + " calls");
            assertEquals(32, done.size());
        }
    }
}
