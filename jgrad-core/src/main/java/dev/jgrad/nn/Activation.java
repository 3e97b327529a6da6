package dev.jgrad.nn;

import dev.jgrad.kernel.TensorOps;
import dev.jgrad.tensor.Tensor;

/**
 * An activation f applied to a layer's pre-activation Z, with the backward rule of DESIGN.md:
 * given G = dL/dY, the layer's delta is Δ = G ⊙ f'(Z) (softmax, being row-wise, applies its
 * Jacobian instead). Implementations are stateless and safe to share.
 */
public interface Activation {

    /** The name by which {@link Activations#parse} reads it back, parameters included. */
    String spec();

    /** Y = f(Z); Y and Z have the same shape and dtype (they may not alias). */
    void forward(Tensor z, Tensor y);

    /**
     * Z[i, :] += b, then Y = f(Z): a dense layer's bias and activation. Activations with a
     * fused kernel (relu) do both in one pass over Z.
     */
    default void forwardWithBias(Tensor z, Tensor bias, Tensor y) {
        TensorOps.addRowVector(z, bias);
        forward(z, y);
    }

    /** Δ = G ⊙ f'(Z), given Z, Y = f(Z) and G = dL/dY; Δ may alias G. */
    void backward(Tensor z, Tensor y, Tensor g, Tensor delta);

    /**
     * Distance from z to the nearest point where f' jumps (0 for relu); +∞ for smooth functions.
     * Gradient checks refuse to run within a margin of such points: there the finite difference
     * measures neither one-sided derivative.
     */
    default double kinkDistance(double z) {
        return Double.POSITIVE_INFINITY;
    }
}
