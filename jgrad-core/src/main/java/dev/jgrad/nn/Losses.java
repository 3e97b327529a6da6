package dev.jgrad.nn;

import dev.jgrad.tensor.Tensor;

import java.util.Locale;

/** The losses jgrad ships, forward and backward side by side. */
public final class Losses {
    private Losses() {
    }

    public static final Loss MSE = new Mse();
    public static final Loss L1 = new L1();
    public static final Loss SOFTMAX_CROSS_ENTROPY = new SoftmaxCrossEntropy(0);
    public static final Loss BCE_WITH_LOGITS = new BceWithLogits();

    public static Loss huber(double delta) {
        return new Huber(delta);
    }

    public static Loss softmaxCrossEntropy(double labelSmoothing) {
        return new SoftmaxCrossEntropy(labelSmoothing);
    }

    /** Reads {@code mse}, {@code l1}, {@code huber(1.0)}, {@code softmax_cross_entropy(0.1)}, {@code bce_with_logits}. */
    public static Loss parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        String name = s;
        Double arg = null;
        int open = s.indexOf('(');
        if (open >= 0 && s.endsWith(")")) {
            name = s.substring(0, open).trim();
            try {
                arg = Double.parseDouble(s.substring(open + 1, s.length() - 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad loss '" + text + "': the parameter is not a number");
            }
        }
        return switch (name) {
            case "mse", "mean_squared_error" -> noArg(MSE, arg, text);
            case "l1", "mae", "mean_absolute_error" -> noArg(L1, arg, text);
            case "huber" -> huber(arg == null ? 1.0 : arg);
            case "softmax_cross_entropy", "cross_entropy", "categorical_crossentropy" ->
                    arg == null ? SOFTMAX_CROSS_ENTROPY : softmaxCrossEntropy(arg);
            case "bce_with_logits", "binary_cross_entropy_with_logits", "binary_crossentropy" -> noArg(BCE_WITH_LOGITS, arg, text);
            default -> throw new IllegalArgumentException("unknown loss '" + text
                    + "' (known: mse, l1, huber(delta), softmax_cross_entropy(smoothing), bce_with_logits)");
        };
    }

    private static Loss noArg(Loss l, Double arg, String text) {
        if (arg != null) throw new IllegalArgumentException("loss '" + text + "' takes no parameter");
        return l;
    }

    /** Mean over all B·m elements of (y − t)²; dL/dy = 2(y − t)/(B·m). */
    static final class Mse implements Loss {
        public String spec() { return "mse"; }

        public double forward(Tensor y, Tensor t) {
            checkTarget(y, t);
            double s = 0;
            for (int i = 0, n = y.size(); i < n; i++) {
                double d = y.get(i) - t.get(i);
                s += d * d;
            }
            return s / y.size();
        }

        public void backward(Tensor y, Tensor t, Tensor g) {
            checkTarget(y, t);
            double scale = 2.0 / y.size();
            for (int i = 0, n = y.size(); i < n; i++) g.set(i, scale * (y.get(i) - t.get(i)));
        }
    }

    /** Mean of |y − t|; dL/dy = sign(y − t)/(B·m), 0 where y = t as in PyTorch. */
    static final class L1 implements Loss {
        public String spec() { return "l1"; }

        public double forward(Tensor y, Tensor t) {
            checkTarget(y, t);
            double s = 0;
            for (int i = 0, n = y.size(); i < n; i++) s += Math.abs(y.get(i) - t.get(i));
            return s / y.size();
        }

        public void backward(Tensor y, Tensor t, Tensor g) {
            checkTarget(y, t);
            double scale = 1.0 / y.size();
            for (int i = 0, n = y.size(); i < n; i++) g.set(i, scale * Math.signum(y.get(i) - t.get(i)));
        }

        public double kinkDistance(Tensor y, Tensor t) {
            double m = Double.POSITIVE_INFINITY;
            for (int i = 0, n = y.size(); i < n; i++) m = Math.min(m, Math.abs(y.get(i) - t.get(i)));
            return m;
        }
    }

    /** Huber: ½d² where |d| < δ, else δ(|d| − ½δ); mean over all elements (PyTorch's HuberLoss). */
    static final class Huber implements Loss {
        final double delta;

        Huber(double delta) {
            if (!(delta > 0)) throw new IllegalArgumentException("huber delta must be positive, got " + delta);
            this.delta = delta;
        }

        public String spec() { return "huber(" + delta + ")"; }

        public double forward(Tensor y, Tensor t) {
            checkTarget(y, t);
            double s = 0;
            for (int i = 0, n = y.size(); i < n; i++) {
                double d = Math.abs(y.get(i) - t.get(i));
                s += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
            }
            return s / y.size();
        }

        public void backward(Tensor y, Tensor t, Tensor g) {
            checkTarget(y, t);
            double scale = 1.0 / y.size();
            for (int i = 0, n = y.size(); i < n; i++) {
                double d = y.get(i) - t.get(i);
                g.set(i, scale * (Math.abs(d) < delta ? d : delta * Math.signum(d)));
            }
        }

        // The second derivative jumps where |d| = δ.
        public double kinkDistance(Tensor y, Tensor t) {
            double m = Double.POSITIVE_INFINITY;
            for (int i = 0, n = y.size(); i < n; i++) m = Math.min(m, Math.abs(Math.abs(y.get(i) - t.get(i)) - delta));
            return m;
        }
    }

    /**
     * Cross-entropy of softmax(Z) against targets, mean over the batch, reading logits Z.
     * Targets are class indices (a B×1 column) or a B×C matrix of probabilities (one-hot or
     * soft). Label smoothing ε replaces t by (1 − ε)t + ε/C, as PyTorch does.
     * L = −(1/B) Σ_b Σ_c t_bc log softmax(z_b)_c;  dL/dZ = (softmax(Z) − T)/B.
     */
    static final class SoftmaxCrossEntropy implements Loss {
        final double smoothing;

        SoftmaxCrossEntropy(double smoothing) {
            if (!(smoothing >= 0 && smoothing < 1)) {
                throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + smoothing);
            }
            this.smoothing = smoothing;
        }

        public String spec() { return smoothing == 0 ? "softmax_cross_entropy" : "softmax_cross_entropy(" + smoothing + ")"; }

        public boolean fusesWith(Activation a) {
            return a == Activations.SOFTMAX;
        }

        public void checkTarget(Tensor z, Tensor t) {
            boolean indices = t.cols() == 1 && z.cols() > 1;
            if (t.rows() != z.rows() || (!indices && t.cols() != z.cols())) {
                throw new IllegalArgumentException(spec() + ": target " + t.shape() + " does not match logits "
                        + z.shape() + " (need [B, 1] class indices or [B, C] probabilities)");
            }
            if (indices) {
                for (int b = 0; b < t.rows(); b++) {
                    double v = t.get(b);
                    if (v != Math.rint(v) || v < 0 || v >= z.cols()) {
                        throw new IllegalArgumentException(spec() + ": target row " + b + " is " + v
                                + ", not a class index in 0.." + (z.cols() - 1));
                    }
                }
            }
        }

        /** The smoothed target probability of class c for row b. */
        private double target(Tensor t, int b, int c, int classes, boolean indices) {
            double p = indices ? (t.get(b) == c ? 1 : 0) : t.get(b * classes + c);
            return smoothing == 0 ? p : (1 - smoothing) * p + smoothing / classes;
        }

        private static double logSumExp(Tensor z, int o, int cols) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, z.get(o + j));
            double s = 0;
            for (int j = 0; j < cols; j++) s += Math.exp(z.get(o + j) - max);
            return max + Math.log(s);
        }

        /** total − Σ_c t_c (z_c − lse) over row b, term by term in class order. */
        private double addRowLoss(double total, Tensor z, Tensor t, int b, int cols, boolean indices, double lse) {
            int o = b * cols;
            for (int c = 0; c < cols; c++) {
                double tc = target(t, b, c, cols, indices);
                if (tc != 0) total -= tc * (z.get(o + c) - lse);
            }
            return total;
        }

        public double forward(Tensor z, Tensor t) {
            checkTarget(z, t);
            int rows = z.rows(), cols = z.cols();
            boolean indices = t.cols() == 1 && cols > 1;
            double total = 0;
            for (int b = 0; b < rows; b++) {
                total = addRowLoss(total, z, t, b, cols, indices, logSumExp(z, b * cols, cols));
            }
            return total / rows;
        }

        public void backward(Tensor z, Tensor t, Tensor g) {
            forwardBackward(z, t, g);
        }

        /**
         * Each exponential once per element: e_c = exp(z_c − max) gives log Σ e (the loss) and
         * softmax e_c / Σ e (the gradient). A training step used to take them three times.
         */
        @Override
        public double forwardBackward(Tensor z, Tensor t, Tensor g) {
            checkTarget(z, t);
            int rows = z.rows(), cols = z.cols();
            boolean indices = t.cols() == 1 && cols > 1;
            double total = 0;
            for (int b = 0; b < rows; b++) {
                int o = b * cols;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) max = Math.max(max, z.get(o + c));
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    double e = Math.exp(z.get(o + c) - max);
                    g.set(o + c, e);
                    sum += e;
                }
                total = addRowLoss(total, z, t, b, cols, indices, max + Math.log(sum));
                // Soft targets need not sum to one: then dL/dz_c = (p_c Σt − t_c)/B.
                double tsum = 0;
                for (int c = 0; c < cols; c++) tsum += target(t, b, c, cols, indices);
                for (int c = 0; c < cols; c++) {
                    double p = g.get(o + c) / sum;
                    g.set(o + c, (p * tsum - target(t, b, c, cols, indices)) / rows);
                }
            }
            return total / rows;
        }
    }

    /**
     * Binary cross-entropy on logits, mean over all elements:
     * ℓ = max(z, 0) − z·t + log(1 + e^(−|z|)); dℓ/dz = σ(z) − t, divided by B·m.
     */
    static final class BceWithLogits implements Loss {
        public String spec() { return "bce_with_logits"; }

        public boolean fusesWith(Activation a) {
            return a == Activations.SIGMOID;
        }

        public double forward(Tensor z, Tensor t) {
            checkTarget(z, t);
            double s = 0;
            for (int i = 0, n = z.size(); i < n; i++) {
                double x = z.get(i);
                s += Math.max(x, 0) - x * t.get(i) + Math.log1p(Math.exp(-Math.abs(x)));
            }
            return s / z.size();
        }

        public void backward(Tensor z, Tensor t, Tensor g) {
            checkTarget(z, t);
            double scale = 1.0 / z.size();
            for (int i = 0, n = z.size(); i < n; i++) g.set(i, scale * (Activations.sigmoid(z.get(i)) - t.get(i)));
        }
    }
}
