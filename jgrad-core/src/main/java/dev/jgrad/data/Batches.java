package dev.jgrad.data;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

/**
 * Mini-batches over a dataset, in a seeded shuffled order (or in order), the last partial batch
 * kept. Rows are gathered into buffers owned by this object and reused: batch {@code b} stays
 * valid until the next call. A batch is gathered at once ({@link #load(int)}) or selected and
 * then copied in ranges of rows, which a caller with a thread pool may spread over it.
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
    /** The selected batch's start in this epoch's order. */
    private int from;
    /** Rows ahead of the one being copied whose first and last elements are read early. */
    private static final int AHEAD = 4;
    /** Where the early reads go, so that the compiler keeps them; its value means nothing. */
    @SuppressWarnings("unused")
    private int sink;

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
        gatherFeatures(0, select(b));
    }

    /**
     * Makes batch b the current one and gathers its targets; its feature rows are then copied by
     * {@link #gatherFeatures}, at once or in disjoint ranges on several threads (random rows of a
     * large dataset are memory-latency bound, so two cores fetch them faster than one). Returns
     * the batch's number of rows.
     */
    public int select(int b) {
        int from = b * batchSize, n = Math.min(batchSize, data.size() - from);
        if (n <= 0) throw new IndexOutOfBoundsException("batch " + b + " of " + count());
        if (n != rows) {
            x = xBuf.view(0, Shape.of(n, data.featureCount()));
            t = tBuf.view(0, Shape.of(n, data.targets().cols()));
            rows = n;
        }
        this.from = from;
        copyRows(data.targets(), t, 0, n);
        return n;
    }

    /**
     * Copies feature rows [r0, r1) of the selected batch into {@link #features()}, each row one
     * copy; calls for disjoint ranges may run on different threads at once.
     */
    public void gatherFeatures(int r0, int r1) {
        if (r0 < 0 || r1 > rows || r0 > r1) {
            throw new IndexOutOfBoundsException("rows [" + r0 + ", " + r1 + ") of a batch of " + rows);
        }
        copyRows(data.features(), x, r0, r1);
    }

    /** Copies rows [r0, r1) of the selected batch, by this epoch's order, from src to dst. */
    private void copyRows(FloatTensor src, Tensor dst, int r0, int r1) {
        int d = src.cols();
        float[] s = src.data();
        if (dst instanceof FloatTensor f) {
            // Rows AHEAD places further on are touched at their first and last element before
            // this one is copied: their cache and TLB misses then overlap this copy instead of
            // each row waiting for its own (the rows lie at random in a set far larger than the caches).
            int touched = 0;
            for (int i = r0; i < r1; i++) {
                if (i + AHEAD < r1) {
                    int q = src.offset() + order[from + i + AHEAD] * d;
                    touched += Float.floatToRawIntBits(s[q]) ^ Float.floatToRawIntBits(s[q + d - 1]);
                }
                System.arraycopy(s, src.offset() + order[from + i] * d, f.data(), f.offset() + i * d, d);
            }
            sink = touched;
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
