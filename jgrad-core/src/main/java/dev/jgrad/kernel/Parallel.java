package dev.jgrad.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * jgrad's own fixed thread pool. A call runs tasks {@code 0 .. n-1}; the calling thread and the
 * workers claim them one at a time from a shared counter, so a slow or busy thread takes fewer.
 * Kernels give each task a fixed tile of the output, so which thread computes a tile never
 * changes its bits and a seed gives the same result with any thread count.
 *
 * <p>Dispatch allocates nothing: the task is published through a volatile generation counter
 * that workers spin on briefly and then park on. A call made from inside a task, or while another
 * thread holds the pool, runs serially on the caller instead of waiting.
 */
public final class Parallel implements AutoCloseable {

    /** One unit of parallel work, called with task indices {@code 0 .. n-1}. */
    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    private static final int SPINS = 1 << 14;
    private static volatile Parallel common;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger next = new AtomicInteger();
    private volatile Task task;
    private volatile int taskCount;
    private volatile long generation;
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
        if (threads == 1 || n == 1 || closed || Thread.currentThread() instanceof Worker
                || lock.isHeldByCurrentThread() || !lock.tryLock()) {
            for (int i = 0; i < n; i++) t.run(i);
            return;
        }
        try {
            failure = null;
            taskCount = n;
            next.set(0);
            task = t;
            remaining.set(workers.length);
            generation++;
            for (Worker w : workers) LockSupport.unpark(w);
            Throwable mine = null;
            try {
                runShare(0, t, n);
            } catch (Throwable e) {
                mine = e;
            }
            int spins = 0;
            while (remaining.get() != 0) {
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

    private void runShare(int worker, Task t, int n) {
        for (int i; (i = next.getAndIncrement()) < n; ) t.run(i);
    }

    @Override
    public void close() {
        if (this == common) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private final class Worker extends Thread {
        private final int index;

        Worker(int index) {
            super("jgrad-worker-" + index);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long g;
                int spins = 0;
                while ((g = generation) == seen) {
                    if (closed) return;
                    if (++spins < SPINS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                seen = g;
                try {
                    runShare(index, task, taskCount);
                } catch (Throwable e) {
                    failure = e;
                }
                remaining.decrementAndGet();
            }
        }
    }
}
