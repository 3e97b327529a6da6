package dev.jgrad.train;

import dev.jgrad.data.Batches;
import dev.jgrad.kernel.Parallel;

/**
 * Gathers a mini-batch with its feature rows split over the network's pool: random rows of a
 * large dataset are memory-latency bound, so two cores fetch them faster than one. The pool
 * belongs to the training loop, not to the data, which knows only tensors. One instance per
 * calling thread is reused, so a step's gather allocates nothing; each task copies a fixed range
 * of rows, and a copy is a copy whichever thread makes it.
 */
final class BatchGather implements Parallel.Task {
    private static final ThreadLocal<BatchGather> CALLS = ThreadLocal.withInitial(BatchGather::new);

    private static final ThreadLocal<BatchGather> AHEAD = ThreadLocal.withInitial(BatchGather::new);
    /** Parts of a batch gathered ahead: small, so the thread done with its other work first takes more of them. */
    private static final int AHEAD_TASKS = 8;

    private Batches batches;
    private int rows, tasks;
    /** Gathers the batch selected ahead ({@link Batches#selectNext}) rather than the current one. */
    private boolean ahead;

    /** Loads batch b of batches, its rows split over par; on this thread alone when par is null or has one thread. */
    static void load(Batches batches, int b, Parallel par) {
        int rows = batches.select(b);
        if (par == null || par.threads() == 1) {
            batches.gatherFeatures(0, rows);
            return;
        }
        BatchGather g = CALLS.get();
        g.batches = batches;
        g.rows = rows;
        g.tasks = par.threads();
        try {
            par.run(g.tasks, g);
        } finally {
            g.batches = null;
        }
    }

    /**
     * Selects batch b of batches as the next one (its targets copied now) and returns the task
     * that gathers its feature rows, in {@link #tasks()} parts, to be run alongside the current
     * step ({@link TrainingStep#run(dev.jgrad.tensor.Tensor, dev.jgrad.tensor.Tensor, int, int,
     * Parallel.Task, int)}); {@link Batches#advance()} then makes it the current batch. One
     * instance per calling thread, reused.
     */
    static BatchGather ahead(Batches batches, int b) {
        BatchGather g = AHEAD.get();
        g.rows = batches.selectNext(b);
        g.batches = batches;
        g.tasks = Math.min(AHEAD_TASKS, g.rows);
        g.ahead = true;
        return g;
    }

    /** Drops the reference to the batches (and so to their dataset) once the gather ahead has run. */
    void release() {
        batches = null;
    }

    /** The number of tasks this gather runs in. */
    int tasks() {
        return tasks;
    }

    /** Task i of T copies rows [rows·i/T, rows·(i+1)/T). */
    @Override
    public void run(int task) {
        int r0 = rows * task / tasks, r1 = rows * (task + 1) / tasks;
        if (r0 >= r1) return;
        if (ahead) batches.gatherNextFeatures(r0, r1);
        else batches.gatherFeatures(r0, r1);
    }
}
