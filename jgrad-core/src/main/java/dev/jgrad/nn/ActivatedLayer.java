package dev.jgrad.nn;

import dev.jgrad.tensor.Tensor;

/**
 * A layer whose output is f(Z), an {@link Activation} applied last to a pre-activation Z it
 * computes. At the end of a network this is what lets a loss fuse with the output activation
 * (softmax cross-entropy with softmax, BCE-with-logits with sigmoid, see
 * {@link Loss#fusesWith}): the network stops at Z in a training forward pass and hands dL/dZ
 * straight back, skipping f and its backward. {@link Dense} is one; a layer of the user's own
 * takes part by implementing this.
 */
public interface ActivatedLayer extends Layer {

    /** f, applied last. */
    Activation activation();

    /**
     * Z for a batch, without f; the layer keeps what its backward needs, as {@link #forward}
     * does. {@link #completeActivation()} then gives Y: the two together equal {@code forward(x,
     * training)} to the bit.
     */
    Tensor forwardPreActivation(Tensor x, boolean training);

    /** Z of the last forward pass (either form). */
    Tensor preActivation();

    /** Y = f(Z) after {@link #forwardPreActivation}. */
    Tensor completeActivation();

    /**
     * The backward pass from Δ = dL/dZ rather than dL/dY: parameter gradients are added to
     * ({@code accumulate}) or written, and dL/dX is returned when {@code needInputGrad}, else null.
     */
    Tensor backwardFromDelta(Tensor delta, boolean needInputGrad, boolean accumulate);
}
