package dev.jgrad.cli;

import java.util.StringJoiner;

/**
 * A vector or matrix as text: every value when it is small, otherwise its shape, norm, range,
 * its largest entries with their indices, and a one-line histogram.
 */
final class Summary {
    private Summary() {
    }

    /** At most this many values are printed in full. */
    static final int FULL = 16;
    static final int TOP = 5;
    static final int BINS = 16;
    private static final String BARS = " ▁▂▃▄▅▆▇█";

    /** "[3]" for a vector, "[3,17]" for a matrix, from a flat index. */
    static String index(int[] dims, int flat) {
        return dims.length == 2 ? "[" + flat / dims[1] + "," + flat % dims[1] + "]" : "[" + flat + "]";
    }

    static String shape(int[] dims) {
        StringJoiner j = new StringJoiner("×", "[", "]");
        for (int d : dims) j.add(Integer.toString(d));
        return j.toString();
    }

    static double norm(double[] v) {
        double s = 0;
        for (double d : v) s += d * d;
        return Math.sqrt(s);
    }

    /** Indices of the k entries of largest magnitude, largest first (O(n·k), no boxing). */
    static int[] largest(double[] v, int k) {
        k = Math.min(k, v.length);
        int[] top = new int[k];
        int have = 0;
        for (int i = 0; i < v.length; i++) {
            double a = Math.abs(v[i]);
            if (have == k && a <= Math.abs(v[top[k - 1]])) continue;
            int at = have < k ? have++ : k - 1;
            while (at > 0 && Math.abs(v[top[at - 1]]) < a) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = i;
        }
        return top;
    }

    /** Counts in BINS equal bins between min and max. */
    static int[] histogram(double[] v, double lo, double hi) {
        int[] c = new int[BINS];
        for (double d : v) {
            int b = hi > lo ? (int) ((d - lo) / (hi - lo) * BINS) : 0;
            c[Math.min(BINS - 1, Math.max(0, b))]++;
        }
        return c;
    }

    /** The histogram as block characters, on a square-root scale so that thin tails still show. */
    static String sparkline(int[] counts) {
        int max = 1;
        for (int c : counts) max = Math.max(max, c);
        StringBuilder sb = new StringBuilder();
        for (int c : counts) sb.append(BARS.charAt(c == 0 ? 0 : Math.max(1, (int) Math.round(8 * Math.sqrt(c / (double) max)))));
        return sb.toString();
    }

    /** The value in full (one line for a vector, one line per row for a matrix) or summarised; lines after the first are indented. */
    static String of(int[] dims, double[] v, String indent) {
        if (v.length <= FULL) {
            if (dims.length == 2 && dims[0] > 1) {
                StringJoiner j = new StringJoiner(",\n" + indent + " ", "[", "]");
                for (int r = 0; r < dims[0]; r++) {
                    double[] row = new double[dims[1]];
                    System.arraycopy(v, r * dims[1], row, 0, dims[1]);
                    j.add(ExplainText.v(row));
                }
                return j.toString();
            }
            return ExplainText.v(v);
        }
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        int nonzero = 0;
        for (double d : v) {
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
            if (d != 0) nonzero++;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%s  ‖·‖ = %s, min %s, max %s, %d of %d non-zero", shape(dims), ExplainText.num(norm(v)),
                ExplainText.num(lo), ExplainText.num(hi), nonzero, v.length));
        sb.append('\n').append(indent).append("largest |·|: ");
        StringJoiner j = new StringJoiner(", ");
        for (int i : largest(v, TOP)) j.add(index(dims, i) + " " + ExplainText.num(v[i]));
        sb.append(j);
        sb.append('\n').append(indent).append("histogram: ").append(ExplainText.num(lo)).append(" ")
                .append(sparkline(histogram(v, lo, hi))).append(" ").append(ExplainText.num(hi));
        return sb.toString();
    }

    static String of(double[] v, String indent) {
        return of(new int[]{v.length}, v, indent);
    }
}
