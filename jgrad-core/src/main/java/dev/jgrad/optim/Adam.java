package dev.jgrad.optim;

import dev.jgrad.kernel.FusedPasses;

/**
 * Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW:
 * g ← g + λp (Adam's L2 decay) or p ← p(1 − ηλ) (AdamW's decoupled decay);
 * m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  (v̂max ← max(v̂max, v) with AMSGrad)
 * p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
 */
public final class Adam extends FlatOptimizer {
    private final double beta1, beta2, eps, weightDecay;
    private final boolean decoupled, amsgrad;

    /** Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(double lr) {
        this(builder().learningRate(lr));
    }

    /** AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static Adam adamW(double lr) {
        return builder().learningRate(lr).weightDecay(0.01).decoupled(true).build();
    }

    /** A builder holding torch.optim.Adam's defaults, each of which can be changed by name. */
    public static Builder builder() {
        return new Builder();
    }

    private Adam(Builder b) {
        super(b.lr, b.amsgrad ? new String[]{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"} : new String[]{"exp_avg", "exp_avg_sq"});
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
        this.decoupled = b.decoupled;
        this.amsgrad = b.amsgrad;
    }

    /**
     * Adam's settings, starting from PyTorch's defaults: learning rate 1e-3, betas (0.9, 0.999),
     * eps 1e-8, weight decay 0, coupled (L2) decay, no AMSGrad. Each setter checks its argument.
     */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        private boolean decoupled, amsgrad;

        private Builder() {
            super(1e-3);
        }

        /** The decay rates β₁ of the first moment and β₂ of the second, each in [0, 1). */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = requireDecay("beta1", beta1);
            this.beta2 = requireDecay("beta2", beta2);
            return this;
        }

        /** ε, added to the root of the second moment, at least 0. */
        public Builder eps(double eps) {
            this.eps = requireNonNegative("eps", eps);
            return this;
        }

        /** Whether weight decay is decoupled from the gradient, which makes this AdamW. */
        public Builder decoupled(boolean decoupled) {
            this.decoupled = decoupled;
            return this;
        }

        /** Whether the update uses the running maximum of the second moment (AMSGrad). */
        public Builder amsgrad(boolean amsgrad) {
            this.amsgrad = amsgrad;
            return this;
        }

        @Override
        public Adam build() {
            return new Adam(this);
        }
    }

    @Override
    void update(float[] p, int po, float[] g, int go, int from, int to) {
        double stepSize = lr / (1 - Math.pow(beta1, t));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        float[] m = f("exp_avg"), v = f("exp_avg_sq");
        if (!amsgrad) {
            // The hot path: one fused pass in the chosen kernels.
            FusedPasses.get().adam(p, po + from, g, go + from, m, v, from, to - from, (float) beta1, (float) beta2, (float) stepSize, (float) bc2Sqrt,
                    (float) eps, decoupled ? (float) (1 - lr * weightDecay) : 1f, decoupled ? 0f : (float) weightDecay);
            return;
        }
        float[] vmax = f("max_exp_avg_sq");
        double shrink = decoupled ? 1 - lr * weightDecay : 1;
        double l2 = decoupled ? 0 : weightDecay;
        for (int i = from; i < to; i++) {
            double pi = p[po + i] * shrink;
            double gi = g[go + i] + l2 * pi;
            double mi = beta1 * m[i] + (1 - beta1) * gi;
            double vi = beta2 * v[i] + (1 - beta2) * gi * gi;
            m[i] = (float) mi;
            v[i] = (float) vi;
            vi = vmax[i] = Math.max(vmax[i], (float) vi);
            p[po + i] = (float) (pi - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps));
        }
    }

    @Override
    void update(double[] p, int po, double[] g, int go, int from, int to) {
        double[] m = d("exp_avg"), v = d("exp_avg_sq"), vmax = amsgrad ? d("max_exp_avg_sq") : null;
        double stepSize = lr / (1 - Math.pow(beta1, t));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        double shrink = decoupled ? 1 - lr * weightDecay : 1;
        double l2 = decoupled ? 0 : weightDecay;
        for (int i = from; i < to; i++) {
            double pi = p[po + i] * shrink;
            double gi = g[go + i] + l2 * pi;
            double mi = m[i] = beta1 * m[i] + (1 - beta1) * gi;
            double vi = v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            if (vmax != null) vi = vmax[i] = Math.max(vmax[i], vi);
            p[po + i] = pi - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
        }
    }

    @Override
    public String describe() {
        return String.format("%s(lr=%s, betas=(%s, %s), eps=%s, weight_decay=%s%s)",
                decoupled ? "adamw" : "adam", num(lr), num(beta1), num(beta2), num(eps), num(weightDecay), amsgrad ? ", amsgrad" : "");
    }
}
