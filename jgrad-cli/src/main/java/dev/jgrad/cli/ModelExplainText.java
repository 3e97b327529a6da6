package dev.jgrad.cli;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.nn.Dense;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/** A trained model's explanation as text for a terminal, and as JSON for scripts. */
final class ModelExplainText {
    private ModelExplainText() {
    }

    private static final String IND = "                      ";

    static void print(PrintWriter p, ModelExplanation e) {
        var s = e.sample();
        var pass = e.pass();
        p.printf("jgrad explain: %s, loss %s, float64, evaluation mode (dropout off, batch norm on its running statistics)%n",
                architecture(e), e.model().loss().spec());
        p.printf("sample: row %d of %s (%d rows)%s%n%n", s.row(), s.source(), s.rows(),
                s.label() >= 0 ? ", true class " + e.className(s.label()) : "");
        Normalizer n = e.model().normalizer();
        p.println("input");
        p.printf("  raw x             = %s%n", Summary.of(s.raw(), IND));
        p.printf("  normaliser        %s: x' = (x − offset) ⊙ scale%s%n", n.kind().spec(), describe(n));
        p.printf("  x'                = %s%n%n", Summary.of(e.normalised(), IND));
        p.println("forward");
        for (SampleBackprop.Step st : pass.steps()) {
            p.printf("  layer %d  %s%n", st.index() + 1, st.layer().describe());
            if (st.layer() instanceof Dense d) {
                p.printf("    W               = %s%n", Summary.of(d.weight().shape().dims(), d.weight().toDoubleArray(), IND));
                p.printf("    b               = %s%n", Summary.of(d.bias().toDoubleArray(), IND));
                p.printf("    z = W x + b     = %s%n", Summary.of(st.z(), IND));
                p.printf("    y = %-11s = %s%n", d.activation().spec() + "(z)", Summary.of(st.y(), IND));
            } else {
                p.printf("    y               = %s%n", Summary.of(st.y(), IND));
            }
        }
        if (e.model().isClassification()) {
            p.printf("  prediction: %s (p = %.4f)", e.className(e.predicted()), e.probs()[e.predicted()]);
            int second = runnerUp(e.probs(), e.predicted());
            if (second >= 0) p.printf(", next %s (p = %.4f)", e.className(second), e.probs()[second]);
            p.println();
            p.printf("  target: %s%s%n", e.className(e.target()), e.target() == e.predicted() ? " (the predicted class)" : "");
            p.printf("  L = %s = −log p_target = %s%n%n", e.model().loss().spec(), ExplainText.num(pass.loss()));
        } else {
            p.printf("  prediction: %s%n  L = %s against t = %s: %s%n%n", ExplainText.v(e.probs()), e.model().loss().spec(),
                    ExplainText.v(pass.target()), ExplainText.num(pass.loss()));
        }
        var check = e.check();
        p.println("backward, from the loss down (each gradient has the shape of what it differentiates)");
        for (SampleBackprop.Step st : pass.steps().reversed()) {
            p.printf("  layer %d  %s%n", st.index() + 1, st.layer().describe());
            if (st.gradY() != null) p.printf("    ∇_y L           = %s%n", Summary.of(st.gradY(), IND));
            if (st.fPrime() != null) p.printf("    f'(z)           = %s%n", Summary.of(st.fPrime(), IND));
            if (st.deltaRule() != null) {
                p.printf("    %s%n", st.deltaRule());
                p.printf("    δ               = %s%n", Summary.of(st.delta(), IND));
            }
            for (var g : st.grads().entrySet()) {
                String local = g.getKey().substring(st.prefix().length() + 1);
                String label = st.isDense() ? (local.equals("weight") ? "dL/dW = δ xᵀ" : "dL/db = δ") : "dL/d" + local;
                p.printf("    %-15s = %s%n", label, Summary.of(g.getValue().dims(), g.getValue().values(), IND));
                p.printf("%s%s%n", IND, fd(check, g.getKey()));
            }
            p.printf("    %-15s = %s%n", st.isDense() ? "dL/dx = Wᵀ δ" : "dL/dx", Summary.of(st.dx(), IND));
            p.printf("%s%s%s%n", IND, fd(check, FiniteDifferences.inputName(st)), st.index() > 0 ? "; → ∇_y L of layer " + st.index() : "");
        }
        p.println();
        p.println("input gradient");
        p.printf("  dL/dx'            = %s%n", Summary.of(pass.inputGradient(), IND));
        p.printf("  dL/dx = dL/dx' ⊙ scale (raw input, chain rule through the normaliser)%n");
        p.printf("                    = %s%n", Summary.of(e.rawGrad(), IND));
        p.printf("%s%s%n", IND, fd(check, "raw input"));
        p.printf("  the inputs of largest |dL/dx'|, with dL/dx' (and dL/dx); below zero, raising the input makes %s:%n    ",
                e.model().isClassification() ? e.className(e.target()) + " more likely" : "the loss smaller");
        int[] top = Summary.largest(pass.inputGradient(), 8);
        for (int k = 0; k < top.length; k++) {
            p.printf("%s%s %s (%s)", k > 0 ? ", " : "", e.sample().featureNames().get(top[k]), ExplainText.num(pass.inputGradient()[top[k]]),
                    ExplainText.num(e.rawGrad()[top[k]]));
        }
        p.println();
        if (e.comparePass() != null) {
            p.printf("%ncompared with %s (p = %.4f): L = −log p = %s%n", e.className(e.compare()), e.probs()[e.compare()],
                    ExplainText.num(e.comparePass().loss()));
            p.printf("  dL/dx for %-7s = %s%n", e.className(e.compare()), Summary.of(e.compareRawGrad(), IND));
            p.printf("  ∂(log p_%s − log p_%s)/∂x = %s%n", e.className(e.target()), e.className(e.compare()), Summary.of(e.contrast(), IND));
        }
        p.println();
        p.printf("the derivation (δ xᵀ and Wᵀ δ by hand) and the layers' backward differ by at most %.1e%n", pass.derivationGap());
        var worst = check.worst();
        p.printf("finite differences (five-point, h = %.0e, float64): %d entries checked%s, worst relative error %.2e%s — %s%n",
                FiniteDifferences.STEP, check.entries().size(),
                check.skipped() > 0 ? " (" + check.skipped() + " left out: their perturbation crosses a relu kink)" : "",
                check.worstError(), worst == null ? "" : " at " + worst.where(),
                check.passes() ? "PASS (within " + FiniteDifferences.TOLERANCE + ")" : "FAIL: above " + FiniteDifferences.TOLERANCE
                        + ", analytic " + ExplainText.num(worst.analytic()) + " but numeric " + ExplainText.num(worst.numeric()));
        p.printf("computed in %.1f ms, %.1f ms of CPU (forward, backward, %d finite-difference losses%s; reading the files excluded)%n",
                e.nanos() / 1e6, e.cpuNanos() / 1e6, 4 * check.entries().size(), e.comparePass() != null ? ", the second class" : "");
    }

