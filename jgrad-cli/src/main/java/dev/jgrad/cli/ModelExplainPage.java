package dev.jgrad.cli;

import dev.jgrad.io.AtomicFile;
import dev.jgrad.nn.Dense;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A trained model's explanation as one self-contained web page: for image models the input,
 * dL/dx and |dL/dx| as heat maps for the explained class and a second class, and the map of what
 * tips one over the other; for tabular models the input gradient as a ranked bar chart by feature
 * name; then the derivation layer by layer and the finite-difference checks.
 */
final class ModelExplainPage {
    private ModelExplainPage() {
    }

    static final int ZOOM = 6;

    static void write(Path file, ModelExplanation e) throws IOException {
        String html = Html.page("jgrad explain", body(e));
        AtomicFile.write(file, ch -> ch.write(ByteBuffer.wrap(html.getBytes(StandardCharsets.UTF_8))));
    }

    private static String body(ModelExplanation e) {
        StringBuilder sb = new StringBuilder();
        var s = e.sample();
        boolean cls = e.model().isClassification();
        sb.append("<h1>").append(cls ? "Why " + Html.esc(e.className(e.predicted())) + "?" : "What moved this prediction").append("</h1>");
        sb.append("<p class=\"sub\">row ").append(s.row()).append(" of ").append(Html.esc(s.source()))
                .append(s.label() >= 0 ? " &middot; true class " + Html.esc(e.className(s.label())) : "")
                .append(" &middot; ").append(Html.esc(ModelExplainText.architecture(e))).append(" &middot; loss ")
                .append(Html.esc(e.model().loss().spec())).append("</p>");
        sb.append("<div class=\"card\"><p>The loss for the explained class is <i>L</i> = −log <i>p</i><sub>class</sub>. Its gradient with "
                + "respect to the input, <b>dL/dx = Wᵀδ</b> of the first layer carried through the normaliser, says how each input moves it: "
                + "where dL/dx &lt; 0 (blue) raising that input makes the class <i>more</i> likely, where it is &gt; 0 (red) less likely. "
                + "|dL/dx| shows where the model is sensitive at all.</p></div>");
        if (cls) sb.append(probabilities(e));
        sb.append(s.imageShape() != null ? images(e) : bars(e));
        sb.append("<h2>The derivation, layer by layer</h2>");
        sb.append("<p class=\"sub\">raw x → normalised x' = (x − offset) ⊙ scale (").append(Html.esc(e.model().normalizer().kind().spec()))
                .append(") → network, in float64 and evaluation mode. Values are given in full when there are at most ")
                .append(Summary.FULL).append(", otherwise as shape, norm, range, the largest entries with their indices and a histogram.</p>");
        sb.append("<table>");
        row(sb, "raw x", Summary.of(s.raw(), ""), null);
        row(sb, "x'", Summary.of(e.normalised(), ""), null);
        for (var st : e.pass().steps()) {
            sb.append("<tr><th class=\"l\" colspan=\"3\">forward: layer ").append(st.index() + 1).append(" ")
                    .append(Html.esc(st.layer().describe())).append("</th></tr>");
            if (st.layer() instanceof Dense) row(sb, "z = W x + b", Summary.of(st.z(), ""), null);
            row(sb, "y", Summary.of(st.y(), ""), null);
        }
        sb.append(String.format("<tr><td class=\"l\" colspan=\"3\">L = %s</td></tr>", ExplainText.num(e.pass().loss())));
        var check = e.check();
        for (var st : e.pass().steps().reversed()) {
            sb.append("<tr><th class=\"l\" colspan=\"3\">backward: layer ").append(st.index() + 1).append(" ")
                    .append(Html.esc(st.layer().describe())).append("</th></tr>");
            if (st.gradY() != null) row(sb, "∇_y L", Summary.of(st.gradY(), ""), null);
            if (st.fPrime() != null) row(sb, "f'(z)", Summary.of(st.fPrime(), ""), null);
            if (st.delta() != null) row(sb, "δ <span class=\"sub\">" + Html.esc(st.deltaRule()) + "</span>", Summary.of(st.delta(), ""), null);
            for (var g : st.grads().entrySet()) {
                String local = g.getKey().substring(st.prefix().length() + 1);
                String label = st.isDense() ? (local.equals("weight") ? "dL/dW = δ xᵀ" : "dL/db = δ") : "dL/d" + local;
                row(sb, Html.esc(label), Summary.of(g.getValue().dims(), g.getValue().values(), ""), check.worstPerTensor().get(g.getKey()));
            }
            row(sb, st.isDense() ? "dL/dx = Wᵀ δ" : "dL/dx", Summary.of(st.dx(), ""), check.worstPerTensor().get(FiniteDifferences.inputName(st)));
        }
        row(sb, "dL/dx<sub>raw</sub> = dL/dx' ⊙ scale", Summary.of(e.rawGrad(), ""), check.worstPerTensor().get("raw input"));
        sb.append("</table>");
        var worst = check.worst();
        sb.append(String.format("<p class=\"%s\">Finite differences (five-point, h = %.0e, float64): %d entries checked%s, worst relative error %.2e%s: %s. "
                        + "δ xᵀ and Wᵀ δ computed by hand differ from the layers' backward by at most %.1e. Computed in %.1f ms.</p>",
                check.passes() ? "ok" : "bad", FiniteDifferences.STEP, check.entries().size(),
                check.skipped() > 0 ? " (" + check.skipped() + " left out at relu kinks)" : "", check.worstError(),
                worst == null ? "" : " at " + Html.esc(worst.where()), check.passes() ? "PASS" : "FAIL", e.pass().derivationGap(), e.nanos() / 1e6));
        return sb.toString();
    }

