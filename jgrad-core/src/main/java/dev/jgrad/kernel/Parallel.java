package dev.jgrad.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * jgrad's own fixed thread pool. A call runs tasks {@code 0 .. n-1}; the calling thread and the
 * workers claim them one at a time, so a slow or busy thread takes fewer. Kernels give each task
 * a fixed tile of the output, so which thread computes a tile never changes its bits and a seed
 * gives the same result with any thread count.
 *
 * <p>The caller waits only for tasks that a worker has claimed and not yet finished, never for a
 * worker to wake up: on a machine shared with other work, a worker that the operating system does
 * not schedule for milliseconds leaves its tasks to the caller instead of holding the call up
 * (with a wait for every worker to check in, a two-thread product on a busy two-core machine ran
 * up to a hundred times slower than on one thread). Claims go through one atomic word holding the
 * call's generation, its task count and the next task, so a worker that wakes late can never
 * claim a task of a call that has ended or run one twice.
 *
 * <p>Dispatch allocates nothing: workers spin briefly on the word and then park. A call made from
 * inside a task, or while another thread holds the pool, runs serially on the caller instead of
 * waiting.
 */
public final class Parallel implements AutoCloseable {

    /** One unit of parallel work, called with task indices {@code 0 .. n-1}. */
    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    private static final int SPINS = 1 << 14;
    /** Bits of the claim word for the next task and for the task count; the generation takes the rest. */
    private static final int INDEX_BITS = 20;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final int MAX_TASKS = (int) INDEX_MASK;
    private static volatile Parallel common;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * generation (high 24 bits) | task count | next task (20 bits each). A worker would have to
     * stall between reading the word and claiming from it for 2^24 calls to mistake one for another.
     */
    private final AtomicLong claim = new AtomicLong();
    /** Tasks of the current call that have finished. */
    private final AtomicInteger done = new AtomicInteger();
    private volatile Task task;
    private volatile Throwable failure;
    private volatile boolean closed;

    private Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
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

    /** Runs tasks {@code 0 .. n-1} and returns when all are done; the first failure is rethrown. */
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
            // The previous call's word has all its tasks claimed, so no late worker claims from it;
            // this one, published after the task, opens the new call.
            long generation = (claim.get() >>> (2 * INDEX_BITS)) + 1;
            claim.set(generation << (2 * INDEX_BITS) | (long) n << INDEX_BITS);
            for (Worker w : workers) LockSupport.unpark(w);
            Throwable mine = null;
            for (int i; (i = claimNext()) >= 0; ) {
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

    /** The next unclaimed task of the current call, claimed; or -1 when none is left. */
    private int claimNext() {
        while (true) {
            long c = claim.get();
            int next = (int) (c & INDEX_MASK), count = (int) (c >>> INDEX_BITS & INDEX_MASK);
            if (next >= count) return -1;
            if (claim.compareAndSet(c, c + 1)) return next;
        }
    }

    /** Claims every remaining task of the current call without running it, counting each as done. */
    private void drain() {
        for (int i; (i = claimNext()) >= 0; ) done.incrementAndGet();
    }

    @Override
    public void close() {
        if (this == common) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private final class Worker extends Thread {
        Worker(int index) {
            super("jgrad-worker-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                long c;
                int spins = 0;
                // Wait for a call with a task left to claim.
                while (((c = claim.get()) & INDEX_MASK) >= (c >>> INDEX_BITS & INDEX_MASK)) {
                    if (closed) return;
                    if (++spins < SPINS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                // The task read after the word: the call that published the word is still open
                // while a task of it can be claimed, so the claim below succeeds only for this task.
                Task t = task;
                int i = claimAt(c);
                if (i < 0) continue;
                try {
                    t.run(i);
                } catch (Throwable e) {
                    failure = e;
                    drain();
                }
                done.incrementAndGet();
            }
        }

        /** Claims the next task if the word is still c (the same call, nothing claimed since); -1 otherwise. */
        private int claimAt(long c) {
            return claim.compareAndSet(c, c + 1) ? (int) (c & INDEX_MASK) : -1;
        }
    }
}
