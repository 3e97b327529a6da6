package dev.jgrad.cli;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.onnx.OnnxImporter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

final class ImportCommand extends Subcommand {
    Path onnx;
    Path weights;
    List<String> activations;
    String loss;
    List<String> classes;
    Path out;

    @Override
    CommandOptions options() {
        return new CommandOptions("import",
                "Turns an ONNX model (a feed-forward network, e.g. from PyTorch or scikit-learn) or a plain safetensors",
                "weights file (layers.<i>.weight out x in, layers.<i>.bias) into a jgrad model.",
                "Examples: jgrad import model.onnx --out m.safetensors",
                "          jgrad import --weights w.safetensors --activations relu,softmax --loss softmax_cross_entropy --out m.safetensors")
                .sortedInHelp()
                .positional("MODEL.onnx", "an ONNX model to import", v -> onnx = Path.of(v))
                .path("--weights", "FILE", "a plain safetensors weights file to import instead", v -> weights = v)
                .list("--activations", "<activations>", "with --weights: one activation per dense layer", v -> activations = v)
                .string("--loss", "<loss>", "the loss to train with (for ONNX: default softmax_cross_entropy for a network ending in softmax, else mse)", v -> loss = v)
                .list("--classes", "<classes>", "class names, for a classifier", v -> classes = v)
                .path("--out", "FILE", "", v -> out = v).required();
    }

    @Override
    int call() throws Exception {
        if ((onnx == null) == (weights == null)) {
            throw new IllegalArgumentException("usage: give either an ONNX model (jgrad import model.onnx --out m.safetensors)"
                    + " or --weights with --activations and --loss");
        }
        return onnx != null ? fromOnnx() : fromWeights();
    }

    private Integer fromOnnx() throws Exception {
        if (activations != null) throw new IllegalArgumentException("usage: --activations goes with --weights; an ONNX model has its own");
        Model m = OnnxImporter.read(onnx);
        Loss l = loss != null ? Losses.parse(loss) : m.loss();
        List<String> names = classes != null ? classes : m.classNames();
        if (!names.isEmpty() && names.size() != m.network().outputSize()) {
            throw new IllegalArgumentException(names.size() + " class names for " + m.network().outputSize() + " outputs");
        }
        m = new Model(m.network(), l, m.normalizer(), names, m.imageShape());
        ModelFile.save(out, m);
        stdout.printf("%s: %d layers, %,d parameters, %s, input normalisation %s, written to %s%n", onnx,
                m.network().layers().size(), m.network().parameterCount(),
                m.isClassification() ? m.classNames().size() + " classes" : "regression", m.normalizer().kind().spec(), out);
        return 0;
    }

    private Integer fromWeights() throws Exception {
        if (activations == null || loss == null) {
            throw new IllegalArgumentException("usage: --weights needs --activations (one per dense layer) and --loss");
        }
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
        stdout.printf("%s: %d dense layers, %,d parameters, written to %s%n", weights,
                net.layers().size(), net.parameterCount(), out);
        return 0;
    }
}
