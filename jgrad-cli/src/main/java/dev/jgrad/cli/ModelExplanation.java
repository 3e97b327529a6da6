package dev.jgrad.cli;

import dev.jgrad.io.Model;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Sequential;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * The derivation on a trained model for one sample: raw input → normalised input → network →
 * loss against a target class (the predicted one unless named), every layer's quantities, the
 * input gradient for the normalised and the raw input (dL/dx_raw = dL/dx' ⊙ scale, the chain
 * rule through x' = (x − offset)·scale), all checked against finite differences; and the same
 * input gradient for a second class, to compare.
 *
 * @param net       the model's network in float64
 * @param sample    where the input came from
 * @param probs     the model's output probabilities (or values, for regression)
 * @param target    the class explained (−1 for regression)
 * @param compare   the second class (−1 when none)
 * @param comparePass the pass for the second class, or null
 * @param compareRawGrad dL/dx_raw for the second class, or null
 * @param nanos     the computation's wall time (loading the files excluded)
 * @param cpuNanos  the CPU time of the thread that computed it (what the wall time is on an idle machine, less the JIT's threads)
 */
record ModelExplanation(Model model, Sequential net, ExplainInput.Sample sample, double[] normalised, double[] probs,
                        int predicted, int target, SampleBackprop.Pass pass, double[] rawGrad, FiniteDifferences.Report check,
                        int compare, SampleBackprop.Pass comparePass, double[] compareRawGrad, long nanos,
                        long cpuNanos) {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    static ModelExplanation compute(Model model, Sequential net64, ExplainInput.Sample sample, String targetArg, String compareArg,
                                    boolean runnerUpByDefault) {
        long t0 = System.nanoTime(), cpu0 = CPU.getCurrentThreadCpuTime();
        double[] xn = FiniteDifferences.normalise(model.normalizer(), sample.raw());
        double[] probs = probabilities(model, net64, xn);
        int predicted = model.isClassification() ? argmax(probs) : -1;
        int target = -1, compare = -1;
        double[] t;
        if (model.isClassification()) {
            target = targetArg == null ? predicted : classIndex(model, targetArg, "--target");
            if (compareArg != null) compare = classIndex(model, compareArg, "--compare");
            else if (runnerUpByDefault && probs.length > 1) compare = ModelExplainText.runnerUp(probs, target);
            t = oneHot(probs.length, target);
        } else {
            if (targetArg == null) throw new IllegalArgumentException("usage: a regression model needs --target VALUE[,VALUE...]");
            String[] parts = targetArg.split(",");
            if (parts.length != net64.outputSize()) {
                throw new IllegalArgumentException("usage: --target has " + parts.length + " values, the model has " + net64.outputSize() + " outputs");
            }
            t = new double[parts.length];
            for (int i = 0; i < parts.length; i++) t[i] = Double.parseDouble(parts[i].trim());
        }
        SampleBackprop.Pass pass = SampleBackprop.run(net64, model.loss(), xn, t);
        double[] rawGrad = rawGradient(model, pass.inputGradient());
        FiniteDifferences.Report check = FiniteDifferences.run(net64, model.loss(), pass, model.normalizer(), sample.raw(), rawGrad, 1);
        SampleBackprop.Pass cp = null;
        double[] cg = null;
        if (compare >= 0) {
            cp = SampleBackprop.run(net64, model.loss(), xn, oneHot(probs.length, compare));
            cg = rawGradient(model, cp.inputGradient());
        }
        return new ModelExplanation(model, net64, sample, xn, probs, predicted, target, pass, rawGrad, check, compare, cp, cg,
                System.nanoTime() - t0, CPU.getCurrentThreadCpuTime() - cpu0);
    }

    /** The chain rule through the normaliser: ∂x'_j/∂x_j = scale_j. */
    static double[] rawGradient(Model model, double[] g) {
        double[] out = new double[g.length];
        for (int j = 0; j < g.length; j++) out[j] = g[j] * model.normalizer().scale()[j];
        return out;
    }

    /** What {@link Model#predict} gives, in float64: the softmax applied when the network ends in logits. */
    static double[] probabilities(Model model, Sequential net64, double[] xn) {
        double[] y = net64.forward(SampleBackprop.row(xn), false).toDoubleArray();
        Activation last = net64.outputActivation();
        if (model.isClassification() && last != Activations.SOFTMAX && last != Activations.SIGMOID) {
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (double v : y) max = Math.max(max, v);
            for (int i = 0; i < y.length; i++) s += y[i] = Math.exp(y[i] - max);
            for (int i = 0; i < y.length; i++) y[i] /= s;
        }
        return y;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static double[] oneHot(int n, int k) {
        double[] t = new double[n];
        t[k] = 1;
        return t;
    }

    /** A class by name, or by index when no class has that name. */
    static int classIndex(Model model, String arg, String option) {
        List<String> names = model.classNames();
        int i = names.indexOf(arg.trim());
        if (i >= 0) return i;
        for (int k = 0; k < names.size(); k++) if (names.get(k).equalsIgnoreCase(arg.trim())) return k;
        try {
            int k = Integer.parseInt(arg.trim());
            if (k >= 0 && k < names.size()) return k;
        } catch (NumberFormatException ignored) {
            // not an index either
        }
        throw new IllegalArgumentException("usage: " + option + " '" + arg + "' is not a class of the model (classes: "
                + String.join(", ", names) + ", or an index 0.." + (names.size() - 1) + ")");
    }

    String className(int k) {
        return k < 0 ? "" : model.classNames().get(k);
    }

    /** ∂(log p_target − log p_compare)/∂x_raw = dL_compare/dx − dL_target/dx (the log-sum-exp cancels): what tips target over compare. */
    double[] contrast() {
        if (compareRawGrad == null) return null;
        double[] d = new double[rawGrad.length];
        for (int j = 0; j < d.length; j++) d[j] = compareRawGrad[j] - rawGrad[j];
        return d;
    }
}
