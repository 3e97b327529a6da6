package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Dynamic batching by combining: the request threads run the passes themselves. A request
 * queues its rows; if a lane (one per core) is free, its own thread becomes the leader: it takes
 * what is queued (and what arrives within the window, up to the largest batch), runs one forward
 * pass on the lane's {@link Backend.Pass}, hands each follower its rows' answers and wakes it,
 * then returns its own answer. A follower parks until its answer is there, or until it is woken
 * to lead the next pass. There is no batcher thread: the request is never handed to another
 * thread and back, which on a machine with few cores was what lengthened the tail (each hand-off
 * is a wake-up that may wait for a core).
 *
 * <p>The window waits only when another request may come: a leader opens it only if some work
 * is {@linkplain InFlight in flight} at the HTTP layer (a connection's task waiting for a thread,
 * or a request being read or parsed, not yet queued nor answered) when its batch forms. With one
 * client nothing else is ever in flight, so its requests never wait. Once open, the window runs
 * to its end (or a full batch): under load it is what lets the requests waiting for a core run
 * and join (docs/SERVING.md).
 *
 * <p>Each row's answer has the bits it would have alone ({@link InferenceModel}; with jgrad's
 * {@link Backend}), so merging changes nothing a client sees but the time. Memory is bounded:
 * the queue holds one job per waiting request, each lane one buffer of the largest batch; a
 * request larger than that runs alone on its own arrays.
 *
 * <p>Shutdown: {@link #drain()} stops windows from waiting (what is queued runs at once) while
 * still taking the requests already accepted; {@link #close()} then refuses new ones.
 *
 * <p>Thread-safety: {@link #predict} may be called by any number of threads.
 */
final class Batcher implements AutoCloseable {
    /** One request's rows, its thread, and its answer once a pass has computed it. */
    private static final class Job {
        final float[] x;
        final int rows;
        final Thread thread;
        float[] out;
        Throwable error;
        /** Written last by the leader: after it, {@link #out} or {@link #error} is visible. */
        volatile boolean done;

        Job(float[] x, int rows, Thread thread) {
            this.x = x;
            this.rows = rows;
            this.thread = thread;
        }
    }

    /** What one leader computes with: the backend's pass and a batch's buffers. */
    private static final class Lane {
        final Backend.Pass pass;
        final float[] in;
        final float[] out;
        final List<Job> batch = new ArrayList<>();

        Lane(Backend.Pass pass, int rows, int width, int outputs) {
            this.pass = pass;
            this.in = new float[rows * width];
            this.out = new float[rows * outputs];
        }
    }

    private final String name;
    private final Metrics metrics;
    private final InFlight inFlight;
    private final long windowNanos;
    private final int maxRows;
    private final int width;
    private final int outputs;

    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock:
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final ArrayDeque<Lane> idle = new ArrayDeque<>();
    private int queuedRows;
    /** The leader waiting in its window for more rows, and the rows it holds; null if none. */
    private Thread windowLeader;
    private int windowRows;
    private boolean draining;
    private boolean closed;

    Batcher(String name, InferenceModel model, Backend backend, Metrics metrics, InFlight inFlight, long windowMicros, int maxRows) {
        this(name, model, backend, metrics, inFlight, windowMicros, maxRows, Runtime.getRuntime().availableProcessors());
    }

    Batcher(String name, InferenceModel model, Backend backend, Metrics metrics, InFlight inFlight, long windowMicros, int maxRows,
            int lanes) {
        if (windowMicros < 0) throw new IllegalArgumentException("the batching window must not be negative: " + windowMicros);
        if (maxRows < 1) throw new IllegalArgumentException("the largest batch must be at least 1 row: " + maxRows);
        if (lanes < 1) throw new IllegalArgumentException("at least one lane: " + lanes);
        this.name = name;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.windowNanos = windowMicros * 1000;
        this.maxRows = maxRows;
        this.width = model.inputSize();
        this.outputs = model.outputSize();
        // A lane per core: one pass at a time would hold the arithmetic to one core while the
        // other only reads and writes JSON.
        for (int i = 0; i < lanes; i++) idle.push(new Lane(backend.open(model), maxRows, width, outputs));
    }

    /**
     * The answers for {@code rows} checked rows, once the pass that holds them has run. The
     * request's {@code arrival} (if it has one) is left once its rows are queued: from then on
     * it is no reason to open a window, it is in the queue.
     */
    float[] predict(float[] x, int rows, InFlight.Arrival arrival) throws InterruptedException {
        Job job = new Job(x, rows, Thread.currentThread());
        Lane lane;
        lock.lock();
        try {
            if (closed) throw new ApiError(503, null, "the server is shutting down");
            queue.add(job);
            queuedRows += rows;
            metrics.queued(name, 1);
            // A leader waiting for rows is woken as soon as its batch can be filled.
            if (windowLeader != null && windowRows + queuedRows >= maxRows) LockSupport.unpark(windowLeader);
            lane = claim();
        } finally {
            lock.unlock();
        }
        // Queued now, and before this thread may lead: its own arrival opens no window.
        if (arrival != null) arrival.leave();
        while (true) {
            if (lane != null) {
                lead(lane, job);
                lane = null;
            }
            if (job.done) return answer(job);
            LockSupport.park(this);
            if (job.done) return answer(job);
            if (Thread.interrupted()) {
                abandon(job);
                throw new InterruptedException("interrupted while waiting for a forward pass");
            }
            lock.lock();
            try {
                lane = claim();
            } finally {
                lock.unlock();
            }
        }
    }

    private static float[] answer(Job job) {
        if (job.error == null) return job.out;
        if (job.error instanceof RuntimeException r) throw r;
        if (job.error instanceof Error e) throw e;
        throw new IllegalStateException(job.error);
    }

    /** A free lane, if there is work queued and no leader is gathering it in its window. Under lock. */
    private Lane claim() {
        if (queue.isEmpty() || windowLeader != null) return null;
        return idle.poll();
    }

    /** Runs passes on the lane until {@code own} is answered or nothing is left, then frees the lane. */
    private void lead(Lane lane, Job own) {
        try {
            while (!own.done) {
                if (!gather(lane)) break;
                run(lane);
            }
        } finally {
            Job next;
            lock.lock();
            try {
                idle.push(lane);
                next = windowLeader == null ? queue.peek() : null;
            } finally {
                lock.unlock();
            }
            // Someone's rows are still queued: wake their thread to lead the next pass.
            if (next != null) LockSupport.unpark(next.thread);
        }
    }

    /** Takes the next batch from the queue into the lane's list; false if the queue was empty. */
    private boolean gather(Lane lane) {
        List<Job> batch = lane.batch;
        batch.clear();
        Job wake = null;
        lock.lock();
        try {
            if (queue.isEmpty()) return false;
            Job first = queue.poll();
            queuedRows -= first.rows;
            batch.add(first);
            int rows = take(batch, first.rows);
            // Nothing on its way: no request could join, a window would only delay this one.
            if (windowNanos > 0 && rows < maxRows && !draining && fits(rows) && inFlight.count() > 0) {
                long deadline = System.nanoTime() + windowNanos;
                windowLeader = Thread.currentThread();
                try {
                    while (true) {
                        windowRows = rows;
                        long left = deadline - System.nanoTime();
                        if (left <= 0) break;
                        lock.unlock();
                        try {
                            LockSupport.parkNanos(this, left);
                        } finally {
                            lock.lock();
                        }
                        rows = take(batch, rows);
                        if (rows >= maxRows || draining || !fits(rows)) break;
                    }
                } finally {
                    windowLeader = null;
                    windowRows = 0;
                }
            }
            metrics.queued(name, -batch.size());
            // Rows left behind (the batch was full) and a lane free: wake their thread to lead.
            if (!queue.isEmpty() && !idle.isEmpty()) wake = queue.peek();
        } finally {
            lock.unlock();
        }
        if (wake != null) LockSupport.unpark(wake.thread);
        return true;
    }

    /** Moves queued jobs into the batch while they fit. Under lock. */
    private int take(List<Job> batch, int rows) {
        while (rows < maxRows && !queue.isEmpty() && rows + queue.peek().rows <= maxRows) {
            Job j = queue.poll();
            queuedRows -= j.rows;
            batch.add(j);
            rows += j.rows;
        }
        return rows;
    }

    /** Whether the next queued job (if any) could still join a batch of {@code rows}. Under lock. */
    private boolean fits(int rows) {
        return queue.isEmpty() || rows + queue.peek().rows <= maxRows;
    }

    /** One forward pass over the lane's batch; every job in it is answered and woken. */
    private void run(Lane lane) {
        List<Job> batch = lane.batch;
        Thread me = Thread.currentThread();
        int rows = 0;
        for (Job j : batch) rows += j.rows;
        try {
            if (batch.size() == 1) {
                // Alone (or larger than a batch): straight from the request's array, no copy.
                Job j = batch.getFirst();
                float[] out = new float[j.rows * outputs];
                lane.pass.predict(j.x, 0, j.rows, out, 0);
                j.out = out;
            } else {
                int at = 0;
                for (Job j : batch) {
                    System.arraycopy(j.x, 0, lane.in, at * width, j.rows * width);
                    at += j.rows;
                }
                lane.pass.predict(lane.in, 0, rows, lane.out, 0);
                at = 0;
                for (Job j : batch) {
                    j.out = Arrays.copyOfRange(lane.out, at * outputs, (at + j.rows) * outputs);
                    at += j.rows;
                }
            }
            metrics.forwardPass(name, rows);
        } catch (RuntimeException | Error e) {
            // One request's rows failed the pass (they were checked, so this is rare): run each
            // alone, so that only the one at fault gets the error.
            for (Job j : batch) {
                try {
                    float[] alone = new float[j.rows * outputs];
                    lane.pass.predict(j.x, 0, j.rows, alone, 0);
                    j.out = alone;
                    metrics.forwardPass(name, j.rows);
                } catch (RuntimeException | Error f) {
                    j.out = null;
                    j.error = f;
                }
            }
        }
        for (Job j : batch) {
            j.done = true;
            if (j.thread != me) LockSupport.unpark(j.thread);
        }
        batch.clear();
    }

    /** An interrupted request leaves the queue if no pass has taken it yet. */
    private void abandon(Job job) {
        lock.lock();
        try {
            if (queue.remove(job)) {
                queuedRows -= job.rows;
                metrics.queued(name, -1);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Shutdown begins: windows stop waiting, so what is queued runs at once; requests already
     * accepted are still taken.
     */
    void drain() {
        lock.lock();
        try {
            draining = true;
            if (windowLeader != null) LockSupport.unpark(windowLeader);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses new requests (503). Those queued are answered all the same: their own threads run
     * the passes, so there is no thread here to stop.
     */
    @Override
    public void close() {
        drain();
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
    }
}
