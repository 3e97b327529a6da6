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

    private Batches batches;
    private int rows, tasks;

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

    /** Task i of T copies rows [rows·i/T, rows·(i+1)/T). */
    @Override
    public void run(int task) {
        int r0 = rows * task / tasks, r1 = rows * (task + 1) / tasks;
        if (r0 < r1) batches.gatherFeatures(r0, r1);
    }
}
