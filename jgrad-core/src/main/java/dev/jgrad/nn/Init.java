package dev.jgrad.nn;

import dev.jgrad.tensor.Tensor;

import java.util.Locale;
import java.util.Random;

/**
 * Weight initialisation schemes, seeded through the {@link Random} handed in (whose sequence the
 * Java specification fixes, so a seed gives the same weights on every JVM).
 */
public enum Init {
    /** U(−a, a), a = √(6/(fan_in + fan_out)). */
    GLOROT_UNIFORM,
    /** N(0, 2/(fan_in + fan_out)). */
    GLOROT_NORMAL,
    /** U(−a, a), a = √(6/fan_in): for the relu family. */
    HE_UNIFORM,
    /** N(0, 2/fan_in). */
    HE_NORMAL,
    /** N(0, 1/fan_in): for selu. */
    LECUN_NORMAL,
    /** U(−a, a), a = 1/√fan_in, for weights and biases alike: torch.nn.Linear's default. */
    TORCH,
    ZEROS;

    public void fill(Tensor w, int fanIn, int fanOut, Random rng) {
        int n = w.size();
        switch (this) {
            case GLOROT_UNIFORM -> uniform(w, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
            case HE_UNIFORM -> uniform(w, Math.sqrt(6.0 / fanIn), rng);
            case GLOROT_NORMAL -> normal(w, Math.sqrt(2.0 / (fanIn + fanOut)), rng);
            case HE_NORMAL -> normal(w, Math.sqrt(2.0 / fanIn), rng);
            case LECUN_NORMAL -> normal(w, Math.sqrt(1.0 / fanIn), rng);
            case TORCH -> uniform(w, 1 / Math.sqrt(fanIn), rng);
            case ZEROS -> w.zero();
        }
        assert w.size() == n;
    }

    /** Biases start at zero, except under {@link #TORCH}, which draws them like the weights. */
    public void fillBias(Tensor b, int fanIn, Random rng) {
        if (this == TORCH) uniform(b, 1 / Math.sqrt(fanIn), rng);
        else b.zero();
    }

    private static void uniform(Tensor w, double a, Random rng) {
        for (int i = 0, n = w.size(); i < n; i++) w.set(i, (2 * rng.nextDouble() - 1) * a);
    }

    private static void normal(Tensor w, double std, Random rng) {
        for (int i = 0, n = w.size(); i < n; i++) w.set(i, rng.nextGaussian() * std);
    }

    /** The scheme suited to an activation: He for the relu family, LeCun for selu, Glorot otherwise. */
    public static Init defaultFor(Activation a) {
        String s = a.spec();
        if (s.startsWith("relu") || s.startsWith("leaky_relu") || s.startsWith("elu") || s.startsWith("gelu")
                || s.startsWith("silu")) {
            return HE_UNIFORM;
        }
        if (s.equals("selu")) return LECUN_NORMAL;
        return GLOROT_UNIFORM;
    }

    public static Init parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown initialisation '" + s + "' (known: glorot_uniform,"
                    + " glorot_normal, he_uniform, he_normal, lecun_normal, torch, zeros)");
        }
    }
}
