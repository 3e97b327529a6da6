package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.DType;

import java.util.ArrayList;
import java.util.List;

/** Builds a network layer by layer; each layer's input is the previous layer's output. */
public final class SequentialBuilder {
    private final int inputSize;
    private final List<Layer> layers = new ArrayList<>();
    private int width;
    private DType dtype = DType.F32;
    private long seed = 1;
    private Parallel parallel;
    private boolean ownsParallel;

    SequentialBuilder(int inputSize) {
        if (inputSize <= 0) throw new IllegalArgumentException("input size must be positive, got " + inputSize);
        this.inputSize = inputSize;
        this.width = inputSize;
    }

    public SequentialBuilder dense(int out, Activation activation) {
        return add(new Dense(width, out, activation));
    }

    public SequentialBuilder dense(int out, Activation activation, Init init) {
        return add(new Dense(width, out, activation, init));
    }

    /** Inverted dropout with drop probability p. */
    public SequentialBuilder dropout(double p) {
        return add(new Dropout(width, p));
    }

    public SequentialBuilder batchNorm() {
        return add(new BatchNorm(width));
    }

    public SequentialBuilder layerNorm() {
        return add(new LayerNorm(width));
    }

    public SequentialBuilder add(Layer layer) {
        if (layer.inputSize() != width) {
            throw new IllegalArgumentException(layer.describe() + " takes [B, " + layer.inputSize()
                    + "] but the network so far gives [B, " + width + "]");
        }
        layers.add(layer);
        width = layer.outputSize();
        return this;
    }

    /** The width the next layer will receive. */
    public int width() {
        return width;
    }

    public SequentialBuilder dtype(DType dtype) {
        this.dtype = dtype;
        return this;
    }

    public SequentialBuilder seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** A pool of this network's own with this many threads (default: the shared pool, one per processor). */
    public SequentialBuilder threads(int threads) {
        this.parallel = Parallel.create(threads);
        this.ownsParallel = true;
        return this;
    }

    public SequentialBuilder parallel(Parallel parallel) {
        this.parallel = parallel;
        this.ownsParallel = false;
        return this;
    }

    public Sequential build() {
        Parallel p = parallel != null ? parallel : Parallel.common();
        Sequential s = new Sequential(inputSize, layers, dtype, p, ownsParallel);
        s.initialize(seed);
        return s;
    }
}