    private static void row(StringBuilder sb, String what, String value, FiniteDifferences.Entry fd) {
        sb.append("<tr><td class=\"l\">").append(what).append("</td><td class=\"l num\"><pre class=\"q\">").append(Html.esc(value))
                .append("</pre></td><td class=\"l\">");
        if (fd != null) {
            boolean ok = fd.error() <= FiniteDifferences.TOLERANCE;
            sb.append(String.format("<span class=\"%s\">finite differences %s: %.1e at %s</span>", ok ? "ok" : "bad", ok ? "agree" : "FAIL",
                    fd.error(), Html.esc(Summary.index(fd.dims(), fd.index()))));
        }
        sb.append("</td></tr>");
    }

    private static String probabilities(ModelExplanation e) {
        StringBuilder sb = new StringBuilder("<h2>Prediction</h2><table><tr><th class=\"l\">class</th><th>p</th><th class=\"l\"></th></tr>");
        int[] order = Summary.largest(e.probs(), Math.min(5, e.probs().length));
        for (int k : order) {
            sb.append(String.format("<tr><td class=\"l\">%s%s</td><td>%.4f</td><td class=\"l\"><svg width=\"204\" height=\"10\"><rect width=\"%.1f\" height=\"10\" fill=\"%s\"/></svg></td></tr>",
                    Html.esc(e.className(k)), k == e.target() ? " (explained)" : k == e.compare() ? " (compared)" : "", e.probs()[k],
                    200 * e.probs()[k], k == e.predicted() ? "#1565c0" : "#90a4ae"));
        }
        return sb.append("</table>").toString();
    }

    private static String images(ModelExplanation e) {
        var s = e.sample();
        StringBuilder sb = new StringBuilder("<h2>Saliency</h2>");
        sb.append("<h3>").append(Html.esc(e.className(e.target()))).append(String.format(" (p = %.4f)</h3>", e.probs()[e.target()]));
        sb.append(HeatMap.triptych(s.raw(), s.imageShape(), e.rawGrad(), "for " + e.className(e.target()), ZOOM));
        if (e.comparePass() != null) {
            sb.append("<h3>").append(Html.esc(e.className(e.compare()))).append(String.format(" (p = %.4f)</h3>", e.probs()[e.compare()]));
            sb.append(HeatMap.triptych(s.raw(), s.imageShape(), e.compareRawGrad(), "for " + e.className(e.compare()), ZOOM));
            double[] c = e.contrast();
            sb.append("<h3>Why ").append(Html.esc(e.className(e.target()))).append(" and not ").append(Html.esc(e.className(e.compare())))
                    .append("?</h3><div class=\"trip\">")
                    .append(HeatMap.figure(s.raw(), s.imageShape(), HeatMap.Palette.GRAY, ZOOM, "input", "input"))
                    .append(HeatMap.figure(c, s.imageShape(), HeatMap.Palette.SIGNED, ZOOM,
                            "∂(log p<sub>" + Html.esc(e.className(e.target())) + "</sub> − log p<sub>" + Html.esc(e.className(e.compare()))
                                    + "</sub>)/∂x<br>±" + ExplainText.num(HeatMap.maxAbs(c)), "contrast"))
                    .append("</div><p class=\"sub\">Here red means the opposite of the maps above: raising a red pixel favours ")
                    .append(Html.esc(e.className(e.target()))).append(" over ").append(Html.esc(e.className(e.compare())))
                    .append(", blue the other way. It equals dL/dx for the second class minus dL/dx for the first (the softmax's normaliser cancels).</p>");
        }
        sb.append("<p>").append(HeatMap.legend(HeatMap.Palette.SIGNED, 1, "dL/dx < 0", "dL/dx > 0"))
                .append(HeatMap.legend(HeatMap.Palette.MAGNITUDE, 1, "0", "largest |dL/dx|")).append("</p>");
        return sb.toString();
    }

    private static String bars(ModelExplanation e) {
        var s = e.sample();
        StringBuilder sb = new StringBuilder("<h2>Input gradient by feature</h2>");
        String what = e.model().isClassification() ? " for " + e.className(e.target()) : "";
        sb.append("<div class=\"card\">").append(HeatMap.rankedBars("dL/dx'" + what + " (per unit of the normalised feature), largest first",
                s.featureNames(), e.pass().inputGradient(), 20)).append("</div>");
        if (e.comparePass() != null) {
            sb.append("<div class=\"card\">").append(HeatMap.rankedBars("dL/dx' for " + e.className(e.compare()), s.featureNames(),
                    e.comparePass().inputGradient(), 20)).append("</div>");
        }
        sb.append("<table><tr><th class=\"l\">feature</th><th>raw x</th><th>x'</th><th>dL/dx'</th><th>dL/dx (raw)</th></tr>");
        for (int j : Summary.largest(e.pass().inputGradient(), Math.min(40, s.raw().length))) {
            sb.append(String.format("<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", Html.esc(s.featureNames().get(j)),
                    ExplainText.num(s.raw()[j]), ExplainText.num(e.normalised()[j]), ExplainText.num(e.pass().inputGradient()[j]),
                    ExplainText.num(e.rawGrad()[j])));
        }
        return sb.append("</table>").toString();
    }
}
