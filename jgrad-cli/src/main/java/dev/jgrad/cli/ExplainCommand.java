package dev.jgrad.cli;

import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
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
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shows one backward pass as the derivation reads, with the numbers: of a tiny network, or with --model of a",
                "trained model on one of your samples. z, y, ∇_y L, f'(z), δ = ∇_y L ⊙ f'(z), dL/dW = δ xᵀ, dL/db = δ, dL/dx = Wᵀ δ,",
                "layer by layer from the loss down, each gradient checked against finite differences.",
                "Example: jgrad explain --layers 3:tanh,2:softmax --loss softmax_cross_entropy --target 0,1 --html explain.html",
                "Example: jgrad explain --model fm.safetensors --input t10k-images-idx3-ubyte.gz --row 7 --compare T-shirt/top --html why.html"})
final class ExplainCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--layers", description = "all layers, output included, as width:activation (default: ${DEFAULT-VALUE})")
    String layers = "3:sigmoid,2:sigmoid";
    @Option(names = "--input-size", description = "(default: ${DEFAULT-VALUE})")
    int inputSize = 2;
    @Option(names = "--loss", description = "(default: ${DEFAULT-VALUE})")
    String loss = "mse";
    @Option(names = "--model", paramLabel = "FILE", description = "explain this trained model on a sample of --input (then --layers, --loss, --input-size, --seed do not apply)")
    Path model;
    @Option(names = "--input", paramLabel = "X", description = "the sample x as comma-separated values (default: seeded random values);"
            + " with --model a CSV file, an IDX images file or an IDX directory")
    String input;
    @Option(names = "--row", description = "with --model: the row of --input, from 0 (default: ${DEFAULT-VALUE})")
    int row;
    @Option(names = "--target", paramLabel = "T", description = "the target t: values, one-hot, or for softmax_cross_entropy a class index (default: 1, 0, 0, ...);"
            + " with --model a class name or index (default: the predicted class), or a regression model's values")
    String target;
    @Option(names = "--compare", paramLabel = "CLASS", description = "with --model: a second class whose input gradient is shown beside the target's (default in --html: the runner-up)")
    String compare;
    @Option(names = "--label", paramLabel = "COL", description = "with --model and a CSV: its label column, by name or index (default: the last column when there is one more than the model's inputs)")
    String label;
    @Option(names = "--header", negatable = true, description = "with --model: the CSV has a header line (default: detected)")
    Boolean header;
    @Option(names = "--json", description = "with --model: print one JSON document")
    boolean json;
    @Option(names = "--seed", description = "seed of the weights and the default sample (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--html", paramLabel = "FILE", description = "also write the explanation as a web page, formulas typeset and the network drawn")
    Path html;

    @Override
    public Integer call() throws Exception {
        if (model != null) return explainModel();
        Loss l = Losses.parse(loss);
        NetworkSpec ns = NetworkSpec.parse(layers);
        if (ns.widths().isEmpty()) throw new IllegalArgumentException("usage: --layers needs at least the output layer");
        SequentialBuilder b = Sequential.builder(inputSize).dtype(DType.F64).seed(seed);
        for (int i = 0; i < ns.widths().size(); i++) b.dense(ns.widths().get(i), ns.activations().get(i));
        Sequential net = b.build();
        Random r = new Random(seed + 1);
        double[] x = new double[inputSize];
        if (input != null) {
            double[] given = numbers(input, "--input");
            if (given.length != inputSize) throw new IllegalArgumentException("usage: --input has " + given.length + " values, --input-size is " + inputSize);
            x = given;
        } else {
            for (int i = 0; i < inputSize; i++) x[i] = Math.round(r.nextGaussian() * 100) / 100.0;
        }
        int out = net.outputSize();
        double[] t;
        if (target != null) {
            t = numbers(target, "--target");
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

    private static double[] numbers(String s, String option) {
        String[] parts = s.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("usage: " + option + " takes comma-separated numbers, not '" + parts[i].trim() + "'");
            }
        }
        return out;
    }

    /** The derivation on a trained model and one sample of the user's. */
    private int explainModel() throws Exception {
        if (input == null) throw new IllegalArgumentException("usage: --model needs --input (a CSV file, an IDX images file or an IDX directory)");
        // float64 on the calling thread alone: one sample is too little work to share, and its CPU time is then the computation's.
        Model m = ModelFile.loadWithContents(model, DType.F64, Parallel.create(1)).model();
        Sequential net64 = m.network();
        // The kernels start (the Vector API's classes load) while the input is read: start-up, not computation.
        Thread start = Thread.ofPlatform().daemon().start(() -> net64.forward(SampleBackprop.row(new double[net64.inputSize()]), false));
        ExplainInput.Sample s = ExplainInput.read(Path.of(input), row, m, label, header);
        start.join();
        // The page always shows a second class: the runner-up unless one is named.
        ModelExplanation e = ModelExplanation.compute(m, net64, s, target, compare, html != null);
        PrintWriter p = spec.commandLine().getOut();
        if (json) ModelExplainText.json(p, e);
        else ModelExplainText.print(p, e);
        if (html != null) {
            ModelExplainPage.write(html, e);
            if (!json) p.println("web page written to " + html);
        }
        if (!e.check().passes()) {
            spec.commandLine().getErr().printf("explain: FAIL: a gradient disagrees with finite differences (%s: relative error %.2e)%n",
                    e.check().worst().where(), e.check().worstError());
            return 1;
        }
        return 0;
    }
}