    private static String fd(FiniteDifferences.Report check, String tensor) {
        FiniteDifferences.Entry w = check.worstPerTensor().get(tensor);
        if (w == null) return "finite differences: nothing checkable";
        return String.format("finite differences agree to %.1e (worst at %s)%s", w.error(), Summary.index(w.dims(), w.index()),
                w.error() > FiniteDifferences.TOLERANCE ? "  FAIL" : "");
    }

    static String architecture(ModelExplanation e) {
        StringBuilder sb = new StringBuilder().append(e.net().inputSize());
        for (var l : e.net().layers()) sb.append(" → ").append(l.describe());
        return sb.toString();
    }

    private static String describe(Normalizer n) {
        if (n.kind() == Normalizer.Kind.NONE) return " (none: x' = x)";
        if (n.kind() == Normalizer.Kind.PIXELS) return " (offset 0, scale 1/255)";
        return "";
    }

    static int runnerUp(double[] probs, int best) {
        int second = -1;
        for (int i = 0; i < probs.length; i++) if (i != best && (second < 0 || probs[i] > probs[second])) second = i;
        return second;
    }

    static void json(PrintWriter p, ModelExplanation e) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("row", e.sample().row());
        if (e.model().isClassification()) {
            doc.put("predicted", e.className(e.predicted()));
            doc.put("target", e.className(e.target()));
            if (e.sample().label() >= 0) doc.put("label", e.className(e.sample().label()));
        }
        doc.put("output", e.probs());
        doc.put("loss", e.pass().loss());
        doc.put("input_gradient", e.pass().inputGradient());
        doc.put("raw_input_gradient", e.rawGrad());
        Map<String, Object> layers = new LinkedHashMap<>();
        for (var st : e.pass().steps()) for (var g : st.grads().entrySet()) layers.put(g.getKey(), g.getValue().values());
        doc.put("gradients", layers);
        if (e.comparePass() != null) {
            doc.put("compare", e.className(e.compare()));
            doc.put("compare_raw_input_gradient", e.compareRawGrad());
        }
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("checked", e.check().entries().size());
        check.put("skipped", e.check().skipped());
        check.put("worst_relative_error", e.check().worstError());
        check.put("passes", e.check().passes());
        doc.put("finite_differences", check);
        doc.put("derivation_gap", e.pass().derivationGap());
        doc.put("milliseconds", e.nanos() / 1e6);
        doc.put("cpu_milliseconds", e.cpuNanos() / 1e6);
        p.println(Json.write(doc));
    }
}
