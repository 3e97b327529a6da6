package dev.jgrad.cli;

import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shows one backward pass of a tiny network as the derivation reads, with the numbers.",
                "z, y, ∇_y L, f'(z), δ = ∇_y L ⊙ f'(z), dL/dW = δ xᵀ, dL/db = δ, dL/dx = Wᵀ δ, layer by layer from the loss down,",
                "each gradient checked against finite differences.",
                "Example: jgrad explain --layers 3:tanh,2:softmax --loss softmax_cross_entropy --target 0,1 --html explain.html"})
final class ExplainCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--layers", description = "all layers, output included, as width:activation (default: ${DEFAULT-VALUE})")
    String layers = "3:sigmoid,2:sigmoid";
    @Option(names = "--input-size", description = "(default: ${DEFAULT-VALUE})")
    int inputSize = 2;
    @Option(names = "--loss", description = "(default: ${DEFAULT-VALUE})")
    String loss = "mse";
    @Option(names = "--input", split = ",", description = "the sample x (default: seeded random values)")
    List<Double> input;
    @Option(names = "--target", split = ",", description = "the target t: values, one-hot, or for softmax_cross_entropy a class index (default: 1, 0, 0, ...)")
    List<Double> target;
    @Option(names = "--seed", description = "seed of the weights and the default sample (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--html", paramLabel = "FILE", description = "also write the explanation as a web page, formulas typeset and the network drawn")
    Path html;

    @Override
    public Integer call() throws Exception {
        Loss l = Losses.parse(loss);
        NetworkSpec ns = NetworkSpec.parse(layers);
        if (ns.widths().isEmpty()) throw new IllegalArgumentException("usage: --layers needs at least the output layer");
        SequentialBuilder b = Sequential.builder(inputSize).dtype(DType.F64).seed(seed);
        for (int i = 0; i < ns.widths().size(); i++) b.dense(ns.widths().get(i), ns.activations().get(i));
        Sequential net = b.build();
        Random r = new Random(seed + 1);
        double[] x = new double[inputSize];
        if (input != null) {
            if (input.size() != inputSize) throw new IllegalArgumentException("usage: --input has " + input.size() + " values, --input-size is " + inputSize);
            for (int i = 0; i < inputSize; i++) x[i] = input.get(i);
        } else {
            for (int i = 0; i < inputSize; i++) x[i] = Math.round(r.nextGaussian() * 100) / 100.0;
        }
        int out = net.outputSize();
        double[] t;
        if (target != null) {
            t = target.stream().mapToDouble(Double::doubleValue).toArray();
        } else {
            t = new double[out];
            t[0] = 1;
        }
        // Softmax cross-entropy also takes a single class index; everything else one value per output.
        boolean classIndex = l.fusesWith(Activations.SOFTMAX) && t.length == 1;
        if (!classIndex && t.length != out) {
            throw new IllegalArgumentException("usage: --target has " + t.length + " values, the network has " + out + " outputs");
        }
        Explanation e = Explanation.compute(net, l, x, t);
        PrintWriter p = spec.commandLine().getOut();
        ExplainText.print(p, e, seed);
        if (html != null) {
            ExplainPage.write(html, e, seed);
            p.println("\nweb page written to " + html);
        }
        return e.check().passes(1e-7) ? 0 : 1;
    }
}
