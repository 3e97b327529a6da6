package dev.jgrad.optim;

/**
 * RMSProp as torch.optim.RMSprop: g ← g + λp; v ← αv + (1 − α)g²;
 * centered: ḡ ← αḡ + (1 − α)g, d = √(v − ḡ²) + ε, else d = √v + ε;
 * with momentum μ: b ← μb + g/d, p ← p − ηb; without: p ← p − η g/d.
 */
public final class RmsProp extends FlatOptimizer {
    private final double alpha, eps, weightDecay, momentum;
    private final boolean centered;

    /** PyTorch's defaults: alpha 0.99, eps 1e-8, no weight decay, no momentum, not centered. */
    public RmsProp(double lr) {
        this(builder().learningRate(lr));
    }

    /** A builder holding torch.optim.RMSprop's defaults, each of which can be changed by name. */
    public static Builder builder() {
        return new Builder();
    }

    private RmsProp(Builder b) {
        super(b.lr, names(b.momentum, b.centered));
        this.alpha = b.alpha;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
        this.momentum = b.momentum;
        this.centered = b.centered;
    }

    /**
     * RMSProp's settings, starting from PyTorch's defaults: learning rate 1e-2, alpha 0.99,
     * eps 1e-8, no weight decay, no momentum, not centered. Each setter checks its argument.
     */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private double alpha = 0.99, eps = 1e-8, momentum;
        private boolean centered;

        private Builder() {
            super(1e-2);
        }

        /** α in [0, 1], the decay of the running average of squared gradients. */
        public Builder alpha(double alpha) {
            this.alpha = requireUnit("alpha", alpha);
            return this;
        }

        /** ε, added to the root of the average, at least 0. */
        public Builder eps(double eps) {
            this.eps = requireNonNegative("eps", eps);
            return this;
        }

        /** μ in [0, 1]; 0 keeps no momentum buffer. */
        public Builder momentum(double momentum) {
            this.momentum = requireUnit("momentum", momentum);
            return this;
        }

        /** Whether to divide by the estimated variance (the average of g² less the square of the average of g). */
        public Builder centered(boolean centered) {
            this.centered = centered;
            return this;
        }

        @Override
        public RmsProp build() {
            return new RmsProp(this);
        }
    }

    private static String[] names(double momentum, boolean centered) {
        if (momentum > 0 && centered) return new String[]{"square_avg", "momentum_buffer", "grad_avg"};
        if (momentum > 0) return new String[]{"square_avg", "momentum_buffer"};
        if (centered) return new String[]{"square_avg", "grad_avg"};
        return new String[]{"square_avg"};
    }

    @Override
    void update(float[] p, int po, float[] g, int go, int from, int to) {
        float[] v = f("square_avg"), b = momentum > 0 ? f("momentum_buffer") : null, ga = centered ? f("grad_avg") : null;
        for (int i = from; i < to; i++) {
            double gi = g[go + i] + weightDecay * p[po + i];
            double vi = v[i] = (float) (alpha * v[i] + (1 - alpha) * gi * gi);
            double avg;
            if (ga != null) {
                double gm = ga[i] = (float) (alpha * ga[i] + (1 - alpha) * gi);
                avg = Math.sqrt(vi - gm * gm) + eps;
            } else {
                avg = Math.sqrt(vi) + eps;
            }
            if (b != null) {
                double bi = b[i] = (float) (momentum * b[i] + gi / avg);
                p[po + i] = (float) (p[po + i] - lr * bi);
            } else {
                p[po + i] = (float) (p[po + i] - lr * gi / avg);
            }
        }
    }

    @Override
    void update(double[] p, int po, double[] g, int go, int from, int to) {
        double[] v = d("square_avg"), b = momentum > 0 ? d("momentum_buffer") : null, ga = centered ? d("grad_avg") : null;
        for (int i = from; i < to; i++) {
            double gi = g[go + i] + weightDecay * p[po + i];
            double vi = v[i] = alpha * v[i] + (1 - alpha) * gi * gi;
            double avg;
            if (ga != null) {
                double gm = ga[i] = alpha * ga[i] + (1 - alpha) * gi;
                avg = Math.sqrt(vi - gm * gm) + eps;
            } else {
                avg = Math.sqrt(vi) + eps;
            }
            if (b != null) {
                double bi = b[i] = momentum * b[i] + gi / avg;
                p[po + i] = p[po + i] - lr * bi;
            } else {
                p[po + i] = p[po + i] - lr * gi / avg;
            }
        }
    }

    @Override
    public String describe() {
        return String.format("rmsprop(lr=%s, alpha=%s, eps=%s, weight_decay=%s, momentum=%s, centered=%s)",
                num(lr), num(alpha), num(eps), num(weightDecay), num(momentum), centered);
    }
}
