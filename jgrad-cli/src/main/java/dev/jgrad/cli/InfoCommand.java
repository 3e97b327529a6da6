package dev.jgrad.cli;

import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

final class InfoCommand extends Subcommand {
    Path model;
    boolean json;

    @Override
    CommandOptions options() {
        return new CommandOptions("info",
                "Shows a model's architecture, parameter count, loss, classes and input normalisation.")
                .sortedInHelp()
                .path("--model", "FILE", "", v -> model = v).required()
                .flag("--json", "print the model description as JSON", () -> json = true);
    }

    @Override
    int call() throws Exception {
        var out = stdout;
        Model m = ModelFile.load(model);
        if (json) {
            Map<String, Object> d = ModelFile.describe(m);
            d.remove("normalizer");
            d.put("normalizer", m.normalizer().kind().spec());
            out.println(Json.write(d));
            return 0;
        }
        out.printf("%s (%,d bytes)%n", model, Files.size(model));
        out.print(m.network().summary());
        out.printf("loss: %s%n", m.loss().spec());
        out.printf("task: %s%n", m.isClassification() ? "classification, " + m.classNames().size() + " classes: "
                + String.join(", ", m.classNames()) : "regression, " + m.network().outputSize() + " outputs");
        out.printf("input normalisation: %s%n", m.normalizer().kind().spec());
        if (m.imageShape() != null) out.printf("images: %d x %d%n", m.imageShape()[0], m.imageShape()[1]);
        return 0;
    }
}
