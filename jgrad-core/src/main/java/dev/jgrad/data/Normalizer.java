package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * x' = (x − offset_j) · scale_j per feature, fitted on the training split only and then applied
 * unchanged to validation, test and prediction inputs (it is saved with the model).
 * A constant feature gets scale 1, not a division by zero.
 */
public record Normalizer(Kind kind, double[] offset, double[] scale) {

    /** The normalisations there are, named in lower case on the command line and in model files. */
    public enum Kind {
        /** Leaves values alone. */
        NONE,
        /** Divides by 255. */
        PIXELS,
        /** Maps each feature's training range to [0, 1]. */
        MINMAX,
        /** Maps each feature to mean 0 and standard deviation 1 over the training data. */
        STANDARD;

        private static final String KNOWN = Arrays.stream(values()).map(Kind::spec).collect(Collectors.joining(", "));

        /** The lower-case name the command line and model files use, e.g. {@code minmax}. */
        public String spec() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The same as {@link #spec()}, so that messages and JSON read as the files do. */
        @Override
        public String toString() {
            return spec();
        }

        /** The kind a name denotes, in any case; an unknown name fails with a message listing the known ones. */
        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.spec().equals(name.trim().toLowerCase(Locale.ROOT))) return k;
            }
            throw new IllegalArgumentException("unknown normalisation '" + name + "' (known: " + KNOWN + ")");
        }
    }

    /** Checks that the kind is given and that offset and scale have one entry per feature. */
    public Normalizer {
        Objects.requireNonNull(kind, "kind");
        if (offset.length != scale.length) {
            throw new IllegalArgumentException("normaliser offset has " + offset.length + " features, scale " + scale.length);
        }
    }

    /** Fits a normaliser of the given kind on x, one feature per column. */
    public static Normalizer fit(Kind kind, FloatTensor x) {
        int n = x.rows(), d = x.cols();
        double[] off = new double[d], sc = new double[d];
        switch (kind) {
            case NONE -> Arrays.fill(sc, 1);
            case PIXELS -> Arrays.fill(sc, 1 / 255.0);
            case MINMAX -> {
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
            case STANDARD -> {
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
        }
        return new Normalizer(kind, off, sc);
    }

    /** Normalises x in place; x must have as many columns as the normaliser was fitted on. */
    public void apply(FloatTensor x) {
        int d = offset.length;
        if (x.cols() != d) {
            throw new IllegalArgumentException("normaliser fitted on " + d + " features, data " + x.shape() + " has " + x.cols());
        }
        if (kind == Kind.NONE) return;
        float[] a = x.data();
        int o = x.offset();
        for (int i = 0, n = x.rows(); i < n; i++) {
            int r = o + i * d;
            for (int j = 0; j < d; j++) a[r + j] = (float) ((a[r + j] - offset[j]) * scale[j]);
        }
    }

    /** A copy of data with its features normalised; the original is left as it was. */
    public Dataset apply(Dataset data) {
        FloatTensor f = (FloatTensor) data.features().copy();
        apply(f);
        return new Dataset(data.name(), f, data.targets(), data.classNames(), data.imageShape());
    }
}
