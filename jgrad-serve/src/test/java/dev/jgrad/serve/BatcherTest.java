package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.infer.Predictor;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The combining batcher under concurrent load: batches form (more than one row per pass), no
 * pass exceeds the largest batch, and every answer has the bits of unbatched prediction. The
 * window opens only for requests in flight: alone, a request never waits it out.
 */
class BatcherTest {
    private static final int FEATURES = 64;
    private static final InferenceModel MODEL = InferenceModel.of(Sequential.builder(FEATURES).seed(11)
            .dense(48, Activations.RELU).dense(24, Activations.TANH).dense(10, Activations.IDENTITY).build());

    /** 500 requests of 1 to 3 rows, and each one's answer computed alone, one row at a time. */
    private static final float[][] INPUTS = new float[500][];
    private static final float[][] WANT = new float[500][];

    static {
        Random r = new Random(5);
        Predictor alone = MODEL.predictor();
        for (int i = 0; i < INPUTS.length; i++) {
            int rows = 1 + i % 3;
            INPUTS[i] = new float[rows * FEATURES];
            for (int k = 0; k < INPUTS[i].length; k++) INPUTS[i][k] = (float) r.nextGaussian();
            WANT[i] = new float[rows * 10];
            for (int row = 0; row < rows; row++) {
                float[] y = alone.predict(java.util.Arrays.copyOfRange(INPUTS[i], row * FEATURES, (row + 1) * FEATURES));
                System.arraycopy(y, 0, WANT[i], row * 10, 10);
            }
        }
    }

    /** jgrad's backend, recording the largest pass. */
    private static Backend recording(AtomicInteger largest) {
        return model -> {
            Backend.Pass p = Backend.jgrad().open(model);
            return (x, xOff, rows, out, outOff) -> {
                largest.accumulateAndGet(rows, Math::max);
                p.predict(x, xOff, rows, out, outOff);
            };
        };
    }

