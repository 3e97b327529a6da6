package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * One stage of a {@link Sequential} network: a forward map and, beside it, its backward rule.
 * A layer owns no parameter storage of its own: {@link #bind} hands it views into the network's
 * flat parameter and gradient buffers, so optimizers, checkpoints and all-reduce see one buffer.
 * A layer keeps its output and delta buffers between batches and reallocates only when the
 * batch grows, so a training step allocates nothing once warm.
 */
public interface Layer {

    int inputSize();

    int outputSize();

    /** Number of scalars this layer keeps in the flat parameter buffer. */
    int parameterCount();

    /**
     * Hands the layer its slices of the flat buffers (length {@link #parameterCount()}), the pool
     * to run on, and the network's generator for training-time randomness (dropout masks).
     */
    void bind(Tensor params, Tensor grads, Parallel parallel, Rng rng);

    /** Fills the bound parameters with their initial values. */
    void initialize(Random rng);

    /** Y = layer(X). The layer may keep X (not a copy) for the backward pass. */
    Tensor forward(Tensor x, boolean training);

    /**
     * Given G = dL/dY for the last forward, accumulates (+=) the parameter gradients and returns
     * dL/dX, or null when {@code needInputGrad} is false.
     */
    Tensor backward(Tensor gradOutput, boolean needInputGrad);

    /**
     * True when this layer can write its parameter gradients instead of adding to them
     * ({@link #backward(Tensor, boolean, boolean)} with {@code accumulate} false).
     */
    default boolean writesGradients() {
        return false;
    }

    /**
     * {@link #backward(Tensor, boolean)} that, when {@code accumulate} is false, sets the parameter
     * gradients to this batch's rather than adding to them: a network whose gradients were
     * consumed then neither clears them nor reads them back. Layers that cannot, and say so in
     * {@link #writesGradients()}, are cleared by the network and accumulate.
     */
    default Tensor backward(Tensor gradOutput, boolean needInputGrad, boolean accumulate) {
        if (!accumulate) throw new UnsupportedOperationException(describe() + " only accumulates its gradients");
        return backward(gradOutput, needInputGrad);
    }

    /** Parameter views under local names ("weight", "bias", ...). */
    List<Parameter> parameters();

    /**
     * State that is saved with the model but not trained (batch norm's running statistics),
     * under local names; the grad of each entry is null.
     */
    default List<Parameter> buffers() {
        return List.of();
    }

    /**
     * This layer's evaluation-mode forward over a snapshot of its current parameters and
     * statistics, safe to share between threads: what {@code dev.jgrad.infer} serves. The default
     * runs private copies of the layer ({@link #copyConfig()}) and is correct for any layer; a
     * layer overrides it to compute without copies and to make each row's bits independent of
     * the batch, as jgrad's own layers do.
     */
    default InferenceLayer inference() {
        return new PooledInference(this);
    }

    /** A new, unbound layer of the same configuration. */
    Layer copyConfig();

    /** True when forward in training mode is random (dropout): a numeric gradient check is then meaningless. */
    default boolean isStochastic() {
        return false;
    }

    /**
     * The type name: the key of this layer's {@link LayerCodec} in {@link LayerRegistry}, and the
     * prefix of its parameters' names in a network ({@code batch_norm.0.weight}; "dense" is
     * written "layers", as in {@code layers.0.weight}).
     */
    String kind();

    /** Human-readable configuration, e.g. {@code Dense(784 → 256, relu)}. */
    String describe();
}
