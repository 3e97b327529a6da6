package dev.jgrad.cli;

import dev.jgrad.data.CsvReader;
import dev.jgrad.io.Json;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class GradCommand extends Subcommand {
    static final class Source {
        Path model;
        Path weights;
    }

    final Source source = new Source();
    List<String> activations;
    String loss;
    Path input;
    Path target;
    String precision = "float";
    boolean json;

    @Override
    CommandOptions options() {
        return new CommandOptions("grad",
                "Prints the loss and every gradient for one batch, in the layout of the weights (out x in).",
                "X and T are CSV files without header, one row per sample; T is one-hot or real values (or class indices).",
                "The batch goes to the network as given (no input normalisation); dropout is off.",
                "Example: jgrad grad --weights w.safetensors --activations relu,identity --loss softmax_cross_entropy --input X.csv --target T.csv --json")
                .path("--model", "FILE", "a jgrad model file", v -> source.model = v)
                .path("--weights", "FILE", "a plain safetensors file of layers.<i>.weight/bias", v -> source.weights = v)
                .exactlyOneOf("--model", "--weights")
                .list("--activations", "<activations>", "with --weights: one activation per dense layer", v -> activations = v)
                .string("--loss", "<loss>", "with --weights: the loss (mse, l1, huber(d), softmax_cross_entropy, bce_with_logits)", v -> loss = v)
                .path("--input", "X.csv", "", v -> input = v).required()
                .path("--target", "T.csv", "", v -> target = v).required()
                .string("--precision", "<precision>", "float or double (default: float)", v -> precision = v)
                .flag("--json", "print one JSON document", () -> json = true);
    }

    @Override
    int call() throws Exception {
        DType dtype = DType.parse(precision);
        Sequential net;
        Loss l;
        if (source.model != null) {
            var loaded = ModelFile.loadWithContents(source.model, dtype, Parallel.common());
            net = loaded.model().network();
            l = loss != null ? Losses.parse(loss) : loaded.model().loss();
        } else {
            if (activations == null || loss == null) {
                throw new IllegalArgumentException("usage: --weights needs --activations and --loss");
            }
            net = ModelFile.fromPlainWeights(source.weights, activations, dtype, Parallel.common());
            l = Losses.parse(loss);
        }
        // Read in double precision, so that --precision double sees the batch exactly as written.
        Tensor x = CsvReader.readMatrix(input).to(dtype);
        Tensor t = CsvReader.readMatrix(target).to(dtype);
        if (x.rows() != t.rows()) {
            throw new IllegalArgumentException(input + " has " + x.rows() + " rows but " + target + " has " + t.rows());
        }
        net.forward(x, false);
        net.zeroGrad();
        double value = net.backward(l, t, true);
        Map<String, Object> grads = new LinkedHashMap<>();
        for (Parameter p : net.parameters()) grads.put(p.name(), nested(p.grad()));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("loss", value);
        doc.put("gradients", grads);
        doc.put("input_gradient", nested(net.inputGradient()));
        var out = stdout;
        if (json) {
            out.println(Json.write(doc));
        } else {
            out.printf("loss %.10g  (%s, batch %d, %s)%n", value, l.spec(), x.rows(), dtype);
            for (Parameter p : net.parameters()) out.printf("d%s %s:%n%s", p.name(), p.grad().shape(), matrix(p.grad()));
            out.printf("dinput %s:%n%s", net.inputGradient().shape(), matrix(net.inputGradient()));
        }
        return 0;
    }

    /** A matrix as nested lists of rows, a vector as a list. */
    static Object nested(Tensor t) {
        if (t.shape().rank() == 1) return t.toDoubleArray();
        List<Object> rows = new ArrayList<>();
        for (double[] r : t.toRows()) rows.add(r);
        return rows;
    }

    static String matrix(Tensor t) {
        StringBuilder sb = new StringBuilder();
        for (double[] r : t.toRows()) {
            sb.append("  ");
            for (double v : r) sb.append(String.format("% .6e ", v));
            sb.append('\n');
        }
        return sb.toString();
    }
}
