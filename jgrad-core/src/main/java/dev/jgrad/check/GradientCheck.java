package dev.jgrad.check;

import dev.jgrad.nn.Dense;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Checks backpropagation against finite differences, in float64 whatever the network's dtype
 * (it works on a float64 copy and leaves the network untouched).
 *
 * <p>The numeric derivative is the five-point central difference
 * (8(L(p+h) − L(p−h)) − (L(p+2h) − L(p−2h))) / 12h, whose truncation error is O(h⁴): with
 * h = 1e-3 truncation and rounding both stay near 1e-13, far below the 1e-7 the checks demand.
 * The error reported is |a − n| / max(|a| + |n|, floor); the floor (1e-6 by default) makes the
 * check absolute for gradients too small for a relative error to mean anything: there a 1e-7
 * check demands |a − n| ≤ 1e-13.
 *
 * <p>It refuses, with an exception saying why, to check what a numeric check cannot judge: a
 * network that is random in training mode (dropout without a fixed mask), a batch where a
 * pre-activation lies within the kink margin of a point where the derivative jumps (relu at 0),
 * or a perturbation that moves a pre-activation or the loss's input across such a point: the
 * difference quotient would then straddle two slopes. Every perturbed pass is checked for that,
 * so no tolerance needs loosening near kinks.
 */
public final class GradientCheck {

    /** One checked scalar. */
    public record Entry(String tensor, int index, double analytic, double numeric, double relativeError) {
        @Override
        public String toString() {
            return String.format("%s[%d]: analytic %.12g, numeric %.12g, relative error %.3g",
                    tensor, index, analytic, numeric, relativeError);
        }
    }

    /** The outcome: the worst entry overall and per tensor ("input" is dL/dX). */
    public record Report(Entry worst, Map<String, Entry> worstPerTensor, int checked, int skipped) {
        public double maxRelativeError() {
            return worst == null ? 0 : worst.relativeError();
        }

