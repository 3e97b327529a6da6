package dev.jgrad.kernel;

/**
 * The element-wise hot paths of a training step fused into single passes over memory: a dense
 * layer's bias and relu, relu's backward, and Adam's update. Each reads and writes its buffers
 * once where separate operations would stream them several times. They belong to particular
 * layers and optimizers, so they are kept apart from the linear algebra of {@link Kernels}.
 *
 * <p>Two implementations: {@link ScalarFusedPasses}, the reference, and a Vector API one with the
 * same arithmetic in the same order (so the same bits), chosen at start-up as the kernels are
 * ({@link Vectorization}).
 */
public interface FusedPasses {

    /** What this implementation is, for reports and tests. */
    String description();

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

    /** Runs every pass on small inputs until the JIT has compiled it (see {@link WarmUp}). Nothing to do for scalar passes. */
    default void warmUp() {
    }

    /** The implementation chosen at start-up. */
    static FusedPasses get() {
        return Selection.INSTANCE;
    }

    /** The scalar reference implementation. */
    static FusedPasses scalar() {
        return ScalarFusedPasses.INSTANCE;
    }

    /** Holds the choice; kept apart so that the interface itself loads nothing optional. */
    final class Selection {
        static final FusedPasses INSTANCE = Vectorization.load(FusedPasses.class, "dev.jgrad.kernel.VectorFusedPasses",
                ScalarFusedPasses.INSTANCE);

        private Selection() {
        }
    }
}
