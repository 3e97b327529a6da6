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
     * W (n × k, rows contiguous from wOff) copied, once for weights that stay fixed (a model
     * frozen for prediction), into the layout {@link #gemmPackedNT} reads: for the Vector API
     * kernels, the packed B that {@link #gemm} builds from Wᵀ on every call; for the scalar ones,
     * W as it is.
     */
    default float[] packTransposed(float[] w, int wOff, int n, int k) {
        return java.util.Arrays.copyOfRange(w, wOff, wOff + n * k);
    }

    /**
     * C = A·Wᵀ, A m × k (rows lda apart), W n × k as {@link #packTransposed} laid it out, C's rows
     * ldc apart: the product of inference. Each element is summed in {@link #gemm}'s order for
     * X·Wᵀ, which depends on neither m, nor which row it is, nor the thread count, so a row of C
     * has the same bits computed alone or in any batch: those {@link #gemm} gives X·Wᵀ in a
     * batch of six rows or more (a forward pass in training). Uses no per-thread buffers, so any
     * number of threads (virtual ones too) may call it.
     */
    default void gemmPackedNT(Parallel par, int m, int n, int k, float[] a, int aOff, int lda, float[] packed,
                              float[] c, int cOff, int ldc) {
        gemm(par, m, n, k, a, aOff, lda, 1, packed, 0, 1, k, c, cOff, ldc, false);
    }

    /**
     * Compiles the kernels of {@link #gemmPackedNT}, once per JVM (later calls return at once).
     * Nothing to do for scalar kernels.
     */
    default void warmUpPacked() {
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