        public boolean passes(double tolerance) {
            return maxRelativeError() <= tolerance;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%d values checked%s, worst relative error %.3g%n", checked,
                    skipped > 0 ? " (" + skipped + " left out: their perturbation crosses a kink)" : "", maxRelativeError()));
            for (Entry e : worstPerTensor.values()) sb.append("  ").append(e).append('\n');
            return sb.toString();
        }
    }

    private final double step;
    private final double floor;
    private final double kinkMargin;
    private final int maxPerTensor;
    private final boolean includeInput;
    private final long seed;
    private final boolean skipKinks;

    private GradientCheck(double step, double floor, double kinkMargin, int maxPerTensor, boolean includeInput, long seed,
                          boolean skipKinks) {
        this.step = step;
        this.floor = floor;
        this.kinkMargin = kinkMargin;
        this.maxPerTensor = maxPerTensor;
        this.includeInput = includeInput;
        this.seed = seed;
        this.skipKinks = skipKinks;
    }

    /** h = 1e-3, floor 1e-6, kink margin 1e-6, every value, input gradient included. */
    public static GradientCheck defaults() {
        return new GradientCheck(1e-3, 1e-6, 1e-6, Integer.MAX_VALUE, true, 0, false);
    }

    public GradientCheck step(double h) {
        return new GradientCheck(h, floor, kinkMargin, maxPerTensor, includeInput, seed, skipKinks);
    }

    public GradientCheck floor(double f) {
        return new GradientCheck(step, f, kinkMargin, maxPerTensor, includeInput, seed, skipKinks);
    }

    public GradientCheck kinkMargin(double m) {
        return new GradientCheck(step, floor, m, maxPerTensor, includeInput, seed, skipKinks);
    }

    /** Checks at most n values per tensor, chosen with the seed (for large networks). */
    public GradientCheck samplePerTensor(int n, long sampleSeed) {
        return new GradientCheck(step, floor, kinkMargin, n, includeInput, sampleSeed, skipKinks);
    }

    public GradientCheck includeInput(boolean include) {
        return new GradientCheck(step, floor, kinkMargin, maxPerTensor, include, seed, skipKinks);
    }

    /**
     * Instead of refusing, leave out the values whose perturbation crosses a kink and count them
     * ({@link Report#skipped()}): for large relu networks, where some pre-activation nearly always
     * lies that close to zero.
     */
    public GradientCheck skipKinkCrossings(boolean skip) {
        return new GradientCheck(step, floor, kinkMargin, maxPerTensor, includeInput, seed, skip);
    }

    public Report run(Sequential network, Loss loss, Tensor x, Tensor target) {
        Sequential net = network.to(DType.F64);
        Tensor x64 = x.to(DType.F64), t64 = target.to(DType.F64);
        for (int i = 0; i < net.layers().size(); i++) {
            Layer l = net.layers().get(i);
            if (l.isStochastic()) {
                throw new IllegalStateException("gradient check refused: layer " + i + " " + l.describe()
                        + " is random in training mode; fix its mask first");
            }
        }
        net.forward(x64, true);
        if (!skipKinks) refuseNearKinks(net, loss, t64);
        Baseline base = new Baseline(net, loss, t64);

        net.zeroGrad();
        net.backward(loss, t64, includeInput);
        List<Target> targets = new ArrayList<>();
        for (Parameter p : net.parameters()) targets.add(new Target(p.name(), p.value(), p.grad().toDoubleArray()));
        if (includeInput) targets.add(new Target("input", x64, net.inputGradient().toDoubleArray()));

        Map<String, Entry> worstPer = new LinkedHashMap<>();
        Entry worst = null;
        int checked = 0, skipped = 0;
        Random pick = new Random(seed);
        for (Target t : targets) {
            for (int idx : indices(t.values.size(), pick)) {
                double numeric;
                try {
                    numeric = numeric(net, loss, x64, t64, t.values, idx, base);
                } catch (KinkCrossed e) {
                    if (!skipKinks) throw new IllegalStateException(e.getMessage());
                    skipped++;
                    continue;
                }
                double a = t.analytic[idx];
                double err = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
                Entry e = new Entry(t.name, idx, a, numeric, err);
                checked++;
                Entry w = worstPer.get(t.name);
                if (w == null || err > w.relativeError()) worstPer.put(t.name, e);
                if (worst == null || err > worst.relativeError()) worst = e;
            }
        }
        return new Report(worst, worstPer, checked, skipped);
    }

    /** A perturbation moved something across a kink; the value it was for cannot be checked. */
    private static final class KinkCrossed extends RuntimeException {
        KinkCrossed(String message) {
            super(message, null, false, false);
        }
    }

    private record Target(String name, Tensor values, double[] analytic) {
    }

    private int[] indices(int size, Random pick) {
        if (size <= maxPerTensor) {
            int[] all = new int[size];
            for (int i = 0; i < size; i++) all[i] = i;
            return all;
        }
        int[] some = new int[maxPerTensor];
        for (int i = 0; i < maxPerTensor; i++) some[i] = pick.nextInt(size);
        return some;
    }

    private double numeric(Sequential net, Loss loss, Tensor x, Tensor t, Tensor values, int idx, Baseline base) {
        double v = values.get(idx);
        double p1 = lossAt(net, loss, x, t, values, idx, v + step);
        double m1 = lossAt(net, loss, x, t, values, idx, v - step);
        try {
            double p2 = lossAt(net, loss, x, t, values, idx, v + 2 * step);
            base.refuseCrossing(net, loss, idx, values);
            double m2 = lossAt(net, loss, x, t, values, idx, v - 2 * step);
            base.refuseCrossing(net, loss, idx, values);
            return (8 * (p1 - m1) - (p2 - m2)) / (12 * step);
        } finally {
            values.set(idx, v);
        }
    }

    /**
     * Pre-activations and loss input of the unperturbed pass with their distances to the nearest
     * kink: a perturbed value that moved less than that distance cannot have crossed one.
     */
    private static final class Baseline {
        final List<double[]> z = new ArrayList<>();
        final List<double[]> room = new ArrayList<>();
        final double[] lossInput;
        final double lossRoom;
        final Tensor target;

        Baseline(Sequential net, Loss loss, Tensor target) {
            this.target = target;
            for (Layer l : net.layers()) {
                if (l instanceof Dense d) {
                    double[] zs = d.preActivation().toDoubleArray();
                    double[] r = new double[zs.length];
                    for (int i = 0; i < zs.length; i++) r[i] = d.activation().kinkDistance(zs[i]);
                    z.add(zs);
                    room.add(r);
                } else {
                    z.add(null);
                    room.add(null);
                }
            }
            lossInput = net.lossInput(loss).toDoubleArray();
            lossRoom = loss.kinkDistance(net.lossInput(loss), target);
        }

        void refuseCrossing(Sequential net, Loss loss, int idx, Tensor values) {
            for (int li = 0; li < z.size(); li++) {
                double[] zs = z.get(li);
                if (zs == null) continue;
                Dense d = (Dense) net.layers().get(li);
                Tensor now = d.preActivation();
                double[] r = room.get(li);
                for (int i = 0; i < zs.length; i++) {
                    if (r[i] != Double.POSITIVE_INFINITY && Math.abs(now.get(i) - zs[i]) >= r[i]) {
                        throw new KinkCrossed(String.format("gradient check refused: perturbing value %d"
                                + " moves layer %d %s pre-activation at row %d, column %d from %.3g across a kink"
                                + " of %s; choose other inputs or weights, or a smaller step",
                                idx, li, d.describe(), i / now.cols(), i % now.cols(), zs[i], d.activation().spec()));
                    }
                }
            }
            if (lossRoom != Double.POSITIVE_INFINITY) {
                Tensor now = net.lossInput(loss);
                for (int i = 0; i < lossInput.length; i++) {
                    if (Math.abs(now.get(i) - lossInput[i]) >= lossRoom) {
                        throw new KinkCrossed("gradient check refused: perturbing value " + idx
                                + " moves the input of " + loss.spec() + " across a kink; choose other targets");
                    }
                }
            }
        }
    }

    private static double lossAt(Sequential net, Loss loss, Tensor x, Tensor t, Tensor values, int idx, double v) {
        values.set(idx, v);
        net.forward(x, true);
        return net.loss(loss, t);
    }

    private void refuseNearKinks(Sequential net, Loss loss, Tensor t) {
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof Dense d) {
                Tensor z = d.preActivation();
                for (int k = 0; k < z.size(); k++) {
                    double dist = d.activation().kinkDistance(z.get(k));
                    if (dist < kinkMargin) {
                        throw new IllegalStateException(String.format(
                                "gradient check refused: layer %d %s has pre-activation %.3g at row %d, column %d,"
                                        + " within %.1g of a kink of %s; choose other inputs or weights",
                                i, d.describe(), z.get(k), k / z.cols(), k % z.cols(), kinkMargin, d.activation().spec()));
                    }
                }
            }
        }
        double dist = loss.kinkDistance(net.lossInput(loss), t);
        if (dist < kinkMargin) {
            throw new IllegalStateException(String.format("gradient check refused: %s is within %.3g of a kink"
                    + " (margin %.1g); choose other targets", loss.spec(), dist, kinkMargin));
        }
    }
}
