package dev.jgrad.kernel;

import java.lang.System.Logger.Level;

/**
 * The linear algebra every layer is built from, over plain arrays: GEMM, a row vector added to
 * every row, column sums, and the finiteness check of whole buffers. Matrices are addressed by
 * strides: element (i, j) of A is {@code a[aOff + i*aRs + j*aCs]}, so the three GEMM shapes of
 * a dense layer (X·Wᵀ, Δᵀ·X, Δ·W) are one routine with different strides and no transposed
 * copies. C is row-major with leading dimension {@code ldc}.
 *
 * <p>Two implementations: {@link ScalarKernels}, the reference, and a Vector API one chosen once
 * at start-up when the JVM can read {@code jdk.incubator.vector} ({@link Vectorization}). The
 * choice is announced in one line through {@link System.Logger}; {@code -Djgrad.kernels=scalar}
 * forces the reference. The fused passes of particular layers and optimizers are
 * {@link FusedPasses}, chosen the same way.
 */
public interface Kernels {

    /** What this implementation is, for the start-up notice and benchmark reports. */
    String description();

    /** C (+)= A·B with A m×k and B k×n given by strides; C is overwritten unless accumulating. */
    void gemm(Parallel par, int m, int n, int k,
              float[] a, int aOff, int aRs, int aCs,
              float[] b, int bOff, int bRs, int bCs,
              float[] c, int cOff, int ldc, boolean accumulate);

    void gemm(Parallel par, int m, int n, int k,
              double[] a, int aOff, int aRs, int aCs,
              double[] b, int bOff, int bRs, int bCs,
              double[] c, int cOff, int ldc, boolean accumulate);

    /**
     * C = A·Bᵀ, A m×k and B n×k with contiguous rows (leading dimensions lda and ldb): the
     * product of inference, X·Wᵀ. Each element of C is one dot product summed in an order that
     * depends on neither m, nor which row it is, nor the thread count, so a row of C has the same
     * bits computed alone or in any batch; they are the bits {@link #gemm} gives X·Wᵀ for one row.
     * Uses no per-thread buffers, so any number of threads (virtual ones too) may call it.
     */
    void rowDots(Parallel par, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                 float[] c, int cOff, int ldc);

    /**
     * W (n × k, rows contiguous from wOff) copied into the layout {@link #rowDotsPacked} reads,
     * or null where this implementation has none and reads W as it is ({@link #rowDots}).
     */
    default float[] packForRowDots(float[] w, int wOff, int n, int k) {
        return null;
    }

    /**
     * {@link #rowDots} (A's rows lda apart, C's n apart) over W as {@link #packForRowDots} laid it
     * out: the same bits.
     */
    default void rowDotsPacked(Parallel par, int m, int n, int k, float[] a, int aOff, int lda, float[] packed,
                               float[] c, int cOff) {
        throw new UnsupportedOperationException(description() + " packs no weights");
    }

    /**
     * Compiles the kernels of {@link #rowDots} and {@link #rowDotsPacked}, once per JVM (later
     * calls return at once). Nothing to do for scalar kernels.
     */
    default void warmUpRowDots() {
    }

    /** c[i, :] += v for each of the m contiguous rows of length n. */
    void addRowVector(float[] c, int cOff, int m, int n, float[] v, int vOff);

    void addRowVector(double[] c, int cOff, int m, int n, double[] v, int vOff);

    /** out += Σ_i a[i, :] over m contiguous rows of length n, summed in row order. */
    void addColumnSums(float[] a, int aOff, int m, int n, float[] out, int outOff);

    void addColumnSums(double[] a, int aOff, int m, int n, double[] out, int outOff);

    /** Index (relative to off) of the first NaN or infinity among len elements, or -1. */
    int firstNonFinite(float[] a, int off, int len);

    int firstNonFinite(double[] a, int off, int len);

    /**
     * Runs every kernel on small inputs until the JIT has compiled it (see {@link WarmUp}, which
     * warms these and the fused passes together). Nothing to do for scalar kernels.
     */
    default void warmUp() {
    }

    /** The implementation chosen at start-up. */
    static Kernels get() {
        return Selection.INSTANCE;
    }

    /** The scalar reference implementation. */
    static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** Holds the choice; kept apart so that the interface itself loads nothing optional. */
    final class Selection {
        static final Kernels INSTANCE = choose();

        private Selection() {
        }

        private static Kernels choose() {
            Kernels k = Vectorization.load(Kernels.class, "dev.jgrad.kernel.VectorKernels", ScalarKernels.INSTANCE);
            // The one-line notice of the Vector API: which width and micro-kernel it runs.
            if (k != ScalarKernels.INSTANCE) Vectorization.LOG.log(Level.INFO, "jgrad: " + k.description());
            return k;
        }
    }
}
