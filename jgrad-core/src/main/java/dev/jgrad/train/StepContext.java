package dev.jgrad.train;

import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.Tensor;

/**
 * What a {@link GradientHook} sees of the step under way: the network, its flat parameter and
 * gradient buffers (one view per parameter, laid out as {@link Sequential#parameters()}), the
 * batch's loss and size, and where training stands. One object per training loop, updated in
 * place each step, so that a step allocates nothing.
 */
public final class StepContext {
    private final Sequential network;
    private final Tensor parameters, gradients;
    private int epoch, batch, rows;
    private double loss;

    StepContext(Sequential network) {
        this.network = network;
        this.parameters = network.parameterBuffer();
        this.gradients = network.gradientBuffer();
    }

    void set(int epoch, int batch, int rows, double loss) {
        this.epoch = epoch;
        this.batch = batch;
        this.rows = rows;
        this.loss = loss;
    }

    public Sequential network() {
        return network;
    }

    /** All parameters, one flat buffer. */
    public Tensor parameters() {
        return parameters;
    }

    /** dL/d(parameters) of this batch, laid out as {@link #parameters()}; hooks may change it in place. */
    public Tensor gradients() {
        return gradients;
    }

    /** The 0-based epoch. */
    public int epoch() {
        return epoch;
    }

    /** The 0-based step within the epoch. */
    public int batch() {
        return batch;
    }

    /** Samples in this batch. */
    public int rows() {
        return rows;
    }

    /** The batch's mean loss, as the backward pass returned it (penalties not included). */
    public double loss() {
        return loss;
    }
}
