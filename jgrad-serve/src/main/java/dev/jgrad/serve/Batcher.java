package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Dynamic batching: requests for one model queue here and a thread per core runs them, each pass
 * merging all that are waiting (and those that arrive within a short window of the first, up to a maximum number
 * of rows) into one forward pass. Throughput then rises with concurrency instead of every
 * request paying a one-row pass. Each row's answer has the bits it would have alone
 * ({@link InferenceModel}; with jgrad's {@link Backend}), so merging changes nothing a client sees but the time.
 *
 * <p>Thread-safety: {@link #predict} may be called by any number of threads.
 */
final class Batcher implements AutoCloseable {
    private static final Job STOP = new Job(null, 0);

    /** One request's rows and the future its answer completes. */
    private record Job(float[] x, int rows, CompletableFuture<float[]> answer) {
        Job(float[] x, int rows) {
            this(x, rows, new CompletableFuture<>());
        }
    }

    private final String name;
    private final InferenceModel model;
    private final Backend backend;
    private final Metrics metrics;
    private final long windowNanos;
    private final int maxRows;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread[] workers;
    private volatile boolean closed;

    Batcher(String name, InferenceModel model, Backend backend, Metrics metrics, long windowMicros, int maxRows) {
        if (windowMicros < 0) throw new IllegalArgumentException("the batching window must not be negative: " + windowMicros);
        if (maxRows < 1) throw new IllegalArgumentException("the largest batch must be at least 1 row: " + maxRows);
        this.name = name;
        this.model = model;
        this.backend = backend;
        this.metrics = metrics;
        this.windowNanos = windowMicros * 1000;
        this.maxRows = maxRows;
        // One per core: a single one held all the arithmetic to one core, and on a busy machine
        // to one thread's share of it (measured: 8.9k req/s at 64 clients, below no batching).
        this.workers = new Thread[Runtime.getRuntime().availableProcessors()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().name("jgrad-batcher-" + name + "-" + i).daemon().start(this::run);
        }
    }

    /** The answers for {@code rows} checked rows, once the pass that holds them has run. */
    float[] predict(float[] x, int rows) throws InterruptedException {
        Job job = new Job(x, rows);
        if (closed) throw new ApiError(503, null, "the server is shutting down");
        queue.add(job);
        try {
            return job.answer.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    private void run() {
        Backend.Pass p = backend.open(model);
        List<Job> batch = new ArrayList<>();
        Job carried = null;
        float[] in = new float[0], out = new float[0];
        int w = model.inputSize(), o = model.outputSize();
        while (true) {
            Job first;
            try {
                first = carried != null ? carried : queue.take();
            } catch (InterruptedException e) {
                continue;
            }
            carried = null;
            if (first == STOP) return;
            batch.clear();
            batch.add(first);
            int rows = first.rows;
            long deadline = System.nanoTime() + windowNanos;
            while (rows < maxRows) {
                Job next = queue.poll();
                if (next == null && windowNanos > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) break;
                    try {
                        next = queue.poll(left, TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
                if (next == null) break;
                if (next == STOP || rows + next.rows > maxRows) {
                    carried = next;
                    break;
                }
                batch.add(next);
                rows += next.rows;
            }
            if (in.length < rows * w) {
                in = new float[Math.max(rows, maxRows) * w];
                out = new float[Math.max(rows, maxRows) * o];
            }
            int at = 0;
            for (Job j : batch) {
                System.arraycopy(j.x, 0, in, at * w, j.rows * w);
                at += j.rows;
            }
            try {
                p.predict(in, 0, rows, out, 0);
                metrics.forwardPass(name, rows);
                at = 0;
                for (Job j : batch) {
                    j.answer.complete(java.util.Arrays.copyOfRange(out, at * o, (at + j.rows) * o));
                    at += j.rows;
                }
            } catch (RuntimeException | Error e) {
                // One request's rows failed the pass (they were checked, so this is rare): run
                // each alone, so that only the one at fault gets the error.
                for (Job j : batch) {
                    try {
                        float[] alone = new float[j.rows * o];
                        p.predict(j.x, 0, j.rows, alone, 0);
                        j.answer.complete(alone);
                        metrics.forwardPass(name, j.rows);
                    } catch (RuntimeException | Error f) {
                        j.answer.completeExceptionally(f);
                    }
                }
            }
        }
    }

    /** Stops taking requests; those queued are answered first. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread ignored : workers) queue.add(STOP);
        try {
            for (Thread w : workers) w.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
