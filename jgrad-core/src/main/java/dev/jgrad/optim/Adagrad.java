package dev.jgrad.optim;

/**
 * Adagrad as torch.optim.Adagrad: g ← g + λp; η̃ = η / (1 + (t − 1)·decay);
 * s ← s + g²; p ← p − η̃ g / (√s + ε). The sum starts at {@code initialAccumulator}.
 */
public final class Adagrad extends FlatOptimizer {
    private final double lrDecay, weightDecay, initial, eps;

    /** PyTorch's defaults: no learning-rate decay, no weight decay, accumulator 0, eps 1e-10. */
    public Adagrad(double lr) {
        this(builder().learningRate(lr));
    }

    /** A builder holding torch.optim.Adagrad's defaults, each of which can be changed by name. */
    public static Builder builder() {
        return new Builder();
    }

    private Adagrad(Builder b) {
        super(b.lr, "sum");
        this.lrDecay = b.lrDecay;
        this.weightDecay = b.weightDecay;
        this.initial = b.initialAccumulator;
        this.eps = b.eps;
    }

    /**
     * Adagrad's settings, starting from PyTorch's defaults: learning rate 1e-2, no learning-rate
     * decay, no weight decay, accumulator 0, eps 1e-10. Each setter checks its argument.
     */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private double lrDecay, initialAccumulator, eps = 1e-10;

        private Builder() {
            super(1e-2);
        }

        /** The learning-rate decay per step, at least 0: step t uses η / (1 + (t − 1)·decay). */
        public Builder lrDecay(double lrDecay) {
            this.lrDecay = requireNonNegative("lrDecay", lrDecay);
            return this;
        }

        /** The value the sum of squared gradients starts at, at least 0. */
        public Builder initialAccumulator(double initialAccumulator) {
            this.initialAccumulator = requireNonNegative("initialAccumulator", initialAccumulator);
            return this;
        }

        /** ε, added to the root of the sum, at least 0. */
        public Builder eps(double eps) {
            this.eps = requireNonNegative("eps", eps);
            return this;
        }

        @Override
        public Adagrad build() {
            return new Adagrad(this);
        }
    }

    @Override
    void update(float[] p, int po, float[] g, int go, int from, int to) {
        float[] s = f("sum");
        double clr = lr / (1 + (t - 1) * lrDecay);
        for (int i = from; i < to; i++) {
            double gi = g[go + i] + weightDecay * p[po + i];
            double si = s[i] = (float) (s[i] + gi * gi);
            p[po + i] = (float) (p[po + i] - clr * gi / (Math.sqrt(si) + eps));
        }
    }

    @Override
    void update(double[] p, int po, double[] g, int go, int from, int to) {
        double[] s = d("sum");
        double clr = lr / (1 + (t - 1) * lrDecay);
        for (int i = from; i < to; i++) {
            double gi = g[go + i] + weightDecay * p[po + i];
            double si = s[i] = s[i] + gi * gi;
            p[po + i] = p[po + i] - clr * gi / (Math.sqrt(si) + eps);
        }
    }

    @Override
    double initialState(String name) {
        return initial;
    }

    @Override
    public String describe() {
        return String.format("adagrad(lr=%s, lr_decay=%s, weight_decay=%s, initial_accumulator_value=%s, eps=%s)",
                num(lr), num(lrDecay), num(weightDecay), num(initial), num(eps));
    }
}
