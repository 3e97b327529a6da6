package dev.jgrad.cli;

import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.onnx.OnnxExporter;

import java.nio.file.Files;
import java.nio.file.Path;

final class ExportCommand extends Subcommand {
    Path model;
    Path onnx;
    int opset = 17;
    boolean label;

    @Override
    CommandOptions options() {
        return new CommandOptions("export",
                "Writes a jgrad model as ONNX: it takes the same raw inputs as 'jgrad predict' and gives the same outputs.",
                "Example: jgrad export --model m.safetensors --onnx m.onnx --opset 20 --label")
                .sortedInHelp()
                .path("--model", "FILE", "the jgrad model (.safetensors)", v -> model = v).required()
                .path("--onnx", "FILE", "the ONNX file to write", v -> onnx = v).required()
                .integer("--opset", "<opset>", "17 (default; ONNX Runtime 1.13 and later) or 20 (a native Gelu)", v -> opset = v)
                .flag("--label", "a classifier also outputs its most probable class as 'label'", () -> label = true);
    }

    @Override
    int call() throws Exception {
        if (opset != 17 && opset != 20) throw new IllegalArgumentException("usage: --opset is 17 or 20, not " + opset);
        Model m = ModelFile.load(model);
        OnnxExporter.write(m, onnx, new OnnxExporter.Options(opset, label));
        stdout.printf("%s: %d layers, %,d parameters, opset %d, %s, written to %s (%,d bytes)%n", model,
                m.network().layers().size(), m.network().parameterCount(), opset,
                m.isClassification() ? "outputs 'probabilities'" + (label ? " and 'label'" : "") : "outputs 'output'",
                onnx, Files.size(onnx));
        return 0;
    }
}
