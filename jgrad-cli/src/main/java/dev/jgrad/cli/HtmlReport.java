package dev.jgrad.cli;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.io.AtomicFile;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.train.EpochResult;
import dev.jgrad.train.Evaluation;
import dev.jgrad.train.History;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One self-contained HTML page about a run: loss and accuracy curves per epoch (training and
 * validation), the confusion matrix as a heat map, per-class metrics, the configuration, and
 * for image data a grid of misclassified examples. Inline SVG and PNG; nothing is fetched.
 */
final class HtmlReport {
    private HtmlReport() {
    }

    static final int MAX_MISCLASSIFIED = 40;

    static void write(Path file, String title, Map<String, Object> config, History h, Evaluation eval, Dataset data, Model model)
            throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("<h1>").append(Html.esc(title)).append("</h1>");
        if (eval != null) {
            sb.append("<p class=\"sub\">");
            if (eval.isClassification()) {
                sb.append(String.format("accuracy <b>%.4f</b> &middot; loss %.4f &middot; macro-F1 %.4f &middot; %,d samples",
                        eval.accuracy(), eval.loss(), eval.macroF1(), eval.samples()));
            } else {
                sb.append(String.format("loss %.6f &middot; MSE %.6f &middot; MAE %.6f &middot; %,d samples", eval.loss(), eval.mse(), eval.mae(), eval.samples()));
            }
            sb.append("</p>");
        }
        if (h != null && !h.epochs().isEmpty()) sb.append(curves(h));
        if (eval != null && eval.isClassification()) {
            sb.append("<h2>Confusion matrix</h2>").append(confusion(eval));
            sb.append("<h2>Per-class metrics</h2>").append(perClass(eval));
        }
        if (data != null && model.isClassification() && data.imageShape() != null) {
            sb.append(misclassified(data, model));
        }
        sb.append("<h2>Configuration</h2><table>");
        for (Map.Entry<String, Object> e : config.entrySet()) {
            Object v = e.getValue();
            String text = v instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String
                    ? String.join("\n", l.stream().map(String::valueOf).toList()) : v instanceof String s ? s : Json.write(v);
            sb.append("<tr><th class=\"l\">").append(Html.esc(e.getKey())).append("</th><td class=\"l num\"><pre style=\"margin:0\">")
                    .append(Html.esc(text)).append("</pre></td></tr>");
        }
        sb.append("</table>");
        if (h != null && !h.epochs().isEmpty()) sb.append(epochTable(h));
        String html = Html.page(title, sb.toString());
        AtomicFile.write(file, ch -> ch.write(ByteBuffer.wrap(html.getBytes(StandardCharsets.UTF_8))));
    }

    private static String curves(History h) {
        int n = h.epochs().size();
        double[] tl = new double[n], vl = new double[n], ta = new double[n], va = new double[n];
        boolean hasVal = false, classify = false;
        for (int i = 0; i < n; i++) {
            EpochResult r = h.epochs().get(i);
            tl[i] = r.trainLoss();
            ta[i] = r.trainAccuracy();
            classify |= !Double.isNaN(r.trainAccuracy());
            vl[i] = r.validation() != null ? r.validation().loss() : Double.NaN;
            va[i] = r.validation() != null ? r.validation().accuracy() : Double.NaN;
            hasVal |= r.validation() != null;
        }
        StringBuilder sb = new StringBuilder("<h2>Training curves</h2><div class=\"grid\">");
        List<String> names = hasVal ? List.of("training", "validation") : List.of("training");
        List<String> colors = List.of("#1565c0", "#ef6c00");
        sb.append("<div class=\"card\">").append(Html.lineChart("Loss per epoch", names, hasVal ? List.of(tl, vl) : List.of(tl), colors)).append("</div>");
        if (classify) {
            sb.append("<div class=\"card\">").append(Html.lineChart("Accuracy per epoch", names, hasVal ? List.of(ta, va) : List.of(ta), colors)).append("</div>");
        }
        return sb.append("</div>").toString();
    }

    private static String confusion(Evaluation e) {
        int k = e.classNames().size();
        int cell = k > 15 ? 28 : 44, left = 130, top = 120;
        int max = 1;
        for (int[] row : e.confusion()) for (int v : row) max = Math.max(max, v);
        int w = left + k * cell + 20, hgt = top + k * cell + 20;
        StringBuilder sb = new StringBuilder(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"confusion matrix\">", w, hgt));
        sb.append(String.format("<text x=\"%d\" y=\"14\" font-size=\"12\" fill=\"#556\">predicted →</text>", left));
        sb.append(String.format("<text x=\"10\" y=\"%d\" font-size=\"12\" fill=\"#556\">true ↓</text>", top - 6));
        for (int c = 0; c < k; c++) {
            sb.append(String.format("<text transform=\"translate(%d,%d) rotate(-50)\" font-size=\"11\">%s</text>",
                    left + c * cell + cell / 2, top - 6, Html.esc(e.classNames().get(c))));
            sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>",
                    left - 6, top + c * cell + cell / 2 + 4, Html.esc(e.classNames().get(c))));
        }
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++) {
                int v = e.confusion()[r][c];
                double t = Math.sqrt(v / (double) max);
                String fill = r == c ? String.format("rgb(%d,%d,%d)", (int) (255 - 200 * t), (int) (255 - 120 * t), (int) (255 - 200 * t))
                        : String.format("rgb(%d,%d,%d)", 255, (int) (255 - 190 * t), (int) (255 - 190 * t));
                sb.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#fff\"><title>true %s, predicted %s: %d</title></rect>",
                        left + c * cell, top + r * cell, cell, cell, fill, Html.esc(e.classNames().get(r)), Html.esc(e.classNames().get(c)), v));
                if (v > 0) {
                    sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"middle\" fill=\"%s\">%d</text>",
                            left + c * cell + cell / 2, top + r * cell + cell / 2 + 4, cell > 30 ? 11 : 8, t > 0.6 ? "#fff" : "#223", v));
                }
            }
        }
        return sb.append("</svg>").toString();
    }

    private static String perClass(Evaluation e) {
        StringBuilder sb = new StringBuilder("<table><tr><th class=\"l\">class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>");
        for (int c = 0; c < e.classNames().size(); c++) {
            int support = 0;
            for (int v : e.confusion()[c]) support += v;
            sb.append(String.format("<tr><td class=\"l\">%s</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>",
                    Html.esc(e.classNames().get(c)), e.precision()[c], e.recall()[c], e.f1()[c], support));
        }
        return sb.append("</table>").toString();
    }

    private static String epochTable(History h) {
        StringBuilder sb = new StringBuilder("<h2>Epochs</h2><table><tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val loss</th><th>val accuracy</th><th>seconds</th><th>samples/s</th><th>learning rate</th></tr>");
        for (EpochResult r : h.epochs()) {
            sb.append(String.format("<tr><td>%d</td><td>%.4f</td><td>%s</td><td>%s</td><td>%s</td><td>%.2f</td><td>%,.0f</td><td>%.3g</td></tr>",
                    r.epoch() + 1, r.trainLoss(), fmt(r.trainAccuracy()), r.validation() == null ? "" : fmt(r.validation().loss()),
                    r.validation() == null ? "" : fmt(r.validation().accuracy()), r.seconds(), r.samplesPerSecond(), r.learningRate()));
        }
        return sb.append("</table>").toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "" : String.format("%.4f", v);
    }

    /** The first misclassified images, each with its true and predicted class. */
    private static String misclassified(Dataset data, Model model) throws IOException {
        Batches b = new Batches(data, 512, false, new Rng(0), model.network().dtype());
        List<int[]> wrong = new ArrayList<>();   // {row, predicted}
        int row = 0;
        for (int i = 0; i < b.count() && wrong.size() < MAX_MISCLASSIFIED; i++) {
            b.load(i);
            Tensor y = model.network().forward(b.features());
            int[] pred = Model.argmax(y);
            for (int r = 0; r < pred.length && wrong.size() < MAX_MISCLASSIFIED; r++) {
                if (pred[r] != data.label(row + r)) wrong.add(new int[]{row + r, pred[r]});
            }
            row += pred.length;
        }
        StringBuilder sb = new StringBuilder("<h2>Misclassified examples</h2>");
        if (wrong.isEmpty()) return sb.append("<p>None.</p>").toString();
        sb.append("<p class=\"sub\">The first ").append(wrong.size()).append(" errors, in data order: true class → predicted. Under each, ")
                .append("the input, dL/dx and |dL/dx| (L = −log p) for the predicted class and then for the true one: where dL/dx &lt; 0 (blue) ")
                .append("a brighter pixel makes that class more likely, where &gt; 0 (red) less (see <code>jgrad explain --model</code>).</p><div>");
        int[] shape = data.imageShape();
        int zoom = Math.max(2, 84 / shape[1]);
        Sequential net64 = model.network().to(DType.F64);
        int d = data.featureCount(), k = model.network().outputSize();
        for (int[] w : wrong) {
            double[] x = new double[d];
            for (int j = 0; j < d; j++) x[j] = data.features().get(w[0] * d + j);
            String truth = data.classNames().get(data.label(w[0])), predicted = data.classNames().get(w[1]);
            sb.append("<div class=\"mis\">").append(Html.esc(truth)).append(" → <b>").append(Html.esc(predicted)).append("</b>");
            for (int cls : new int[]{w[1], data.label(w[0])}) {
                SampleBackprop.Pass pass = SampleBackprop.run(net64, model.loss(), x, ModelExplanation.oneHot(k, cls));
                double[] raw = ModelExplanation.rawGradient(model, pass.inputGradient());
                sb.append(HeatMap.triptych(x, shape, raw, "for " + data.classNames().get(cls), zoom));
            }
            sb.append("</div>");
        }
        return sb.append("</div>").toString();
    }
}
