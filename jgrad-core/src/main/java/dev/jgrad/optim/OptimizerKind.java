package dev.jgrad.optim;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The optimizer families the command line offers, each with the learning rate it gets when none
 * is given (PyTorch's default where it has one). {@link #parse(String)} is the one place a name
 * becomes a family.
 */
public enum OptimizerKind {
    /** Plain SGD, with momentum only if asked for. */
    SGD(0.01),
    /** SGD with heavy-ball momentum (0.9 unless asked otherwise). */
    MOMENTUM(0.01),
    /** SGD with Nesterov momentum (0.9 unless asked otherwise). */
    NESTEROV(0.01),
    /** Adam with L2 weight decay. */
    ADAM(1e-3),
    /** Adam with decoupled weight decay. */
    ADAMW(1e-3),
    /** RMSProp, with momentum if asked for. */
    RMSPROP(1e-2),
    /** Adagrad. */
    ADAGRAD(1e-2);

    private static final String KNOWN = Arrays.stream(values()).map(OptimizerKind::spec).collect(Collectors.joining(", "));

    private final double defaultLearningRate;

    OptimizerKind(double defaultLearningRate) {
        this.defaultLearningRate = defaultLearningRate;
    }

    /** The learning rate this family gets when none is given. */
    public double defaultLearningRate() {
        return defaultLearningRate;
    }

    /**
     * An optimizer of this family with PyTorch's defaults for everything but the three settings
     * the command line exposes. Momentum applies to {@link #SGD}, {@link #MOMENTUM},
     * {@link #NESTEROV} (both of which take 0 to mean 0.9) and {@link #RMSPROP}, and is ignored
     * by the others; weight decay is an L2 term, decoupled for {@link #ADAMW}.
     */
    public Optimizer create(double learningRate, double momentum, double weightDecay) {
        return switch (this) {
            case SGD -> Sgd.builder().learningRate(learningRate).momentum(momentum).weightDecay(weightDecay).build();
            case MOMENTUM, NESTEROV -> Sgd.builder().learningRate(learningRate).momentum(momentum == 0 ? 0.9 : momentum)
                    .nesterov(this == NESTEROV).weightDecay(weightDecay).build();
            case ADAM, ADAMW -> Adam.builder().learningRate(learningRate).weightDecay(weightDecay).decoupled(this == ADAMW).build();
            case RMSPROP -> RmsProp.builder().learningRate(learningRate).momentum(momentum).weightDecay(weightDecay).build();
            case ADAGRAD -> Adagrad.builder().learningRate(learningRate).weightDecay(weightDecay).build();
        };
    }

    /** The lower-case name the command line spells, e.g. {@code adamw}. */
    public String spec() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The same as {@link #spec()}, so that messages and JSON read as the command line does. */
    @Override
    public String toString() {
        return spec();
    }

    /** The family a name denotes, in any case; an unknown name fails with a message listing the known ones. */
    public static OptimizerKind parse(String name) {
        for (OptimizerKind k : values()) {
            if (k.spec().equals(name.trim().toLowerCase(Locale.ROOT))) return k;
        }
        throw new IllegalArgumentException("unknown optimizer '" + name + "' (known: " + KNOWN + ")");
    }
}
