package dev.jgrad.cli;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Turns a plain safetensors weights file (layers.<i>.weight out x in, layers.<i>.bias) into a jgrad model.",
                "Example: jgrad import --weights w.safetensors --activations relu,softmax --loss softmax_cross_entropy --out m.safetensors"})
final class ImportCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE")
    Path weights;
    @Option(names = "--activations", required = true, split = ",", description = "one activation per dense layer")
    List<String> activations;
    @Option(names = "--loss", required = true)
    String loss;
    @Option(names = "--classes", split = ",", description = "class names, for a classifier")
    List<String> classes;
    @Option(names = "--out", required = true, paramLabel = "FILE")
    Path out;

    @Override
    public Integer call() throws Exception {
        Sequential net = ModelFile.fromPlainWeights(weights, activations, DType.F32, Parallel.common());
        Loss l = Losses.parse(loss);
        List<String> names = classes;
        if (names == null && l.spec().startsWith("softmax_cross_entropy")) {
            String[] n = new String[net.outputSize()];
            Arrays.setAll(n, Integer::toString);
            names = List.of(n);
        }
        if (names != null && names.size() != net.outputSize()) {
            throw new IllegalArgumentException(names.size() + " class names for " + net.outputSize() + " outputs");
        }
        Normalizer none = Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, net.inputSize())));
        ModelFile.save(out, new Model(net, l, none, names == null ? List.of() : names, null));
        spec.commandLine().getOut().printf("%s: %d dense layers, %,d parameters, written to %s%n", weights,
                net.layers().size(), net.parameterCount(), out);
        return 0;
    }
}
