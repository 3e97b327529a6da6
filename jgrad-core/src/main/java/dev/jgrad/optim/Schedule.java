package dev.jgrad.optim;

import java.util.Locale;

/**
 * A learning-rate schedule: the factor applied to the base rate at a point of training, given
 * as the epoch (from 0) and the fraction of it done. Epoch-wise schedules change at epoch
 * boundaries as PyTorch's do when stepped once per epoch; warm-up ramps per step.
 */
public interface Schedule {

    /** Factor for the base learning rate during epoch {@code epoch} with {@code progress} ∈ [0, 1) of it done. */
    double factor(int epoch, double progress);

    /** Called after each epoch with the monitored validation value (reduce-on-plateau listens). */
    default void onEpochEnd(int epoch, double monitored) {
    }

    /** State to checkpoint (only reduce-on-plateau has any). */
    default double[] state() {
        return new double[0];
    }

    default void loadState(double[] state) {
    }

    String describe();

    static Schedule constant() {
        return new Schedule() {
            public double factor(int epoch, double progress) { return 1; }
            public String describe() { return "constant"; }
        };
    }

    /** ×γ every {@code stepSize} epochs (StepLR). */
    static Schedule step(int stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("step size must be positive, got " + stepSize);
        return new Schedule() {
            public double factor(int epoch, double progress) { return Math.pow(gamma, epoch / stepSize); }
            public String describe() { return "step(" + stepSize + ", " + gamma + ")"; }
        };
    }

    /** ×γ every epoch (ExponentialLR). */
    static Schedule exponential(double gamma) {
        return new Schedule() {
            public double factor(int epoch, double progress) { return Math.pow(gamma, epoch); }
            public String describe() { return "exponential(" + gamma + ")"; }
        };
    }

    /** Cosine from 1 down to {@code minFactor} over {@code epochs} epochs (CosineAnnealingLR, η_min = minFactor·η). */
    static Schedule cosine(int epochs, double minFactor) {
        if (epochs <= 0) throw new IllegalArgumentException("cosine period must be positive, got " + epochs);
        return new Schedule() {
            public double factor(int epoch, double progress) {
                int e = Math.min(epoch, epochs);
                return minFactor + (1 - minFactor) * (1 + Math.cos(Math.PI * e / epochs)) / 2;
            }
            public String describe() { return "cosine(" + epochs + ", " + minFactor + ")"; }
        };
    }

    /** Linear warm-up from 0 over {@code warmupEpochs} (per step), then {@code after} counted from the end of warm-up. */
    static Schedule warmup(int warmupEpochs, Schedule after) {
        return new Schedule() {
            public double factor(int epoch, double progress) {
                if (epoch < warmupEpochs) return (epoch + progress + 1e-9) / warmupEpochs;
                return after.factor(epoch - warmupEpochs, progress);
            }
            public void onEpochEnd(int epoch, double monitored) {
                if (epoch >= warmupEpochs) after.onEpochEnd(epoch - warmupEpochs, monitored);
            }
            public double[] state() { return after.state(); }
            public void loadState(double[] s) { after.loadState(s); }
            public String describe() { return "warmup(" + warmupEpochs + ", " + after.describe() + ")"; }
        };
    }

    /**
     * ReduceLROnPlateau in 'min' mode: when the monitored value has not improved by a relative
     * {@code threshold} for more than {@code patience} epochs, multiply by {@code factor} (not
     * below {@code minFactor}).
     */
    static Schedule reduceOnPlateau(double factor, int patience, double threshold, double minFactor) {
        return new Schedule() {
            double current = 1, best = Double.POSITIVE_INFINITY;
            int bad;

            public double factor(int epoch, double progress) { return current; }

            public void onEpochEnd(int epoch, double monitored) {
                if (monitored < best * (1 - threshold)) {
                    best = monitored;
                    bad = 0;
                } else if (++bad > patience) {
                    current = Math.max(current * factor, minFactor);
                    bad = 0;
                }
            }

            public double[] state() { return new double[]{current, best, bad}; }

            public void loadState(double[] s) {
                current = s[0];
                best = s[1];
                bad = (int) s[2];
            }

            public String describe() { return "plateau(" + factor + ", " + patience + ")"; }
        };
    }

    /**
     * Reads {@code constant}, {@code step:S:G}, {@code exponential:G}, {@code cosine} (over the
     * run's epochs) or {@code cosine:E}, {@code plateau} or {@code plateau:F:P}, each optionally
     * preceded by {@code warmup:W,}.
     */
    static Schedule parse(String text, int totalEpochs) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("warmup:")) {
            int comma = s.indexOf(',');
            int w = Integer.parseInt(s.substring(7, comma < 0 ? s.length() : comma));
            Schedule after = comma < 0 ? constant() : parse(s.substring(comma + 1), totalEpochs - w);
            return warmup(w, after);
        }
        String[] p = s.split(":");
        try {
            return switch (p[0]) {
                case "constant", "none" -> constant();
                case "step" -> step(Integer.parseInt(p[1]), p.length > 2 ? Double.parseDouble(p[2]) : 0.1);
                case "exponential", "exp" -> exponential(Double.parseDouble(p[1]));
                case "cosine" -> cosine(p.length > 1 ? Integer.parseInt(p[1]) : Math.max(1, totalEpochs),
                        p.length > 2 ? Double.parseDouble(p[2]) : 0);
                case "plateau" -> reduceOnPlateau(p.length > 1 ? Double.parseDouble(p[1]) : 0.1,
                        p.length > 2 ? Integer.parseInt(p[2]) : 10, 1e-4, 0);
                default -> throw new IllegalArgumentException("unknown schedule '" + text + "'");
            };
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("bad schedule '" + text + "' (examples: constant, step:10:0.5,"
                    + " exponential:0.95, cosine, cosine:30, plateau:0.5:3, warmup:2,cosine)");
        }
    }
}
