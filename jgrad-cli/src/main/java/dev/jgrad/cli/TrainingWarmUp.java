package dev.jgrad.cli;

import dev.jgrad.kernel.WarmUp;
import dev.jgrad.train.TrainingListener;

/**
 * What {@code jgrad train} runs on a background thread while its data loads: first the kernels'
 * own warm-up ({@link WarmUp#run()}: small products, so the Vector API code is compiled before
 * it meets real sizes), then a throw-away copy of the real network (same layers, widths, loss,
 * optimizer and thread pool) trained on synthetic rows. The copy makes the JIT compile the code
 * training runs at the shapes it runs them: the products' packing at the real widths (which the
 * small products' compiled code does not cover: it went back to the interpreter on the first
 * real step), the loss, the optimizer, the batch gather and the loop itself. Without it the
 * first epoch took 2.5 times a steady one. The copy shares nothing with the real network but
 * the pool, whose threads give no result bits of their own: the real run's weights, generators
 * and results are the same bits with or without it.
 *
 * <p>The copy trains at least {@link #minSteps} steps, more while the data is still loading, and
 * stops at the end of one of its short epochs once {@link #finish()} asks it to.
 */
final class TrainingWarmUp {
    /**
     * Steps of the copy that compile what the first real epoch needs (measured: see
     * PERFORMANCE.md, "The first epoch"); {@code -Djgrad.warmUp.steps=N} sets another minimum,
     * 0 runs no copy at all.
     */
    static final int MIN_STEPS = 100;
    /** The copy's steps at most, however long the data takes to load: this many times the minimum. */
    static final int MAX_FACTOR = 4;

    private final Thread thread;
    private final int minSteps, maxSteps;
    private Runnable copy;
    private boolean finishing;
    private volatile boolean stop, abandoned;
    private volatile int steps;
    private volatile long kernelsDone, copyStarted;

    private TrainingWarmUp(int minSteps) {
        this.minSteps = minSteps;
        this.maxSteps = MAX_FACTOR * minSteps;
        this.thread = new Thread(this::run, "jgrad-warm-up");
        thread.setDaemon(true);
    }

    /** Starts the kernels' warm-up at once; the copy follows when {@link #train} hands it over. */
    static TrainingWarmUp start() {
        return start(Math.max(0, Integer.getInteger("jgrad.warmUp.steps", MIN_STEPS)));
    }

    /** As {@link #start()}, with the copy's minimum of steps given (0: no copy). */
    static TrainingWarmUp start(int minSteps) {
        TrainingWarmUp w = new TrainingWarmUp(minSteps);
        w.thread.start();
        return w;
    }

    /** The copy's steps at most: it trains that many epochs of its own, at most, and stops at their end. */
    int maxSteps() {
        return maxSteps;
    }

    /**
     * Hands over the copy's training, run after the kernels' warm-up. Only the first call counts
     * (a copy built from the widths read ahead of the data is not replaced by a later one).
     * The runnable trains with {@link #listener()} attached and returns when it stops.
     */
    synchronized void train(Runnable copyTraining) {
        if (copy == null && !finishing && minSteps > 0) {
            copy = copyTraining;
            notifyAll();
        }
    }

    /** The listener that counts the copy's steps and ends its training when asked. */
    TrainingListener listener() {
        return new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int batch, int batches, double loss, int samples) {
                int s = steps + 1;
                steps = s;
            }

            @Override
            public boolean stopRequested() {
                int s = steps;
                return abandoned || s >= maxSteps || (stop && s >= minSteps);
            }
        };
    }

    /** Asks the copy to stop (after its minimum of steps) and waits for the thread to end. */
    void finish() throws InterruptedException {
        synchronized (this) {
            finishing = true;
            stop = true;
            notifyAll();
        }
        thread.join();
    }

    /**
     * Asks the copy to stop at the end of its current short epoch, minimum or not, and returns
     * at once: what a run that failed does, so that its error is not held up by the warm-up.
     */
    void abandon() {
        synchronized (this) {
            finishing = true;
            stop = true;
            abandoned = true;
            notifyAll();
        }
    }

    /** The copy's steps so far. */
    int steps() {
        return steps;
    }

    /** When the kernels' warm-up ended and the copy started (System.nanoTime(); 0: not yet), for the timeline. */
    long[] times() {
        return new long[]{kernelsDone, copyStarted};
    }

    private void run() {
        WarmUp.run();
        kernelsDone = System.nanoTime();
        Runnable job;
        synchronized (this) {
            while (copy == null && !finishing) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    return;
                }
            }
            job = copy;
        }
        if (job == null) return;
        copyStarted = System.nanoTime();
        try {
            job.run();
        } catch (RuntimeException e) {
            // Synthetic rows can diverge under settings made for real ones: the warm-up only
            // stops early, and the real run reports its own errors.
        }
    }
}
