package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * Layer normalisation over the N features of each sample (torch.nn.LayerNorm), the same in
 * training and evaluation: μ = mean_j x, σ² = mean_j (x − μ)², x̂ = (x − μ)/√(σ² + ε),
 * y = γ ⊙ x̂ + β. Backward per row, with ĝ = g ⊙ γ:
 * dx = (1/(N√(σ²+ε))) (N ĝ − Σ_j ĝ − x̂ Σ_j ĝ x̂), dγ += Σ_b g x̂, dβ += Σ_b g.
 */
public final class LayerNorm implements Layer {
    /** Saved as {@code width} and {@code eps} (files without it mean the default). */
    public static final LayerCodec CODEC = new LayerCodec() {
        @Override
        public String type() {
            return "layer_norm";
        }

        @Override
        public void write(Layer layer, LayerConfig c) {
            LayerNorm n = (LayerNorm) layer;
            c.put("width", n.width).put("eps", n.eps);
        }

        @Override
        public Layer read(LayerConfig c, int inputWidth) {
            return new LayerNorm(c.getInt("width", 2, Integer.MAX_VALUE), c.getDouble("eps", Double.MIN_VALUE, 1, 1e-5));
        }
    };

    private final int width;
    private final double eps;
    private Tensor gamma, beta, dGamma, dBeta;
    private double[] invStd;
    private Tensor xhat, xhatBuf, y, yBuf, dx, dxBuf;

    public LayerNorm(int width) {
        this(width, 1e-5);
    }

    public LayerNorm(int width, double eps) {
        if (width < 2) throw new IllegalArgumentException("layer norm needs at least 2 features, got " + width);
        if (!(eps > 0)) throw new IllegalArgumentException("layer norm eps must be positive, got " + eps);
        if (width > Sequential.MAX_PARAMETERS / 2) {
            throw new IllegalArgumentException("layer norm width " + width + " needs more parameters than a network holds ("
                    + Sequential.MAX_PARAMETERS + ")");
        }
        this.width = width;
        this.eps = eps;
    }

    @Override public int inputSize() { return width; }
    @Override public int outputSize() { return width; }
    @Override public int parameterCount() { return 2 * width; }

    @Override
    public void bind(Tensor params, Tensor grads, Parallel parallel, Rng rng) {
        gamma = params.view(0, Shape.of(width));
        beta = params.view(width, Shape.of(width));
        dGamma = grads.view(0, Shape.of(width));
        dBeta = grads.view(width, Shape.of(width));
    }

    @Override
    public void initialize(Random init) {
        gamma.fill(1);
        beta.zero();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (x.cols() != width) throw new IllegalArgumentException(describe() + ": input " + x.shape() + " has "
                + x.cols() + " columns, expected " + width);
        int rows = x.rows();
        if (xhatBuf == null || xhatBuf.rows() < rows || xhatBuf.dtype() != x.dtype()) {
            xhatBuf = Tensor.zeros(x.dtype(), rows, width);
            yBuf = Tensor.zeros(x.dtype(), rows, width);
            dxBuf = Tensor.zeros(x.dtype(), rows, width);
            invStd = new double[rows];
            xhat = null;
        }
        if (xhat == null || xhat.rows() != rows) {
            xhat = xhatBuf.view(0, Shape.of(rows, width));
            y = yBuf.view(0, Shape.of(rows, width));
            dx = dxBuf.view(0, Shape.of(rows, width));
        }
        for (int b = 0; b < rows; b++) {
            int o = b * width;
            double s = 0;
            for (int j = 0; j < width; j++) s += x.get(o + j);
            double mu = s / width, v = 0;
            for (int j = 0; j < width; j++) {
                double d = x.get(o + j) - mu;
                v += d * d;
            }
            double is = invStd[b] = 1 / Math.sqrt(v / width + eps);
            for (int j = 0; j < width; j++) {
                double xh = (x.get(o + j) - mu) * is;
                xhat.set(o + j, xh);
                y.set(o + j, gamma.get(j) * xh + beta.get(j));
            }
        }
        return y;
    }

    @Override
    public Tensor backward(Tensor g, boolean needInputGrad) {
        int rows = g.rows();
        for (int b = 0; b < rows; b++) {
            int o = b * width;
            double sg = 0, sgx = 0;
            for (int j = 0; j < width; j++) {
                double gi = g.get(o + j), xh = xhat.get(o + j);
                dBeta.set(j, dBeta.get(j) + gi);
                dGamma.set(j, dGamma.get(j) + gi * xh);
                double gh = gi * gamma.get(j);
                sg += gh;
                sgx += gh * xh;
            }
            if (!needInputGrad) continue;
            double k = invStd[b] / width;
            for (int j = 0; j < width; j++) {
                double gh = g.get(o + j) * gamma.get(j);
                dx.set(o + j, k * (width * gh - sg - xhat.get(o + j) * sgx));
            }
        }
        return needInputGrad ? dx : null;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("weight", gamma, dGamma, Parameter.Role.NORM_SCALE),
                new Parameter("bias", beta, dBeta, Parameter.Role.NORM_SHIFT));
    }

    @Override public Layer copyConfig() { return new LayerNorm(width, eps); }
    @Override public String kind() { return "layer_norm"; }
    @Override public String describe() { return "LayerNorm(" + width + ")"; }
    @Override public String toString() { return describe(); }
}
