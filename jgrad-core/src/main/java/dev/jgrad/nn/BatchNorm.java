package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * Batch normalisation of dense activations, per feature j over the batch (torch.nn.BatchNorm1d):
 * training: μ = mean_b x, σ² = mean_b (x − μ)², x̂ = (x − μ)/√(σ² + ε), y = γx̂ + β, and the
 * running statistics move by momentum m (the running variance with the unbiased σ²·B/(B−1));
 * evaluation: the running statistics stand in for μ and σ².
 * Backward (training): dβ = Σ_b g, dγ = Σ_b g x̂, dx = (γ/(B√(σ²+ε))) (B g − Σ_b g − x̂ Σ_b g x̂).
 *
 * <p>With {@link #sumWith(BatchSums)} the batch may be split over several workers: the sums over
 * b above (Σx and B, then Σ(x − μ)², and in backward Σg and Σg x̂) are summed over every part,
 * so each part sees the whole batch's μ, σ², running statistics and dx; dβ and dγ stay the sums
 * over this part's rows, for the workers' parameter gradients to be summed as any other.
 */
public final class BatchNorm implements Layer {
    /** Saved as {@code width}, {@code eps} and {@code momentum} (files without the last two mean the defaults). */
    public static final LayerCodec CODEC = new LayerCodec() {
        @Override
        public String type() {
            return "batch_norm";
        }

        @Override
        public void write(Layer layer, LayerConfig c) {
            BatchNorm b = (BatchNorm) layer;
            c.put("width", b.width).put("eps", b.eps).put("momentum", b.momentum);
        }

        @Override
        public Layer read(LayerConfig c, int inputWidth) {
            return new BatchNorm(c.getSize("width"), c.getDouble("eps", Double.MIN_VALUE, 1, 1e-5),
                    c.getDouble("momentum", 0, 1, 0.1));
        }
    };

    private final int width;
    private final double eps, momentum;
    private Tensor gamma, beta, dGamma, dBeta;
    private Tensor runningMean, runningVar;
    private double[] mean, invStd;
    /** [Σx…, rows], [Σ(x − μ)²…] and [Σg…, Σg x̂…]: the sums that a split batch adds over its parts. */
    private double[] firstSums, squareSums, gradSums;
    private BatchSums sums;
    private int count;
    private Tensor xhat, xhatBuf, y, yBuf, dx, dxBuf;
    private boolean training;

    public BatchNorm(int width) {
        this(width, 1e-5, 0.1);
    }

    public BatchNorm(int width, double eps, double momentum) {
        if (width <= 0) throw new IllegalArgumentException("batch norm width must be positive, got " + width);
        if (!(eps > 0)) throw new IllegalArgumentException("batch norm eps must be positive, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("batch norm momentum must be in [0, 1], got " + momentum);
        }
        if (width > Sequential.MAX_PARAMETERS / 2) {
            throw new IllegalArgumentException("batch norm width " + width + " needs more parameters than a network holds ("
                    + Sequential.MAX_PARAMETERS + ")");
        }
        this.width = width;
        this.eps = eps;
        this.momentum = momentum;
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
        runningMean = Tensor.zeros(params.dtype(), width);
        runningVar = Tensor.zeros(params.dtype(), width);
        runningVar.fill(1);
        mean = new double[width];
        invStd = new double[width];
        firstSums = new double[width + 1];
        squareSums = new double[width];
        gradSums = new double[2 * width];
    }

    /**
     * Sums this layer's batch statistics and gradient sums through {@code sums} in training, as
     * when one batch is split over several workers; {@code null} (the default) keeps them local.
     */
    public void sumWith(BatchSums sums) {
        this.sums = sums;
    }

    @Override
    public void initialize(Random init) {
        gamma.fill(1);
        beta.zero();
        runningMean.zero();
        runningVar.fill(1);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (x.cols() != width) throw new IllegalArgumentException(describe() + ": input " + x.shape() + " has "
                + x.cols() + " columns, expected " + width);
        int rows = x.rows();
        if (training && rows < 2 && sums == null) throw new IllegalArgumentException(describe()
                + " needs at least 2 samples per batch in training, got input " + x.shape());
        this.training = training;
        ensure(x);
        if (training) {
            statistics(x, rows);
        } else {
            for (int j = 0; j < width; j++) {
                mean[j] = runningMean.get(j);
                invStd[j] = 1 / Math.sqrt(runningVar.get(j) + eps);
            }
        }
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < width; j++) {
                int i = b * width + j;
                double xh = (x.get(i) - mean[j]) * invStd[j];
                xhat.set(i, xh);
                y.set(i, gamma.get(j) * xh + beta.get(j));
            }
        }
        return y;
    }

    /** μ, 1/√(σ² + ε) and the running statistics of a training batch, over every part of it with {@link BatchSums}. */
    private void statistics(Tensor x, int rows) {
        for (int j = 0; j < width; j++) {
            double s = 0;
            for (int b = 0; b < rows; b++) s += x.get(b * width + j);
            firstSums[j] = s;
        }
        firstSums[width] = rows;
        if (sums != null) sums.sumStatistics(firstSums);
        int n = (int) firstSums[width];
        if (n < 2) throw new IllegalArgumentException(describe()
                + " needs at least 2 samples per batch in training, got " + n + " over the parts of the batch");
        count = n;
        for (int j = 0; j < width; j++) {
            double mu = firstSums[j] / n, v = 0;
            for (int b = 0; b < rows; b++) {
                double d = x.get(b * width + j) - mu;
                v += d * d;
            }
            mean[j] = mu;
            squareSums[j] = v;
        }
        if (sums != null) sums.sumStatistics(squareSums);
        for (int j = 0; j < width; j++) {
            double mu = mean[j], v = squareSums[j] / n;
            invStd[j] = 1 / Math.sqrt(v + eps);
            runningMean.set(j, (1 - momentum) * runningMean.get(j) + momentum * mu);
            runningVar.set(j, (1 - momentum) * runningVar.get(j) + momentum * v * n / (n - 1));
        }
    }

    /**
     * Takes part in a training step of a split batch that has none of its rows here: adds
     * nothing to the forward sums but moves the running statistics as the other parts do, then
     * adds nothing to the backward sums. Calls {@link #forwardWithoutRows()} and
     * {@link #backwardWithoutRows()} in the order the forward and backward passes would.
     */
    public void forwardWithoutRows() {
        if (sums == null) throw new IllegalStateException(describe() + " has no rows and no other parts to sum with");
        statistics(null, 0);
    }

    /** The backward half of {@link #forwardWithoutRows()}. */
    public void backwardWithoutRows() {
        if (sums == null) throw new IllegalStateException(describe() + " has no rows and no other parts to sum with");
        java.util.Arrays.fill(gradSums, 0);
        sums.sumGradients(gradSums);
    }

    @Override
    public Tensor backward(Tensor g, boolean needInputGrad) {
        int rows = g.rows();
        for (int j = 0; j < width; j++) {
            double sg = 0, sgx = 0;
            for (int b = 0; b < rows; b++) {
                int i = b * width + j;
                sg += g.get(i);
                sgx += g.get(i) * xhat.get(i);
            }
            dBeta.set(j, dBeta.get(j) + sg);
            dGamma.set(j, dGamma.get(j) + sgx);
            gradSums[j] = sg;
            gradSums[width + j] = sgx;
        }
        // Every part sums, whether or not it needs dx, so that the parts' calls stay in step.
        if (training && sums != null) sums.sumGradients(gradSums);
        if (!needInputGrad) return null;
        int n = training ? count : rows;
        for (int j = 0; j < width; j++) {
            double gj = gamma.get(j), is = invStd[j], sg = gradSums[j], sgx = gradSums[width + j];
            for (int b = 0; b < rows; b++) {
                int i = b * width + j;
                double v = training
                        ? gj * is / n * (n * g.get(i) - sg - xhat.get(i) * sgx)
                        : gj * is * g.get(i);
                dx.set(i, v);
            }
        }
        return dx;
    }

    private void ensure(Tensor x) {
        int rows = x.rows();
        if (xhatBuf == null || xhatBuf.rows() < rows) {
            xhatBuf = Tensor.zeros(x.dtype(), rows, width);
            yBuf = Tensor.zeros(x.dtype(), rows, width);
            dxBuf = Tensor.zeros(x.dtype(), rows, width);
        }
        if (xhat == null || xhat.rows() != rows || xhat.dtype() != x.dtype()) {
            xhat = xhatBuf.view(0, Shape.of(rows, width));
            y = yBuf.view(0, Shape.of(rows, width));
            dx = dxBuf.view(0, Shape.of(rows, width));
        }
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("weight", gamma, dGamma, Parameter.Role.NORM_SCALE),
                new Parameter("bias", beta, dBeta, Parameter.Role.NORM_SHIFT));
    }

    @Override
    public List<Parameter> buffers() {
        return List.of(new Parameter("running_mean", runningMean, null, Parameter.Role.STATISTIC),
                new Parameter("running_var", runningVar, null, Parameter.Role.STATISTIC));
    }

    @Override public Layer copyConfig() { return new BatchNorm(width, eps, momentum); }
    @Override public String kind() { return "batch_norm"; }
    @Override public String describe() { return "BatchNorm(" + width + ")"; }
    @Override public String toString() { return describe(); }
}
