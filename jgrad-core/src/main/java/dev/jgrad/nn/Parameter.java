package dev.jgrad.nn;

import dev.jgrad.tensor.Tensor;

/**
 * A named parameter tensor and its gradient, both views into the network's flat buffers, with
 * the role it plays. Names follow the model file: {@code layers.0.weight}, {@code layers.0.bias},
 * {@code batch_norm.0.weight}, ...; a buffer (saved, not trained) has a null gradient.
 */
public record Parameter(String name, Tensor value, Tensor grad, Role role) {

    /**
     * What a parameter does, so that regularisers choose by meaning rather than by name: L1 and
     * L2 penalties apply to {@link #WEIGHT}s (Keras's kernel regularisers), never to biases or the
     * scale and shift of a normalisation.
     */
    public enum Role {
        /** A weight matrix that multiplies the input (a dense layer's W). */
        WEIGHT,
        /** An additive bias. */
        BIAS,
        /** The per-feature scale γ of a normalisation layer. */
        NORM_SCALE,
        /** The per-feature shift β of a normalisation layer. */
        NORM_SHIFT,
        /** Saved state that is not trained (batch norm's running statistics). */
        STATISTIC
    }

    /** The same parameter under another name (the network prefixes a layer's local names). */
    public Parameter renamed(String newName) {
        return new Parameter(newName, value, grad, role);
    }
}
