package dev.jgrad.train;

import java.util.Arrays;
import java.util.Locale;

/** A metric of an {@link Evaluation} that training can watch: which way is better, and how it is named. */
public enum Metric {
    LOSS(false),
    ACCURACY(true),
    MSE(false),
    MAE(false);

    private final boolean higherIsBetter;

    Metric(boolean higherIsBetter) {
        this.higherIsBetter = higherIsBetter;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** The lower-case name the command line and reports use. */
    public String spec() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads {@code loss}, {@code accuracy}, {@code mse} or {@code mae}: the one place these names are parsed. */
    public static Metric parse(String text) {
        for (Metric m : values()) if (m.spec().equals(text.trim().toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown metric '" + text + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(Metric::spec).toList()) + ")");
    }
}
