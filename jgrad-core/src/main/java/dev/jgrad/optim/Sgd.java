package dev.jgrad.optim;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay,
 * as torch.optim.SGD: g ← g + λp; b ← μb + (1 − τ)g (b = g on the first step);
 * g ← g + μb (Nesterov) or g ← b; p ← p − η g.
 */
public final class Sgd extends FlatOptimizer {
    private final double momentum, dampening, weightDecay;
    private final boolean nesterov;

    /** Plain SGD: no momentum, no weight decay. */
    public Sgd(double lr) {
        this(builder().learningRate(lr));
    }

    /** A builder holding torch.optim.SGD's defaults, each of which can be changed by name. */
    public static Builder builder() {
        return new Builder();
    }

    private Sgd(Builder b) {
        super(b.lr, b.momentum != 0 ? new String[]{"momentum_buffer"} : new String[0]);
        this.momentum = b.momentum;
        this.dampening = b.dampening;
        this.nesterov = b.nesterov;
        this.weightDecay = b.weightDecay;
    }

    /**
     * SGD's settings, starting from PyTorch's defaults: learning rate 1e-3, no momentum, no
     * dampening, no Nesterov, no weight decay. Each setter checks its argument; {@link #build()}
     * checks that Nesterov has the momentum it needs.
     */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private double momentum, dampening;
        private boolean nesterov;

        private Builder() {
            super(1e-3);
        }

        /** μ in [0, 1]; 0 keeps no momentum buffer. */
        public Builder momentum(double momentum) {
            this.momentum = requireUnit("momentum", momentum);
            return this;
        }

        /** τ in [0, 1]: the share of each new gradient held back from the momentum buffer. */
        public Builder dampening(double dampening) {
            this.dampening = requireUnit("dampening", dampening);
            return this;
        }

        /** Whether to use Nesterov momentum, which needs momentum > 0 and no dampening. */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        @Override
        public Sgd build() {
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and zero dampening");
            }
            return new Sgd(this);
        }
    }

    @Override
    void update(float[] p, int po, float[] g, int go, int from, int to) {
        float[] b = momentum != 0 ? f("momentum_buffer") : null;
        boolean first = t == 1;
        for (int i = from; i < to; i++) {
            double gi = g[go + i] + weightDecay * p[po + i];
            if (b != null) {
                double bi = first ? gi : momentum * b[i] + (1 - dampening) * gi;
                b[i] = (float) bi;
                gi = nesterov ? gi + momentum * bi : bi;
            }
            p[po + i] = (float) (p[po + i] - lr * gi);
        }
    }

    @Override
    void update(double[] p, int po, double[] g, int go, int from, int to) {
        double[] b = momentum != 0 ? d("momentum_buffer") : null;
        boolean first = t == 1;
        for (int i = from; i < to; i++) {
            double gi = g[go + i] + weightDecay * p[po + i];
            if (b != null) {
                double bi = first ? gi : momentum * b[i] + (1 - dampening) * gi;
                b[i] = bi;
                gi = nesterov ? gi + momentum * bi : bi;
            }
            p[po + i] = p[po + i] - lr * gi;
        }
    }

    @Override
    public String describe() {
        return String.format("sgd(lr=%s, momentum=%s, dampening=%s, nesterov=%s, weight_decay=%s)",
                num(lr), num(momentum), num(dampening), nesterov, num(weightDecay));
    }
}
