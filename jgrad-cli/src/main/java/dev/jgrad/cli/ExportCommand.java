package dev.jgrad.cli;

import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.onnx.OnnxExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes a jgrad model as ONNX: it takes the same raw inputs as 'jgrad predict' and gives the same outputs.",
                "Example: jgrad export --model m.safetensors --onnx m.onnx --opset 20 --label"})
final class ExportCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "the jgrad model (.safetensors)")
    Path model;
    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "the ONNX file to write")
    Path onnx;
    @Option(names = "--opset", defaultValue = "17", description = "17 (default; ONNX Runtime 1.13 and later) or 20 (a native Gelu)")
    int opset;
    @Option(names = "--label", description = "a classifier also outputs its most probable class as 'label'")
    boolean label;

    @Override
    public Integer call() throws Exception {
        if (opset != 17 && opset != 20) throw new IllegalArgumentException("usage: --opset is 17 or 20, not " + opset);
        Model m = ModelFile.load(model);
        OnnxExporter.write(m, onnx, new OnnxExporter.Options(opset, label));
        spec.commandLine().getOut().printf("%s: %d layers, %,d parameters, opset %d, %s, written to %s (%,d bytes)%n", model,
                m.network().layers().size(), m.network().parameterCount(), opset,
                m.isClassification() ? "outputs 'probabilities'" + (label ? " and 'label'" : "") : "outputs 'output'",
                onnx, Files.size(onnx));
        return 0;
    }
}
