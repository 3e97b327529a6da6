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

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Random;

final class ExplainCommand extends Subcommand {
    String layers = "3:sigmoid,2:sigmoid";
    int inputSize = 2;
    String loss = "mse";
    Path model;
    String input;
    int row;
    String target;
    String compare;
    String label;
    Boolean header;
    boolean json;
    long seed = 1;
    Path html;

    @Override
    CommandOptions options() {
        return new CommandOptions("explain",
                "Shows one backward pass as the derivation reads, with the numbers: of a tiny network, or with --model of a",
                "trained model on one of your samples. z, y, ∇_y L, f'(z), δ = ∇_y L ⊙ f'(z), dL/dW = δ xᵀ, dL/db = δ, dL/dx = Wᵀ δ,",
                "layer by layer from the loss down, each gradient checked against finite differences.",
                "Example: jgrad explain --layers 3:tanh,2:softmax --loss softmax_cross_entropy --target 0,1 --html explain.html",
                "Example: jgrad explain --model fm.safetensors --input t10k-images-idx3-ubyte.gz --row 7 --compare T-shirt/top --html why.html")
                .string("--layers", "<layers>", "all layers, output included, as width:activation (default: 3:sigmoid,2:sigmoid)", v -> layers = v)
                .integer("--input-size", "<inputSize>", "(default: 2)", v -> inputSize = v)
                .string("--loss", "<loss>", "(default: mse)", v -> loss = v)
                .path("--model", "FILE", "explain this trained model on a sample of --input (then --layers, --loss, --input-size, --seed do not apply)", v -> model = v)
                .string("--input", "X", "the sample x as comma-separated values (default: seeded random values); with --model a CSV file, an IDX images file or an IDX directory", v -> input = v)
                .integer("--row", "<row>", "with --model: the row of --input, from 0 (default: 0)", v -> row = v)
                .string("--target", "T", "the target t: values, one-hot, or for softmax_cross_entropy a class index (default: 1, 0, 0, ...); with --model a class name or index (default: the predicted class), or a regression model's values", v -> target = v)
                .string("--compare", "CLASS", "with --model: a second class whose input gradient is shown beside the target's (default in --html: the runner-up)", v -> compare = v)
                .string("--label", "COL", "with --model and a CSV: its label column, by name or index (default: the last column when there is one more than the model's inputs)", v -> label = v)
                .negatable("--header", "with --model: the CSV has a header line (default: detected)", v -> header = v)
                .flag("--json", "with --model: print one JSON document", () -> json = true)
                .longInteger("--seed", "<seed>", "seed of the weights and the default sample (default: 1)", v -> seed = v)
                .path("--html", "FILE", "also write the explanation as a web page, formulas typeset and the network drawn", v -> html = v);
    }

    @Override
    int call() throws Exception {
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
        PrintWriter p = stdout;
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
        PrintWriter p = stdout;
        if (json) ModelExplainText.json(p, e);
        else ModelExplainText.print(p, e);
        if (html != null) {
            ModelExplainPage.write(html, e);
            if (!json) p.println("web page written to " + html);
        }
        if (!e.check().passes()) {
            stderr.printf("explain: FAIL: a gradient disagrees with finite differences (%s: relative error %.2e)%n",
                    e.check().worst().where(), e.check().worstError());
            return 1;
        }
        return 0;
    }
}
