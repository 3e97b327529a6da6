package dev.jgrad.cli;

import dev.jgrad.data.Dataset;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.train.Evaluation;
import dev.jgrad.train.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates a model: metrics and, for classifiers, per-class precision/recall and the confusion matrix.",
                "Example: jgrad eval --model m.safetensors --data /usr/share/datasets/fashion-mnist"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a jgrad model file")
    Path model;
    @Option(names = "--data", paramLabel = "PATH", description = "'digits' (its held-out test part), an IDX directory (its t10k test set) or a CSV file (default: ${DEFAULT-VALUE})")
    String data = DataSource.BUILTIN;
    @Option(names = "--label", paramLabel = "COL", description = "CSV label column (default: last)")
    String label;
    @Option(names = "--header", negatable = true, description = "CSV has a header line (default: detected)")
    Boolean header;
    @Option(names = "--json", description = "print one JSON document")
    boolean json;
    @Option(names = "--report", paramLabel = "FILE", description = "write an HTML report")
    Path report;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
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
