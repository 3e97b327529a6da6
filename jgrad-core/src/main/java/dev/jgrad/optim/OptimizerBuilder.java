package dev.jgrad.optim;

/**
 * The settings every optimizer shares — the learning rate η and the weight decay λ — for the
 * builders of {@link Sgd}, {@link Adam}, {@link RmsProp} and {@link Adagrad}. Each setter checks
 * its argument and returns the concrete builder, so the settings chain in any order.
 *
 * @param <B> the concrete builder
 */
public abstract sealed class OptimizerBuilder<B extends OptimizerBuilder<B>>
        permits Sgd.Builder, Adam.Builder, RmsProp.Builder, Adagrad.Builder {
    double lr, weightDecay;

    OptimizerBuilder(double defaultLearningRate) {
        this.lr = defaultLearningRate;
    }

    /** η, at least 0. */
    public B learningRate(double lr) {
        this.lr = FlatOptimizer.requireNonNegative("learningRate", lr);
        return self();
    }

    /**
     * λ, at least 0: an L2 term added to the gradient (for Adam, with {@code decoupled}, a
     * shrinking of the weights instead).
     */
    public B weightDecay(double weightDecay) {
        this.weightDecay = FlatOptimizer.requireNonNegative("weightDecay", weightDecay);
        return self();
    }

    /** An optimizer with these settings and fresh state; the builder can be used again. */
    public abstract Optimizer build();

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
