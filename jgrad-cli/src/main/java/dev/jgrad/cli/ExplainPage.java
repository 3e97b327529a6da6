package dev.jgrad.cli;

import dev.jgrad.io.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The explanation as a self-contained web page: the network drawn in SVG, the formulas in MathML, the numbers in tables. */
final class ExplainPage {
    private ExplainPage() {
    }

    static void write(Path file, Explanation e, long seed) throws IOException {
        String html = Html.page("jgrad explain", body(e, seed));
        AtomicFile.write(file, ch -> ch.write(ByteBuffer.wrap(html.getBytes(StandardCharsets.UTF_8))));
    }

    private static String body(Explanation e, long seed) {
        StringBuilder sb = new StringBuilder();
        sb.append("<h1>One backward pass, with the numbers</h1>");
        sb.append(String.format("<p class=\"sub\">loss %s, one sample, weights seeded with %d, float64 &middot; L = %s</p>",
                Html.esc(e.loss().spec()), seed, ExplainText.num(e.lossValue())));
        sb.append("<div class=\"card\">");
        sb.append("<p>For each dense layer <math><mi>z</mi><mo>=</mo><mi>W</mi><mi>x</mi><mo>+</mo><mi>b</mi></math>, "
                + "<math><mi>y</mi><mo>=</mo><mi>f</mi><mo>(</mo><mi>z</mi><mo>)</mo></math>, and from the loss down:</p>");
        sb.append("<p><math display=\"block\"><mi>δ</mi><mo>=</mo><msub><mo>∇</mo><mi>y</mi></msub><mi>L</mi><mo>⊙</mo>"
                + "<msup><mi>f</mi><mo>′</mo></msup><mo>(</mo><mi>z</mi><mo>)</mo><mspace width=\"2em\"/>"
                + "<mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>W</mi></mrow></mfrac><mo>=</mo><mi>δ</mi><msup><mi>x</mi><mi>T</mi></msup>"
                + "<mspace width=\"2em\"/><mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>b</mi></mrow></mfrac><mo>=</mo><mi>δ</mi>"
                + "<mspace width=\"2em\"/><mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>x</mi></mrow></mfrac><mo>=</mo>"
                + "<msup><mi>W</mi><mi>T</mi></msup><mi>δ</mi></math></p>");
        sb.append("<p>∂L/∂W has the shape of W (out × in): it is not a Jacobian. ∂L/∂x becomes ∇<sub>y</sub>L of the layer below.</p></div>");
        sb.append("<h2>The network</h2>").append(network(e));
        sb.append("<h2>Forward</h2>");
        sb.append("<p class=\"num\">x = ").append(ExplainText.v(e.x())).append(" &nbsp; t = ").append(ExplainText.v(e.t())).append("</p>");
        sb.append("<table><tr><th class=\"l\">layer</th><th class=\"l\">z = W x + b</th><th class=\"l\">y = f(z)</th></tr>");
        for (Explanation.Step s : e.steps().reversed()) {
            sb.append(String.format("<tr><td class=\"l\">%d (%d → %d, %s)</td><td class=\"l num\">%s</td><td class=\"l num\">%s</td></tr>",
                    s.layer() + 1, s.in(), s.out(), Html.esc(s.activation()), ExplainText.v(s.z()), ExplainText.v(s.y())));
        }
        sb.append("</table>");
        sb.append("<h2>Backward, from the loss down</h2>");
        for (Explanation.Step s : e.steps()) {
            sb.append(String.format("<h3>Layer %d (%d → %d, %s)</h3><table>", s.layer() + 1, s.in(), s.out(), Html.esc(s.activation())));
            if (s.gradY() != null) row(sb, "<math><msub><mo>∇</mo><mi>y</mi></msub><mi>L</mi></math>", ExplainText.v(s.gradY()), null);
            if (s.fPrime() != null) row(sb, "<math><msup><mi>f</mi><mo>′</mo></msup><mo>(</mo><mi>z</mi><mo>)</mo></math>", ExplainText.v(s.fPrime()), null);
            row(sb, "<math><mi>δ</mi></math> <span class=\"sub\">(" + Html.esc(s.deltaRule()) + ")</span>", ExplainText.v(s.delta()), null);
            row(sb, "<math><mi>x</mi></math>", ExplainText.v(s.x()), null);
            row(sb, "<math><mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>W</mi></mrow></mfrac><mo>=</mo><mi>δ</mi><msup><mi>x</mi><mi>T</mi></msup></math>",
                    ExplainText.m(s.dW(), "").replace("\n", "<br>"), e.error("layers." + s.layer() + ".weight"));
            row(sb, "<math><mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>b</mi></mrow></mfrac><mo>=</mo><mi>δ</mi></math>",
                    ExplainText.v(s.db()), e.error("layers." + s.layer() + ".bias"));
            row(sb, "<math><mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>x</mi></mrow></mfrac><mo>=</mo><msup><mi>W</mi><mi>T</mi></msup><mi>δ</mi></math>",
                    ExplainText.v(s.dx()), s.layer() == 0 ? e.error("input") : null);
            sb.append("</table>");
        }
        boolean ok = e.check().passes(1e-7);
        sb.append(String.format("<p class=\"%s\">Worst relative error against five-point central differences: %.2e (%s). "
                        + "The library's own backward pass differs from these numbers by at most %.1e.</p>",
                ok ? "ok" : "bad", e.check().maxRelativeError(), ok ? "within 1e-7" : "above 1e-7", e.maxDiffFromLibrary()));
        return sb.toString();
    }

