package dev.jgrad.kernel;

import java.lang.System.Logger.Level;

/**
 * The numeric kernels every layer is built from, over plain arrays. Matrices are addressed by
 * strides: element (i, j) of A is {@code a[aOff + i*aRs + j*aCs]}, so the three GEMM shapes of
 * a dense layer (X·Wᵀ, Δᵀ·X, Δ·W) are one routine with different strides and no transposed
 * copies. C is row-major with leading dimension {@code ldc}.
 *
 * <p>Two implementations: {@link ScalarKernels}, the reference, and a Vector API one chosen once
 * at start-up when the JVM can read {@code jdk.incubator.vector}. The choice is announced in one
 * line through {@link System.Logger}; {@code -Djgrad.kernels=scalar} forces the reference.
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

    /** c[i, :] += v for each of the m contiguous rows of length n. */
    void addRowVector(float[] c, int cOff, int m, int n, float[] v, int vOff);

    void addRowVector(double[] c, int cOff, int m, int n, double[] v, int vOff);

    /** out += Σ_i a[i, :] over m contiguous rows of length n, summed in row order. */
    void addColumnSums(float[] a, int aOff, int m, int n, float[] out, int outOff);

    void addColumnSums(double[] a, int aOff, int m, int n, double[] out, int outOff);

    /** Index (relative to off) of the first NaN or infinity among len elements, or -1. */
    int firstNonFinite(float[] a, int off, int len);

    int firstNonFinite(double[] a, int off, int len);

    /** Z[i, :] += b, then Y = max(Z, 0): a dense layer's bias and relu in one pass over m rows of n. */
    void biasRelu(float[] z, int zOff, float[] y, int yOff, int m, int n, float[] b, int bOff);

    /** Δ = G where Z > 0, else 0: relu's backward over n elements. */
    void reluBackward(float[] z, int zOff, float[] g, int gOff, float[] d, int dOff, int n);

    /**
     * One fused Adam/AdamW step over float32 buffers (the training hot path), per element:
     * p ← p·shrink; g ← g + l2·p; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
     * p ← p − stepSize · m / (√v / bc2Sqrt + eps), state at m[so + i], v[so + i]. Arithmetic in
     * float32, as PyTorch does. The last line is computed in the Adam paper's equivalent form,
     * p ← p − (stepSize·bc2Sqrt) · m / (√v + eps·bc2Sqrt): one division per element instead of
     * two (division and square root share one slow unit, and they bound this pass, not memory).
     */
    void adam(float[] p, int po, float[] g, int go, float[] m, float[] v, int so, int n,
              float beta1, float beta2, float stepSize, float bc2Sqrt, float eps, float shrink, float l2);

    /**
     * Runs every kernel on small inputs until the JIT has compiled it. Vector API code runs a
     * thousand times slower interpreted than compiled, so without this a network's first
     * training step takes about a second; with it, one to two seconds of one core that can be
     * spent while data loads (see {@link #warmUpInBackground()}). Nothing to do for scalar kernels.
     */
    default void warmUp() {
    }

    /** Starts {@link #warmUp()} of the chosen kernels on a daemon thread and returns that thread. */
    static Thread warmUpInBackground() {
        Thread t = new Thread(() -> get().warmUp(), "jgrad-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        return t;
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
            System.Logger log = System.getLogger("dev.jgrad.kernel");
            if ("scalar".equalsIgnoreCase(System.getProperty("jgrad.kernels"))) {
                log.log(Level.INFO, "jgrad: scalar kernels (forced by -Djgrad.kernels=scalar)");
                return ScalarKernels.INSTANCE;
            }
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                log.log(Level.WARNING, "jgrad: jdk.incubator.vector is not enabled, using scalar kernels"
                        + " (several times slower); start java with --add-modules jdk.incubator.vector");
                return ScalarKernels.INSTANCE;
            }
            try {
                // Loaded by name so that nothing else links against the incubator module.
                Kernels k = (Kernels) Class.forName("dev.jgrad.kernel.VectorKernels")
                        .getDeclaredConstructor().newInstance();
                log.log(Level.INFO, "jgrad: " + k.description());
                return k;
            } catch (ReflectiveOperationException | LinkageError e) {
                log.log(Level.WARNING, "jgrad: Vector API kernels failed to load (" + e
                        + "), using scalar kernels (several times slower)");
                return ScalarKernels.INSTANCE;
            }
        }
    }
}
