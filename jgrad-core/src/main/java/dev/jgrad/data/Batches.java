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
 * then copied in ranges of rows, which a caller with a thread pool may spread over it. The next
 * batch may be gathered ahead into a second buffer while the current one is in use
 * ({@link #selectNext}, {@link #gatherNextFeatures}, {@link #advance}).
 */
public final class Batches {
    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final Rng rng;
    private final int[] order;
    /** The buffers' element type: the second pair is allocated on the first gather ahead. */
    private final DType dtype;
    /**
     * Two buffers for features and targets: the current batch in one, the next one, when a
     * caller gathers it ahead ({@link #selectNext}), in the other. The second is allocated on
     * the first gather ahead.
     */
    private final Tensor[] xBufs = new Tensor[2], tBufs = new Tensor[2];
    /** Per buffer: views of its first rows (kept, so a batch of the same size allocates nothing) and their row count. */
    private final Tensor[] xs = new Tensor[2], ts = new Tensor[2];
    private final int[] rowsOf = {-1, -1};
    /** The buffer of the current batch. */
    private int slot;
    private Tensor x, t;
    private int rows = -1;
    /** The selected batch's start in this epoch's order. */
    private int from;
    /** The batch selected ahead into the other buffer: its start in this epoch's order, or -1 for none. */
    private int nextFrom = -1;
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
        this.xBufs[0] = Tensor.zeros(dtype, this.batchSize, data.featureCount());
        this.tBufs[0] = Tensor.zeros(dtype, this.batchSize, data.targets().cols());
        this.dtype = dtype;
    }

    public int count() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Draws this epoch's order (when shuffling). */
    public void startEpoch() {
        nextFrom = -1;
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
        int from = b * batchSize, n = rowsOfBatch(b);
        nextFrom = -1;
        views(slot, n);
        x = xs[slot];
        t = ts[slot];
        rows = n;
        this.from = from;
        copyRows(data.targets(), t, from, 0, n);
        return n;
    }

    /**
     * Selects batch b of this epoch as the next one, in the buffer the current batch does not
     * use, and gathers its targets: its feature rows are then copied by {@link #gatherNextFeatures}
     * (on another thread, say, while the current batch is still in use, which stays valid) and
     * it becomes the current batch at {@link #advance()}. Returns its number of rows.
     */
    public int selectNext(int b) {
        int n = rowsOfBatch(b);
        int other = 1 - slot;
        if (xBufs[other] == null) {
            xBufs[other] = Tensor.zeros(dtype, batchSize, data.featureCount());
            tBufs[other] = Tensor.zeros(dtype, batchSize, data.targets().cols());
        }
        views(other, n);
        nextFrom = b * batchSize;
        copyRows(data.targets(), ts[other], nextFrom, 0, n);
        return n;
    }

    /** Copies feature rows [r0, r1) of the batch selected by {@link #selectNext}; calls for disjoint ranges may run at once. */
    public void gatherNextFeatures(int r0, int r1) {
        int other = 1 - slot;
        if (nextFrom < 0) throw new IllegalStateException("no batch selected ahead");
        if (r0 < 0 || r1 > rowsOf[other] || r0 > r1) {
            throw new IndexOutOfBoundsException("rows [" + r0 + ", " + r1 + ") of a batch of " + rowsOf[other]);
        }
        copyRows(data.features(), xs[other], nextFrom, r0, r1);
    }

    /**
     * Makes the batch selected by {@link #selectNext} the current one; its features must have
     * been gathered. The buffer of the batch before is reused by the next {@code selectNext}.
     */
    public void advance() {
        if (nextFrom < 0) throw new IllegalStateException("no batch selected ahead");
        slot = 1 - slot;
        x = xs[slot];
        t = ts[slot];
        rows = rowsOf[slot];
        from = nextFrom;
        nextFrom = -1;
    }

    private int rowsOfBatch(int b) {
        int n = b < 0 ? 0 : Math.min(batchSize, data.size() - b * batchSize);
        if (n <= 0) throw new IndexOutOfBoundsException("batch " + b + " of " + count());
        return n;
    }

    /** Buffer s's views of its first n rows. */
    private void views(int s, int n) {
        if (n != rowsOf[s]) {
            xs[s] = xBufs[s].view(0, Shape.of(n, data.featureCount()));
            ts[s] = tBufs[s].view(0, Shape.of(n, data.targets().cols()));
            rowsOf[s] = n;
        }
    }

    /**
     * Copies feature rows [r0, r1) of the selected batch into {@link #features()}, each row one
     * copy; calls for disjoint ranges may run on different threads at once.
     */
    public void gatherFeatures(int r0, int r1) {
        if (r0 < 0 || r1 > rows || r0 > r1) {
            throw new IndexOutOfBoundsException("rows [" + r0 + ", " + r1 + ") of a batch of " + rows);
        }
        copyRows(data.features(), x, from, r0, r1);
    }

    /** Copies rows [r0, r1) of the batch starting at {@code from} in this epoch's order, from src to dst. */
    private void copyRows(FloatTensor src, Tensor dst, int from, int r0, int r1) {
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
