package com.example.jgradext;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.LayerCodec;
import dev.jgrad.nn.LayerConfig;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * A layer written outside jgrad, as a user would: y = s ⊙ x + c per feature, with learnable s
 * and c. Backward: ds += Σ_b g ⊙ x, dc += Σ_b g, dx = g ⊙ s.
 */
public final class ScaleShift implements Layer {
    /** Saved as {@code width} and {@code init_scale}. */
    public static final LayerCodec CODEC = new LayerCodec() {
        @Override
        public String type() {
            return "example_scale_shift";
        }

        @Override
        public void write(Layer layer, LayerConfig c) {
            ScaleShift s = (ScaleShift) layer;
            c.put("width", s.width).put("init_scale", s.initScale);
        }

        @Override
        public Layer read(LayerConfig c, int inputWidth) {
            return new ScaleShift(c.getSize("width"), c.getDouble("init_scale", -10, 10));
        }
    };

    private final int width;
    private final double initScale;
    private Tensor s, c, ds, dc, x, y, dx;

    public ScaleShift(int width, double initScale) {
        this.width = width;
        this.initScale = initScale;
    }

    @Override public int inputSize() { return width; }
    @Override public int outputSize() { return width; }
    @Override public int parameterCount() { return 2 * width; }

    @Override
    public void bind(Tensor params, Tensor grads, Parallel parallel, Rng rng) {
        s = params.view(0, Shape.of(width));
        c = params.view(width, Shape.of(width));
        ds = grads.view(0, Shape.of(width));
        dc = grads.view(width, Shape.of(width));
    }

    @Override
    public void initialize(Random rng) {
        for (int j = 0; j < width; j++) {
            s.set(j, initScale + 0.1 * rng.nextGaussian());
            c.set(j, 0.1 * rng.nextGaussian());
        }
    }

    @Override
    public Tensor forward(Tensor input, boolean training) {
        x = input;
        if (y == null || y.rows() != input.rows()) y = Tensor.zeros(input.dtype(), input.rows(), width);
        for (int b = 0; b < input.rows(); b++) {
            for (int j = 0; j < width; j++) y.set(b, j, s.get(j) * input.get(b, j) + c.get(j));
        }
        return y;
    }

    @Override
    public Tensor backward(Tensor g, boolean needInputGrad) {
        for (int b = 0; b < g.rows(); b++) {
            for (int j = 0; j < width; j++) {
                ds.set(j, ds.get(j) + g.get(b, j) * x.get(b, j));
                dc.set(j, dc.get(j) + g.get(b, j));
            }
        }
        if (!needInputGrad) return null;
        if (dx == null || dx.rows() != g.rows()) dx = Tensor.zeros(g.dtype(), g.rows(), width);
        for (int b = 0; b < g.rows(); b++) for (int j = 0; j < width; j++) dx.set(b, j, g.get(b, j) * s.get(j));
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("scale", s, ds, Parameter.Role.NORM_SCALE),
                new Parameter("shift", c, dc, Parameter.Role.NORM_SHIFT));
    }

    @Override public Layer copyConfig() { return new ScaleShift(width, initScale); }
    @Override public String kind() { return "example_scale_shift"; }
    @Override public String describe() { return "ScaleShift(" + width + ")"; }
}