    private static void row(StringBuilder sb, String what, String value, Double err) {
        sb.append("<tr><td class=\"l\">").append(what).append("</td><td class=\"l num\">").append(value).append("</td><td class=\"l\">");
        if (err != null) sb.append(String.format("<span class=\"ok\">finite differences agree: %.1e</span>", err));
        sb.append("</td></tr>");
    }

    /** Nodes in columns, edges coloured by the sign of the weight and as thick as its size. */
    private static String network(Explanation e) {
        var steps = e.steps().reversed();
        int cols = steps.size() + 1;
        int maxNodes = e.net().inputSize();
        for (Explanation.Step s : steps) maxNodes = Math.max(maxNodes, s.out());
        int w = 160 * cols + 40, h = Math.max(160, 70 * maxNodes + 40);
        double maxW = 1e-9;
        for (Explanation.Step s : steps) for (double[] r : s.w()) for (double v : r) maxW = Math.max(maxW, Math.abs(v));
        StringBuilder sb = new StringBuilder(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"network\">", w, h));
        int[] sizes = new int[cols];
        sizes[0] = e.net().inputSize();
        for (int i = 0; i < steps.size(); i++) sizes[i + 1] = steps.get(i).out();
        for (int i = 0; i < steps.size(); i++) {
            double[][] wt = steps.get(i).w();
            for (int r = 0; r < wt.length; r++) for (int c = 0; c < wt[r].length; c++) {
                double v = wt[r][c];
                sb.append(String.format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.2f\" opacity=\"0.75\"><title>W%d[%d,%d] = %s</title></line>",
                        x(i, w, cols), y(c, sizes[i], h), x(i + 1, w, cols), y(r, sizes[i + 1], h), v >= 0 ? "#1565c0" : "#c62828",
                        0.5 + 4 * Math.abs(v) / maxW, i + 1, r, c, ExplainText.num(v)));
            }
        }
        for (int col = 0; col < cols; col++) {
            for (int k = 0; k < sizes[col]; k++) {
                String label = col == 0 ? "x" + (k + 1) : "y" + (k + 1);
                String tip = col == 0 ? "x = " + ExplainText.num(e.x()[k]) : "z = " + ExplainText.num(steps.get(col - 1).z()[k])
                        + ", y = " + ExplainText.num(steps.get(col - 1).y()[k]) + ", δ = " + ExplainText.num(steps.get(col - 1).delta()[k]);
                sb.append(String.format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"20\" fill=\"%s\" stroke=\"#334\"><title>%s</title></circle>"
                                + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
                        x(col, w, cols), y(k, sizes[col], h), col == 0 ? "#e8f0fe" : "#fff8e1", Html.esc(tip), x(col, w, cols), y(k, sizes[col], h) + 4, label));
            }
            String caption = col == 0 ? "input" : "layer " + col + " (" + steps.get(col - 1).activation() + ")";
            sb.append(String.format("<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"#556\">%s</text>", x(col, w, cols), h - 8, Html.esc(caption)));
        }
        sb.append("</svg><p class=\"sub\">Blue edges are positive weights, red negative; thickness is the size. Hover for values.</p>");
        return sb.toString();
    }

    private static double x(int col, int w, int cols) {
        return 60 + (w - 120) * (cols == 1 ? 0.5 : col / (double) (cols - 1));
    }

    private static double y(int k, int n, int h) {
        return 20 + (h - 60) * (k + 0.5) / n;
    }
}
