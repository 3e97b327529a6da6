package dev.jgrad.kernel;

/**
 * e^x over float32 arrays, in place: each element becomes {@code (float) Math.exp(x)}, to the
 * bit, for every float x (NaN, infinities, signed zeros, subnormals and results that overflow
 * or underflow included). Softmax takes its exponentials here, in training and in inference
 * alike, so that both give the bits the scalar loop gave.
 *
 * <p>Two implementations, chosen at start-up as the kernels are ({@link Vectorization}): the
 * scalar reference, which is that expression in a loop, and a Vector API one
 * ({@code VectorFloatExp}) that computes e^x in double to a proven error bound and takes the
 * reference's expression for any element whose float rounding that bound leaves in doubt.
 */
public interface FloatExp {

    /** What this implementation is, for reports and tests. */
    String description();

    /** {@code a[off + i] = (float) Math.exp(a[off + i])} for i in [0, n). */
    void exp(float[] a, int off, int n);

    /**
     * Runs the pass on small inputs until the JIT has compiled it. The vector implementation
     * takes the scalar loop (the same bits) until this has run, so that a JVM which calls it
     * only a few times pays for no vector classes. Nothing to do for the scalar reference.
     */
    default void warmUp() {
    }

    /** The implementation chosen at start-up. */
    static FloatExp get() {
        return Selection.INSTANCE;
    }

    /** The scalar reference. */
    static FloatExp scalar() {
        return ScalarFloatExp.INSTANCE;
    }

    /** Holds the choice; kept apart so that the interface itself loads nothing optional. */
    final class Selection {
        static final FloatExp INSTANCE = Vectorization.load(FloatExp.class, "dev.jgrad.kernel.VectorFloatExp",
                ScalarFloatExp.INSTANCE);

        private Selection() {
        }
    }
}
