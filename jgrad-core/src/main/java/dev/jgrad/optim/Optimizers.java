package dev.jgrad.optim;

import java.util.Locale;

/** Creates an optimizer by name, as the command line and model metadata spell it. */
public final class Optimizers {
    private Optimizers() {
    }

    /** The learning rate each optimizer gets when none is given (PyTorch's defaults where it has one). */
    public static double defaultLearningRate(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "adam", "adamw" -> 1e-3;
            case "rmsprop", "adagrad" -> 1e-2;
            default -> 0.01;
        };
    }

    /**
     * {@code sgd}, {@code momentum}, {@code nesterov}, {@code adam}, {@code adamw}, {@code rmsprop}
     * or {@code adagrad}; momentum applies to the SGD family and RMSProp (0.9 by default for
     * {@code momentum}/{@code nesterov}); weight decay is L2 (decoupled for AdamW).
     */
    public static Optimizer create(String name, double lr, double momentum, double weightDecay) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sgd" -> new Sgd(lr, momentum, 0, false, weightDecay);
            case "momentum" -> new Sgd(lr, momentum == 0 ? 0.9 : momentum, 0, false, weightDecay);
            case "nesterov" -> new Sgd(lr, momentum == 0 ? 0.9 : momentum, 0, true, weightDecay);
            case "adam" -> new Adam(lr, 0.9, 0.999, 1e-8, weightDecay, false, false);
            case "adamw" -> new Adam(lr, 0.9, 0.999, 1e-8, weightDecay, true, false);
            case "rmsprop" -> new RmsProp(lr, 0.99, 1e-8, weightDecay, momentum, false);
            case "adagrad" -> new Adagrad(lr, 0, weightDecay, 0, 1e-10);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name
                    + "' (known: sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad)");
        };
    }
}
