package dev.jgrad.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * jgrad's own fixed thread pool. A call runs tasks {@code 0 .. n-1}; each thread of the pool
 * (the caller is thread 0) first takes the tasks of its own contiguous share, in order, then
 * claims what is left of the others' shares, so a slow or busy thread takes fewer. Kernels give
 * each task a fixed tile of the output, so which thread computes a tile never changes its bits
 * and a seed gives the same result with any thread count.
 *
 * <p>The shares keep data in one core's caches from call to call: the same task of the same
 * kind of call lands on the same thread while neither is held up, so Adam's moments, a
 * gradient's chunks or a product's column panels stay where they were last touched instead of
 * moving between the cores each step (with one queue for all threads, task i ran on whichever
 * thread came free first).
 *
 * <p>The caller waits only for tasks that a worker has claimed and not yet finished, never for a
 * worker to wake up: on a machine shared with other work, a worker that the operating system does
 * not schedule for milliseconds leaves its tasks to the caller instead of holding the call up
 * (with a wait for every worker to check in, a two-thread product on a busy two-core machine ran
 * up to a hundred times slower than on one thread). Claims go through one atomic word per share
 * holding the call's generation, the share's end and its next task, so a worker that wakes late
 * can never claim a task of a call that has ended or run one twice.
 *
 * <p>Dispatch allocates nothing: workers spin briefly on the words and then park. A call made
 * from inside a task, or while another thread holds the pool, runs serially on the caller
 * instead of waiting.
 */
public final class Parallel implements AutoCloseable {

    /** One unit of parallel work, called with task indices {@code 0 .. n-1}. */
    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    private static final int SPINS = 1 << 14;
    /** Bits of a share's word for its next task and for its end; the generation takes the rest. */
    private static final int INDEX_BITS = 20;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final int MAX_TASKS = (int) INDEX_MASK;
    /** Longs between two shares' words: 128 bytes, so no two threads' claims share a cache line or its neighbour. */
    private static final int STRIDE = 16;
    private static volatile Parallel common;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Per share s, at s·STRIDE: generation (high 24 bits) | end | next task (20 bits each). A
     * worker would have to stall between reading a word and claiming from it for 2^24 calls to
     * mistake one for another.
     */
    private final AtomicLongArray claims;
    /** The generation of the current (or last) call; written by callers under the lock only. */
    private long generation;
    /** Tasks of the current call that have finished. */
    private final AtomicInteger done = new AtomicInteger();
    private volatile Task task;
    private volatile Throwable failure;
    private volatile boolean closed;

    private Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.claims = new AtomicLongArray(threads * STRIDE);
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /** A pool of {@code threads} threads in all, the caller included. */
    public static Parallel create(int threads) {
        return new Parallel(threads);
    }

    /** The process-wide pool, one thread per available processor. */
    public static Parallel common() {
        Parallel p = common;
        if (p == null) {
            synchronized (Parallel.class) {
                p = common;
                if (p == null) {
                    common = p = new Parallel(Runtime.getRuntime().availableProcessors());
                }
            }
        }
        return p;
    }

    public int threads() {
        return threads;
    }

    /**
     * The ids of this pool's worker threads, for accounting per thread (such as the bytes each
     * allocates); the caller of {@link #run}, which takes tasks too, is not among them.
     */
    public long[] workerThreadIds() {
        long[] ids = new long[workers.length];
        for (int i = 0; i < ids.length; i++) ids[i] = workers[i].threadId();
        return ids;
    }

    /**
     * Runs tasks {@code 0 .. n-1} and returns when all are done; the first failure is rethrown.
     * Thread s of the pool (the caller is 0) starts on tasks {@code [n·s/T, n·(s+1)/T)}.
     */
    public void run(int n, Task t) {
        if (n <= 0) return;
        if (threads == 1 || n == 1 || n > MAX_TASKS || closed || Thread.currentThread() instanceof Worker
                || lock.isHeldByCurrentThread() || !lock.tryLock()) {
            for (int i = 0; i < n; i++) t.run(i);
            return;
        }
        try {
            failure = null;
            done.set(0);
            task = t;
            // The previous call's words have all their tasks claimed, so no late worker claims
            // from them; these, published after the task, open the new call share by share.
            generation = (generation + 1) & ((1L << (64 - 2 * INDEX_BITS)) - 1);
            long g = generation << (2 * INDEX_BITS);
            for (int s = threads - 1; s >= 0; s--) {
                long from = (long) n * s / threads, to = (long) n * (s + 1) / threads;
                claims.set(s * STRIDE, g | to << INDEX_BITS | from);
            }
            for (Worker w : workers) LockSupport.unpark(w);
            Throwable mine = null;
            for (int i; (i = claimNext(0)) >= 0; ) {
                try {
                    t.run(i);
                } catch (Throwable e) {
                    if (mine == null) mine = e;
                    // Nothing more is claimed; the tasks no one will run count as done.
                    drain();
                }
                done.incrementAndGet();
            }
            int spins = 0;
            while (done.get() < n) {
                if (++spins < SPINS) Thread.onSpinWait();
                else Thread.yield();
            }
            task = null;
            Throwable f = mine != null ? mine : failure;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error er) throw er;
            if (f != null) throw new IllegalStateException(f);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next unclaimed task of the current call for thread {@code self}, claimed: from its own
     * share first, then from the others' in turn; or -1 when none is left.
     */
    private int claimNext(int self) {
        for (int j = 0; j < threads; j++) {
            int at = (self + j) % threads * STRIDE;
            while (true) {
                long c = claims.get(at);
                if (!left(c)) break;
                if (claims.compareAndSet(at, c, c + 1)) return (int) (c & INDEX_MASK);
            }
        }
        return -1;
    }

    /** True when the word c has a task left to claim. */
    private static boolean left(long c) {
        return (c & INDEX_MASK) < (c >>> INDEX_BITS & INDEX_MASK);
    }

    /** Claims every remaining task of the current call without running it, counting each as done. */
    private void drain() {
        for (int i; (i = claimNext(0)) >= 0; ) done.incrementAndGet();
    }

    @Override
    public void close() {
        if (this == common) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private final class Worker extends Thread {
        /** This worker's share: thread {@code self} of the pool. */
        private final int self;

        Worker(int index) {
            super("jgrad-worker-" + index);
            this.self = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                int spins = 0;
                // Wait for a call with a task left to claim in any share.
                while (!anyLeft()) {
                    if (closed) return;
                    if (++spins < SPINS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                for (int j = 0; j < threads; j++) {
                    int at = (self + j) % threads * STRIDE;
                    long c;
                    while (left(c = claims.get(at))) {
                        // The task read after the word: the call that published the word is still
                        // open while a task of it can be claimed, so a claim succeeds only for
                        // this task.
                        Task t = task;
                        if (!claims.compareAndSet(at, c, c + 1)) continue;
                        try {
                            t.run((int) (c & INDEX_MASK));
                        } catch (Throwable e) {
                            failure = e;
                            drain();
                        }
                        done.incrementAndGet();
                    }
                }
            }
        }

        private boolean anyLeft() {
            for (int s = 0; s < threads; s++) if (left(claims.get(s * STRIDE))) return true;
            return false;
        }
    }
}
