package dev.jgrad.nn;

import dev.jgrad.tensor.Tensor;

/**
 * A loss over a batch, reduced by the mean exactly as PyTorch defines it, so values and
 * gradients compare one to one. Sums are taken in double precision whatever the dtype.
 */
public interface Loss {

    /** The name by which {@link Losses#parse} reads it back. */
    String spec();

    /** L(output, target). */
    double forward(Tensor output, Tensor target);

    /** grad = dL/d(output); grad has the output's shape and dtype. */
    void backward(Tensor output, Tensor target, Tensor grad);

    /**
     * {@link #forward} and {@link #backward} in one call, as a training step needs them: returns
     * L and writes dL/d(output) into grad. Losses that share work between the two override it.
     */
    default double forwardBackward(Tensor output, Tensor target, Tensor grad) {
        double value = forward(output, target);
        backward(output, target, grad);
        return value;
    }

    /**
     * True when this loss reads the pre-activation of an output layer with activation {@code a}
     * (softmax cross-entropy after softmax, BCE-with-logits after sigmoid): the network then
     * hands it Z instead of f(Z) and its gradient is dL/dZ, which skips the activation's backward.
     */
    default boolean fusesWith(Activation a) {
        return false;
    }

    /** Shape of the gradient-check margin: distance of the nearest element to a kink of the loss. */
    default double kinkDistance(Tensor output, Tensor target) {
        return Double.POSITIVE_INFINITY;
    }

    /** Throws, naming both shapes, when target cannot be a target for output. */
    default void checkTarget(Tensor output, Tensor target) {
        if (!output.shape().equals(target.shape())) {
            throw new IllegalArgumentException(spec() + ": target " + target.shape()
                    + " does not match output " + output.shape());
        }
    }
}
