package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * x' = (x − offset_j) · scale_j per feature, fitted on the training split only and then applied
 * unchanged to validation, test and prediction inputs (it is saved with the model).
 * {@code minmax} maps each feature's training range to [0, 1]; {@code standard} to mean 0 and
 * standard deviation 1; {@code pixels} divides by 255; {@code none} leaves values alone.
 * A constant feature gets scale 1, not a division by zero.
 */
public record Normalizer(String kind, double[] offset, double[] scale) {

    public static Normalizer fit(String kind, FloatTensor x) {
        int n = x.rows(), d = x.cols();
        double[] off = new double[d], sc = new double[d];
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "none" -> Arrays.fill(sc, 1);
            case "pixels" -> Arrays.fill(sc, 1 / 255.0);
            case "minmax" -> {
                double[] lo = new double[d], hi = new double[d];
                Arrays.fill(lo, Double.POSITIVE_INFINITY);
                Arrays.fill(hi, Double.NEGATIVE_INFINITY);
                for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) {
                    double v = x.get(i * d + j);
                    lo[j] = Math.min(lo[j], v);
                    hi[j] = Math.max(hi[j], v);
                }
                for (int j = 0; j < d; j++) {
                    off[j] = lo[j];
                    sc[j] = hi[j] > lo[j] ? 1 / (hi[j] - lo[j]) : 1;
                }
            }
            case "standard" -> {
                double[] sum = new double[d], sq = new double[d];
                for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) sum[j] += x.get(i * d + j);
                for (int j = 0; j < d; j++) off[j] = sum[j] / n;
                for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) {
                    double dv = x.get(i * d + j) - off[j];
                    sq[j] += dv * dv;
                }
                for (int j = 0; j < d; j++) {
                    double sd = Math.sqrt(sq[j] / n);
                    sc[j] = sd > 1e-12 ? 1 / sd : 1;
                }
            }
            default -> throw new IllegalArgumentException("unknown normalisation '" + kind
                    + "' (known: none, pixels, minmax, standard)");
        }
        return new Normalizer(kind.toLowerCase(Locale.ROOT), off, sc);
    }

    /** Normalises x in place; x must have as many columns as the normaliser was fitted on. */
    public void apply(FloatTensor x) {
        int d = offset.length;
        if (x.cols() != d) {
            throw new IllegalArgumentException("normaliser fitted on " + d + " features, data " + x.shape() + " has " + x.cols());
        }
        if (kind.equals("none")) return;
        float[] a = x.data();
        int o = x.offset();
        for (int i = 0, n = x.rows(); i < n; i++) {
            int r = o + i * d;
            for (int j = 0; j < d; j++) a[r + j] = (float) ((a[r + j] - offset[j]) * scale[j]);
        }
    }

    public Dataset apply(Dataset data) {
        FloatTensor f = (FloatTensor) data.features().copy();
        apply(f);
        return new Dataset(data.name(), f, data.targets(), data.classNames(), data.imageShape());
    }
}
