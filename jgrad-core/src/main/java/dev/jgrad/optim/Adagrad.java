package dev.jgrad.optim;

/**
 * Adagrad as torch.optim.Adagrad: g ← g + λp; η̃ = η / (1 + (t − 1)·decay);
 * s ← s + g²; p ← p − η̃ g / (√s + ε). The sum starts at {@code initialAccumulator}.
 */
public final class Adagrad extends FlatOptimizer {
    private final double lrDecay, weightDecay, initial, eps;

    /** PyTorch's defaults: no decay, accumulator 0, eps 1e-10. */
    public Adagrad(double lr) {
        this(lr, 0, 0, 0, 1e-10);
    }

    public Adagrad(double lr, double lrDecay, double weightDecay, double initialAccumulator, double eps) {
        super(lr, "sum");
        this.lrDecay = lrDecay;
        this.weightDecay = weightDecay;
        this.initial = initialAccumulator;
        this.eps = eps;
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
