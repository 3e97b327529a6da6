package dev.jgrad.kernel;

import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;

import java.util.Arrays;

/**
 * Passes over a whole flat buffer (the gradients, a batch) spread over the pool in fixed chunks:
 * zeroing and the finiteness check. Each touches every element once and does nearly no
 * arithmetic, so on one core they run at memory speed while the other core would wait; in
 * chunks, both cores stream. The answer does not depend on the thread count.
 */
final class FlatPasses implements Parallel.Task {
    /** Elements per chunk: enough to amortise a dispatch, small enough for both threads to share. */
    static final int CHUNK = 1 << 15;

    private static final Kernels K = Kernels.get();
    private static final ThreadLocal<FlatPasses> CALLS = ThreadLocal.withInitial(FlatPasses::new);

    private Tensor t;
    private boolean zero;
    private int[] found = new int[0];

    /** Flat index of the first NaN or infinity in t, or -1. */
    static int firstNonFinite(Parallel par, Tensor t) {
        int n = t.size(), chunks = chunks(par, n);
        if (chunks <= 1) return firstNonFinite(t, 0, n);
        FlatPasses p = CALLS.get();
        if (p.found.length < chunks) p.found = new int[chunks];
        p.run(par, t, chunks, false);
        // The first chunk that found something holds the first bad element of all.
        for (int c = 0; c < chunks; c++) if (p.found[c] >= 0) return c * CHUNK + p.found[c];
        return -1;
    }

    /** Sets every element of t to 0. */
    static void zero(Parallel par, Tensor t) {
        int n = t.size(), chunks = chunks(par, n);
        if (chunks <= 1) {
            t.zero();
            return;
        }
        CALLS.get().run(par, t, chunks, true);
    }

    private void run(Parallel par, Tensor t, int chunks, boolean zero) {
        this.t = t;
        this.zero = zero;
        try {
            par.run(chunks, this);
        } finally {
            this.t = null;
        }
    }

    private static int chunks(Parallel par, int n) {
        return par == null || par.threads() == 1 ? 1 : (n + CHUNK - 1) / CHUNK;
    }

    @Override
    public void run(int c) {
        int from = c * CHUNK, to = Math.min(t.size(), from + CHUNK);
        if (zero) {
            switch (t) {
                case FloatTensor f -> Arrays.fill(f.data(), f.offset() + from, f.offset() + to, 0f);
                case DoubleTensor d -> Arrays.fill(d.data(), d.offset() + from, d.offset() + to, 0d);
            }
        } else {
            found[c] = firstNonFinite(t, from, to - from);
        }
    }

    private static int firstNonFinite(Tensor t, int from, int len) {
        return switch (t) {
            case FloatTensor f -> K.firstNonFinite(f.data(), f.offset() + from, len);
            case DoubleTensor d -> K.firstNonFinite(d.data(), d.offset() + from, len);
        };
    }
}
