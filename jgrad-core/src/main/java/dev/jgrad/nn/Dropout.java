package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * Inverted dropout: in training each element is kept with probability 1 − p and scaled by
 * 1/(1 − p), so evaluation is the identity. Y = X ⊙ M; backward: dX = G ⊙ M with the same mask.
 * Masks come from the network's seeded generator. {@link #fixMask} freezes the current mask so
 * a gradient check can treat the layer as the deterministic map it then is.
 */
public final class Dropout implements Layer {
    /** Saved as {@code p}; the width is the previous layer's. */
    public static final LayerCodec CODEC = new LayerCodec() {
        @Override
        public String type() {
            return "dropout";
        }

        @Override
        public void write(Layer layer, LayerConfig c) {
            c.put("p", ((Dropout) layer).p);
        }

        @Override
        public Layer read(LayerConfig c, int inputWidth) {
            return new Dropout(inputWidth, c.getDouble("p", 0, Math.nextDown(1.0)));
        }
    };

    private final int width;
    private final double p;
    private Rng rng;
    private Tensor mask, maskBuf, y, yBuf;
    private boolean training, fixed;
    /** When set, input row i takes the mask of row positions[i] of a batch of {@link #placedTotal} rows. */
    private int[] positions;
    private int placedTotal;

    public Dropout(int width, double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.width = width;
        this.p = p;
    }

    public double probability() {
        return p;
    }

    @Override public int inputSize() { return width; }
    @Override public int outputSize() { return width; }
    @Override public int parameterCount() { return 0; }

    @Override
    public void bind(Tensor params, Tensor grads, Parallel parallel, Rng rng) {
        this.rng = rng;
    }

    @Override
    public void initialize(Random init) {
    }

    /** Keeps the last mask for every later forward pass (true), or draws a fresh one each time (false). */
    public void fixMask(boolean fix) {
        if (fix && mask == null) throw new IllegalStateException("run a training forward pass before fixing the mask");
        this.fixed = fix;
    }

    /**
     * Makes the next training passes draw, for input row i, exactly the mask that row
     * {@code positions[i]} of a batch of {@code total} rows would get, and leave the generator
     * where that whole batch would have left it: a worker that holds some rows of a batch draws
     * the masks one machine would draw for them. {@code null} returns to whole batches.
     */
    public void placeRows(int[] positions, int total) {
        this.positions = positions;
        this.placedTotal = total;
    }

    /** Evaluation mode keeps every element: Y = X. */
    @Override
    public InferenceLayer inference() {
        return new InferenceLayer() {
            @Override
            public int inputSize() {
                return width;
            }

            @Override
            public int outputSize() {
                return width;
            }

            @Override
            public void forward(Parallel par, float[] x, int xOff, int rows, float[] y, int yOff, float[] scratch) {
                System.arraycopy(x, xOff, y, yOff, rows * width);
            }
        };
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        this.training = training;
        if (!training || p == 0) return x;
        int rows = x.rows();
        if (yBuf == null || yBuf.rows() < rows || yBuf.dtype() != x.dtype()) yBuf = Tensor.zeros(x.dtype(), rows, width);
        if (y == null || y.rows() != rows || y.dtype() != x.dtype()) y = yBuf.view(0, Shape.of(rows, width));
        if (fixed) {
            if (mask.rows() != rows) throw new IllegalStateException("fixed dropout mask " + mask.shape()
                    + " does not fit input " + x.shape());
        } else {
            if (maskBuf == null || maskBuf.rows() < rows) maskBuf = Tensor.zeros(x.dtype(), rows, width);
            if (mask == null || mask.rows() != rows) mask = maskBuf.view(0, Shape.of(rows, width));
            double keep = 1 / (1 - p);
            if (positions == null) {
                for (int i = 0, n = mask.size(); i < n; i++) mask.set(i, rng.nextFloat() >= p ? keep : 0);
            } else {
                drawPlaced(rows, keep);
            }
        }
        for (int i = 0, n = x.size(); i < n; i++) y.set(i, x.get(i) * mask.get(i));
        return y;
    }

    private void drawPlaced(int rows, double keep) {
        if (rows > positions.length) throw new IllegalStateException("dropout was placed for " + positions.length
                + " rows, the input has " + rows);
        long start = rng.state();
        for (int r = 0; r < rows; r++) {
            rng.setState(start);
            rng.skip((long) positions[r] * width);
            for (int j = 0; j < width; j++) mask.set(r * width + j, rng.nextFloat() >= p ? keep : 0);
        }
        rng.setState(start);
        rng.skip((long) placedTotal * width);
    }

    @Override
    public Tensor backward(Tensor g, boolean needInputGrad) {
        if (!needInputGrad) return null;
        if (!training || p == 0) return g;
        // dX = G ⊙ M, written over G: the layer above no longer needs it.
        for (int i = 0, n = g.size(); i < n; i++) g.set(i, g.get(i) * mask.get(i));
        return g;
    }

    @Override public List<Parameter> parameters() { return List.of(); }
    /** A copy keeps a fixed mask, so a gradient check's float64 copy sees the same map. */
    @Override
    public Layer copyConfig() {
        Dropout d = new Dropout(width, p);
        if (fixed) {
            d.mask = mask.copy();
            d.fixed = true;
        }
        return d;
    }
    @Override public boolean isStochastic() { return p > 0 && !fixed; }
    @Override public String kind() { return "dropout"; }
    @Override public String describe() { return "Dropout(p=" + p + ")"; }
    @Override public String toString() { return describe(); }
}
