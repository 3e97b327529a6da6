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
public final class Batches {
    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final Rng rng;
    private final int[] order;
    private final Tensor xBuf, tBuf;
    private Tensor x, t;
    private int rows = -1;

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
        int from = b * batchSize, n = Math.min(batchSize, data.size() - from);
        if (n <= 0) throw new IndexOutOfBoundsException("batch " + b + " of " + count());
        if (n != rows) {
            x = xBuf.view(0, Shape.of(n, data.featureCount()));
            t = tBuf.view(0, Shape.of(n, data.targets().cols()));
            rows = n;
        }
        gather(data.features(), x, from, n);
        gather(data.targets(), t, from, n);
    }

    private void gather(FloatTensor src, Tensor dst, int from, int n) {
        int d = src.cols();
        float[] s = src.data();
        if (dst instanceof FloatTensor f) {
            for (int i = 0; i < n; i++) System.arraycopy(s, src.offset() + order[from + i] * d, f.data(), f.offset() + i * d, d);
        } else {
            for (int i = 0; i < n; i++) {
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
