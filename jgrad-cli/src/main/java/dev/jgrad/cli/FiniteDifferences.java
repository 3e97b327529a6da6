package dev.jgrad.cli;

import dev.jgrad.data.Normalizer;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;

/**
 * Checks the gradients of one {@link SampleBackprop.Pass} against five-point central differences
 * in float64 and evaluation mode, on a sample of entries of every tensor: each layer's parameters,
 * each layer's input (dL/dx, which is ∇_y L of the layer below), and the raw input through the
 * normaliser. The sample is the entries of largest |gradient| (where an error would matter) plus
 * as many chosen at random. An entry whose perturbation moves a pre-activation across a kink
 * (relu at 0) is tried again with a step 100 times smaller, and left out (counted) if it still does;
 * one that disagrees by more than the tolerance is measured again with a step ten times smaller.
 */
final class FiniteDifferences {
    private FiniteDifferences() {
    }

    static final double STEP = 1e-3;
    /**
     * Below this, |a| + |n| counts as this: the check turns absolute (1e-10 at the tolerance) for
     * gradients too small to compare relatively. The loss of a trained classifier is a log-sum-exp
     * of logits near 10, computed to about 1e-15, so a difference quotient over h = 1e-3 carries
     * rounding near 1e-12 whatever the gradient's size.
     */
    static final double FLOOR = 1e-4;
    static final double TOLERANCE = 1e-6;
    static final int LARGEST = 4, RANDOM = 4;

    /** One checked entry; index is flat, in the layout of the tensor. */
    record Entry(String tensor, int[] dims, int index, double analytic, double numeric, double error) {
        String where() {
            return tensor + Summary.index(dims, index);
        }
    }

    /** Everything checked, the worst entry per tensor, and how many entries were left out at kinks. */
    record Report(List<Entry> entries, Map<String, Entry> worstPerTensor, int skipped) {
        Entry worst() {
            return entries.stream().max(Comparator.comparingDouble(Entry::error)).orElse(null);
        }

        double worstError() {
            Entry w = worst();
            return w == null ? 0 : w.error();
        }

        boolean passes() {
            return worstError() <= TOLERANCE;
        }

        double error(String tensor) {
            Entry e = worstPerTensor.get(tensor);
            return e == null ? Double.NaN : e.error();
        }
    }

    /** The name under which each layer's input gradient is checked: {@code input} for the first. */
    static String inputName(SampleBackprop.Step s) {
        return s.index() == 0 ? "input" : s.prefix() + ".input";
    }

    static Report run(Sequential net, Loss loss, SampleBackprop.Pass pass, Normalizer norm, double[] rawX, double[] rawGrad, long seed) {
        Random pick = new Random(seed);
        List<Entry> entries = new ArrayList<>();
        int[] skipped = {0};
        for (SampleBackprop.Step s : pass.steps()) {
            for (Parameter p : s.layer().parameters()) {
                String name = s.prefix() + "." + p.name();
                SampleBackprop.Grad g = s.grads().get(name);
                Tensor v = p.value();
                check(entries, skipped, name, g.dims(), g.values(), pick, idx -> {
                    double keep = v.get(idx);
                    return h -> {
                        v.set(idx, keep + h);
                        try {
                            return SampleBackprop.lossFrom(net, loss, pass, s.index(), s.x());
                        } finally {
                            v.set(idx, keep);
                        }
                    };
                });
            }
            double[] x = s.x();
            check(entries, skipped, inputName(s), new int[]{x.length}, s.dx(), pick, idx -> h -> {
                double[] moved = x.clone();
                moved[idx] += h;
                return SampleBackprop.lossFrom(net, loss, pass, s.index(), moved);
            });
        }
        if (rawX != null) {
            check(entries, skipped, "raw input", new int[]{rawX.length}, rawGrad, pick, idx -> h -> {
                double[] moved = rawX.clone();
                moved[idx] += h;
                return SampleBackprop.lossFrom(net, loss, pass, 0, normalise(norm, moved));
            });
        }
        Map<String, Entry> worst = new LinkedHashMap<>();
        for (Entry e : entries) worst.merge(e.tensor(), e, (a, b) -> b.error() > a.error() ? b : a);
        return new Report(entries, worst, skipped[0]);
    }

    /** x' = (x − offset)·scale in float64. */
    static double[] normalise(Normalizer n, double[] raw) {
        double[] out = new double[raw.length];
        for (int j = 0; j < raw.length; j++) out[j] = (raw[j] - n.offset()[j]) * n.scale()[j];
        return out;
    }

    /** The loss as a function of a step h added to entry idx of one tensor. */
    private interface Perturbation {
        DoubleUnaryOperator at(int idx);
    }

    private static void check(List<Entry> out, int[] skipped, String name, int[] dims, double[] analytic, Random pick, Perturbation f) {
        for (int idx : sample(analytic, pick)) {
            DoubleUnaryOperator l = f.at(idx);
            double numeric = Double.NaN;
            for (double h = STEP; h >= STEP / 100 && Double.isNaN(numeric); h /= 100) numeric = fivePoint(l, h);
            if (Double.isNaN(numeric)) {
                skipped[0]++;
                continue;
            }
            double a = analytic[idx];
            double err = error(a, numeric);
            if (err > TOLERANCE) {
                // Measured again with a step ten times smaller (truncation error 10⁴ times smaller); the better
                // of the two is kept. A wrong derivative disagrees at every step.
                double again = fivePoint(l, STEP / 10);
                if (!Double.isNaN(again) && error(a, again) < err) {
                    numeric = again;
                    err = error(a, again);
                }
            }
            out.add(new Entry(name, dims, idx, a, numeric, err));
        }
    }

    /** |a − n| / max(|a| + |n|, FLOOR). */
    static double error(double a, double n) {
        return Math.abs(a - n) / Math.max(Math.abs(a) + Math.abs(n), FLOOR);
    }

    /** (8(L(h) − L(−h)) − (L(2h) − L(−2h))) / 12h, truncation error O(h⁴); NaN when a kink was crossed. */
    private static double fivePoint(DoubleUnaryOperator l, double h) {
        double p1 = l.applyAsDouble(h), m1 = l.applyAsDouble(-h), p2 = l.applyAsDouble(2 * h), m2 = l.applyAsDouble(-2 * h);
        return (8 * (p1 - m1) - (p2 - m2)) / (12 * h);
    }

    /** The LARGEST entries of largest magnitude and RANDOM others, without repeats (all of them when that is every entry). */
    static int[] sample(double[] g, Random pick) {
        int n = g.length;
        if (n <= LARGEST + RANDOM) return IntStream.range(0, n).toArray();
        java.util.LinkedHashSet<Integer> chosen = new java.util.LinkedHashSet<>();
        for (int i : Summary.largest(g, LARGEST)) chosen.add(i);
        while (chosen.size() < LARGEST + RANDOM) chosen.add(pick.nextInt(n));
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }
}
