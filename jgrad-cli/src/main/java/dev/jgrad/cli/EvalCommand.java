package dev.jgrad.cli;

import dev.jgrad.data.Dataset;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.train.Evaluation;
import dev.jgrad.train.Metrics;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class EvalCommand extends Subcommand {
    Path model;
    String data = DataSource.BUILTIN;
    String label;
    Boolean header;
    boolean json;
    Path report;

    @Override
    CommandOptions options() {
        return new CommandOptions("eval",
                "Evaluates a model: metrics and, for classifiers, per-class precision/recall and the confusion matrix.",
                "Example: jgrad eval --model m.safetensors --data /usr/share/datasets/fashion-mnist")
                .path("--model", "FILE", "a jgrad model file", v -> model = v).required()
                .string("--data", "PATH", "'digits' (its held-out test part), an IDX directory (its t10k test set) or a CSV file (default: digits)", v -> data = v)
                .string("--label", "COL", "CSV label column (default: last)", v -> label = v)
                .negatable("--header", "CSV has a header line (default: detected)", v -> header = v)
                .flag("--json", "print one JSON document", () -> json = true)
                .path("--report", "FILE", "write an HTML report", v -> report = v);
    }

    @Override
    int call() throws Exception {
        var out = stdout;
        Model m = ModelFile.load(model);
        Dataset raw = DataSource.evaluationData(data, label, header, m.classNames());
        Dataset test = m.normalizer().apply(raw);
        Evaluation e = Metrics.evaluate(m.network(), m.loss(), test, 512);
        if (json) {
            out.println(Json.write(toJson(e)));
        } else {
            out.printf("%s on %s%n", model, raw.name());
            out.print(e.report());
        }
        if (report != null) {
            Map<String, Object> config = new LinkedHashMap<>(ModelFile.describe(m));
            config.remove("normalizer");
            config.put("model", model.toString());
            config.put("data", data);
            HtmlReport.write(report, "jgrad eval", config, null, e, test, m);
            if (!json) out.println("report written to " + report);
        }
        return 0;
    }

    static Map<String, Object> toJson(Evaluation e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("samples", e.samples());
        m.put("test_loss", e.loss());
        if (e.isClassification()) {
            m.put("test_accuracy", e.accuracy());
            m.put("macro_f1", e.macroF1());
            m.put("classes", e.classNames());
            m.put("precision", e.precision());
            m.put("recall", e.recall());
            m.put("f1", e.f1());
            m.put("confusion_matrix", List.of(e.confusion()));
        } else {
            m.put("test_mse", e.mse());
            m.put("test_mae", e.mae());
        }
        return m;
    }
}
