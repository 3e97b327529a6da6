package dev.jgrad.optim;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay,
 * as torch.optim.SGD: g ← g + λp; b ← μb + (1 − τ)g (b = g on the first step);
 * g ← g + μb (Nesterov) or g ← b; p ← p − η g.
 */
public final class Sgd extends FlatOptimizer {
    private final double momentum, dampening, weightDecay;
    private final boolean nesterov;

    public Sgd(double lr) {
        this(lr, 0, 0, false, 0);
    }

    public Sgd(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        super(lr, momentum != 0 ? new String[]{"momentum_buffer"} : new String[0]);
        requireRange("momentum", momentum, 0, 1);
        requireRange("dampening", dampening, 0, 1);
        requireRange("weight decay", weightDecay, 0, Double.MAX_VALUE);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
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
