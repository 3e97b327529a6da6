package dev.jgrad.data;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

/**
 * Mini-batches over a dataset, in a seeded shuffled order (or in order), the last partial batch
 * kept. Rows are gathered into buffers owned by this object and reused: batch {@code b} stays
 * valid until the next call.
 */
public final class Batches implements dev.jgrad.kernel.Parallel.Task {
    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final Rng rng;
    private final int[] order;
    private final Tensor xBuf, tBuf;
    private Tensor x, t;
    private int rows = -1;
    /** The batch being gathered in parallel: its start in this epoch's order, its rows, the task count. */
    private int from, n, taskCount = 1;

    public Batches(Dataset data, int batchSize, boolean shuffle, Rng rng, DType dtype) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        this.data = data;
        this.batchSize = Math.min(batchSize, Math.max(1, data.size()));
        this.shuffle = shuffle;
        this.rng = rng;
        this.order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        this.xBuf = Tensor.zeros(dtype, this.batchSize, data.featureCount());
        this.tBuf = Tensor.zeros(dtype, this.batchSize, data.targets().cols());
    }

    public int count() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Draws this epoch's order (when shuffling). */
    public void startEpoch() {
        if (!shuffle) return;
        for (int i = 0; i < order.length; i++) order[i] = i;
        rng.shuffle(order, order.length);
    }

    /** Gathers batch b; then {@link #features()} and {@link #targets()} hold it. */
    public void load(int b) {
        load(b, null);
    }

    /**
     * Gathers batch b with the rows split over a pool (random rows of a large dataset are
     * memory-latency bound, so two cores fetch them faster than one). Each row is one copy.
     */
    public void load(int b, dev.jgrad.kernel.Parallel parallel) {
        int from = b * batchSize, n = Math.min(batchSize, data.size() - from);
        if (n <= 0) throw new IndexOutOfBoundsException("batch " + b + " of " + count());
        if (n != rows) {
            x = xBuf.view(0, Shape.of(n, data.featureCount()));
            t = tBuf.view(0, Shape.of(n, data.targets().cols()));
            rows = n;
        }
        this.from = from;
        this.n = n;
        if (parallel == null || parallel.threads() == 1 || !(x instanceof FloatTensor)) {
            gather(data.features(), x, from, 0, n);
        } else {
            taskCount = parallel.threads();
            parallel.run(taskCount, this);
        }
        gather(data.targets(), t, from, 0, n);
    }

    /** One share of a parallel gather: task i of T copies rows [n·i/T, n·(i+1)/T). */
    @Override
    public void run(int task) {
        int r0 = n * task / taskCount, r1 = n * (task + 1) / taskCount;
        if (r0 < r1) gather(data.features(), x, from, r0, r1);
    }

    /** Copies rows [r0, r1) of the batch starting at position from of this epoch's order. */
    private void gather(FloatTensor src, Tensor dst, int from, int r0, int r1) {
        int d = src.cols();
        float[] s = src.data();
        if (dst instanceof FloatTensor f) {
            for (int i = r0; i < r1; i++) System.arraycopy(s, src.offset() + order[from + i] * d, f.data(), f.offset() + i * d, d);
        } else {
            for (int i = r0; i < r1; i++) {
                int r = src.offset() + order[from + i] * d;
                for (int j = 0; j < d; j++) dst.set(i * d + j, s[r + j]);
            }
        }
    }

    public Tensor features() {
        return x;
    }

    public Tensor targets() {
        return t;
    }
}