    @Test
    void concurrentRequestsFormBatchesAndKeepTheirBits() throws Exception {
        for (boolean virtual : new boolean[]{false, true}) {
            for (long window : new long[]{0, 200}) {
                String what = (virtual ? "virtual" : "platform") + " threads, window " + window + " µs";
                Metrics metrics = new Metrics();
                InFlight inFlight = new InFlight();
                AtomicInteger largest = new AtomicInteger();
                int maxRows = 16;
                try (Batcher b = new Batcher("m", MODEL, recording(largest), metrics, inFlight, window, maxRows)) {
                    int threads = 32, each = 150;
                    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
                    CountDownLatch go = new CountDownLatch(1);
                    List<Thread> ts = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        int seed = t;
                        // A client that sends its next request as soon as it has an answer, as a
                        // loaded HTTP layer sees it: in flight at all times but while its rows
                        // are queued or computed.
                        InFlight.Arrival first = inFlight.arrive();
                        Runnable client = () -> {
                            InFlight.Arrival next = first;
                            try {
                                go.await();
                                for (int n = 0; n < each; n++) {
                                    int i = (seed * 31 + n * 7) % INPUTS.length;
                                    float[] got = b.predict(INPUTS[i], INPUTS[i].length / FEATURES, next);
                                    next = inFlight.arrive();
                                    if (!java.util.Arrays.equals(WANT[i], got)) wrong.add("request " + i);
                                }
                            } catch (Throwable e) {
                                wrong.add(e.toString());
                            } finally {
                                next.leave();
                            }
                        };
                        ts.add(virtual ? Thread.ofVirtual().start(client) : Thread.ofPlatform().start(client));
                    }
                    go.countDown();
                    for (Thread t : ts) t.join(120_000);
                    assertTrue(wrong.isEmpty(), what + ": " + wrong.size() + " wrong answers, e.g. " + wrong.peek());
                    long requests = (long) threads * each, passes = metrics.forwardPasses("m");
                    // Virtual threads without a window may never queue: as many run as there are
                    // carriers, one per lane, and none blocks, so each finds a lane free and
                    // runs alone, as it should. Everywhere else requests meet in passes.
                    if (!virtual || window > 0) {
                        assertTrue(passes < requests, what + ": " + requests + " requests took " + passes + " passes: nothing merged");
                        assertTrue(largest.get() > 3, what + ": no pass held more than one request's rows (largest " + largest.get() + ")");
                    }
                    assertTrue(largest.get() <= maxRows, what + ": a pass of " + largest.get() + " rows");
                    assertEquals(0, metrics.queued("m"), what);
                    assertEquals(0, inFlight.count(), what + ": requests left in flight");
                }
            }
        }
    }

    @Test
    void aRequestLargerThanABatchRunsAloneWithItsBits() throws Exception {
        AtomicInteger largest = new AtomicInteger();
        try (Batcher b = new Batcher("m", MODEL, recording(largest), new Metrics(), new InFlight(), 100, 4)) {
            float[] x = new float[9 * FEATURES];
            float[] want = new float[9 * 10];
            for (int i = 0; i < 3; i++) {
                System.arraycopy(INPUTS[3 * i + 2], 0, x, 3 * i * FEATURES, 3 * FEATURES);
                System.arraycopy(WANT[3 * i + 2], 0, want, 3 * i * 10, 30);
            }
            assertArrayEquals(want, b.predict(x, 9, null));
            assertEquals(9, largest.get());
            assertArrayEquals(WANT[0], b.predict(INPUTS[0], 1, null));
        }
    }

    @Test
    void drainEndsTheWindowAndAnswersWhatIsQueuedThenCloseRefuses() throws Exception {
        Metrics metrics = new Metrics();
        InFlight inFlight = new InFlight();
        // A window far longer than the test, and a request still being read that never comes:
        // only drain() can end the wait.
        Batcher b = new Batcher("m", MODEL, Backend.jgrad(), metrics, inFlight, 600_000_000L, 256);
        InFlight.Arrival reading = inFlight.arrive();
        int n = 6;
        AtomicLong answered = new AtomicLong();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int r = i;
            ts.add(Thread.ofVirtual().start(() -> {
                try {
                    if (java.util.Arrays.equals(WANT[r], b.predict(INPUTS[r], INPUTS[r].length / FEATURES, null))) answered.incrementAndGet();
                    else wrong.add("request " + r);
                } catch (Throwable e) {
                    wrong.add(e.toString());
                }
            }));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (metrics.queued("m") < n && System.nanoTime() < end) Thread.sleep(10);
        assertEquals(n, metrics.queued("m"), "requests waiting in the window");
        assertEquals(0, answered.get(), "nothing runs before the window ends");
        b.drain();
        for (Thread t : ts) t.join(30_000);
        assertNull(wrong.peek());
        assertEquals(n, answered.get());
        assertEquals(1, metrics.forwardPasses("m"), "the queued requests ran in one pass");
        // Draining still takes requests (accepted before shutdown); closing refuses them.
        assertArrayEquals(WANT[7], b.predict(INPUTS[7], INPUTS[7].length / FEATURES, null));
        b.close();
        ApiError e = assertThrows(ApiError.class, () -> b.predict(INPUTS[0], 1, null));
        assertEquals(503, e.status());
        reading.leave();
        assertEquals(0, inFlight.count());
    }

    /** A window far longer than any test should take: a request that waited it out fails. */
    private static final long LONG_WINDOW_MICROS = 20_000_000L;

    private static void assertWellWithinTheWindow(long startNanos, String what) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        assertTrue(seconds < LONG_WINDOW_MICROS / 1e6 / 4, what + " took " + seconds + " s: it waited out the window");
    }

    @Test
    void aRequestAloneNeverWaitsTheWindow() throws Exception {
        Metrics metrics = new Metrics();
        InFlight inFlight = new InFlight();
        try (Batcher b = new Batcher("m", MODEL, Backend.jgrad(), metrics, inFlight, LONG_WINDOW_MICROS, 256)) {
            long start = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                // Announced by its HTTP layer, as every request is, and not announced at all.
                try (InFlight.Arrival arrival = inFlight.arrive()) {
                    assertArrayEquals(WANT[i], b.predict(INPUTS[i], INPUTS[i].length / FEATURES, arrival));
                }
                assertArrayEquals(WANT[i + 3], b.predict(INPUTS[i + 3], INPUTS[i + 3].length / FEATURES, null));
            }
            assertWellWithinTheWindow(start, "six requests one after the other");
            assertEquals(6, metrics.forwardPasses("m"));
            assertEquals(0, inFlight.count());
        }
    }

    @Test
    void twoAnnouncedRequestsStillMeetInOnePass() throws Exception {
        Metrics metrics = new Metrics();
        InFlight inFlight = new InFlight();
        AtomicInteger largest = new AtomicInteger();
        // A window of 2 s: once open it runs to its end, and the second request comes after 0.2 s.
        try (Batcher b = new Batcher("m", MODEL, recording(largest), metrics, inFlight, 2_000_000L, 256)) {
            InFlight.Arrival first = inFlight.arrive(), second = inFlight.arrive();
            AtomicReference<float[]> firstAnswer = new AtomicReference<>();
            Thread leader = Thread.ofVirtual().start(() -> {
                try {
                    firstAnswer.set(b.predict(INPUTS[0], 1, first));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            awaitQueued(metrics, 1);
            // The second is still being read: the first waits for it, in its window.
            Thread.sleep(200);
            assertTrue(leader.isAlive(), "the first request did not wait for the second, in flight");
            assertArrayEquals(WANT[3], b.predict(INPUTS[3], 1, second));
            leader.join(30_000);
            assertArrayEquals(WANT[0], firstAnswer.get());
            assertEquals(1, metrics.forwardPasses("m"), "both requests in one pass");
            assertEquals(2, largest.get());
            assertEquals(0, inFlight.count());
        }
    }

    @Test
    void aRequestThatLeavesWithoutQueuingIsNoLongerCounted() throws Exception {
        Metrics metrics = new Metrics();
        InFlight inFlight = new InFlight();
        // The window opens for the second request, which is then refused: it costs this one window.
        try (Batcher b = new Batcher("m", MODEL, Backend.jgrad(), metrics, inFlight, 300_000L, 256)) {
            InFlight.Arrival first = inFlight.arrive(), refused = inFlight.arrive();
            AtomicReference<float[]> answer = new AtomicReference<>();
            Thread leader = Thread.ofVirtual().start(() -> {
                try {
                    answer.set(b.predict(INPUTS[1], 2, first));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            awaitQueued(metrics, 1);
            // Answered 400 by the API, say: it leaves (twice, as a finally after a catch might).
            refused.leave();
            refused.leave();
            leader.join(30_000);
            assertArrayEquals(WANT[1], answer.get());
            assertEquals(0, inFlight.count(), "leaving twice counts once");
            assertEquals(1, metrics.forwardPasses("m"));
        }
    }

    private static void awaitQueued(Metrics metrics, long n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (metrics.queued("m") < n && System.nanoTime() < end) Thread.sleep(5);
        assertEquals(n, metrics.queued("m"), "requests waiting in the window");
    }
}
