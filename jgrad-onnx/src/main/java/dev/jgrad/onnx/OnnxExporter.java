package dev.jgrad.onnx;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.BatchNorm;
import dev.jgrad.nn.Dense;
import dev.jgrad.nn.Dropout;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.LayerConfig;
import dev.jgrad.nn.LayerNorm;
import dev.jgrad.nn.LayerRegistry;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.onnx.OnnxProto.Attribute;
import dev.jgrad.onnx.OnnxProto.Graph;
import dev.jgrad.onnx.OnnxProto.Node;
import dev.jgrad.onnx.OnnxProto.Tensor;
import dev.jgrad.onnx.OnnxProto.ValueInfo;
import dev.jgrad.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a jgrad model as an ONNX model that takes the same raw inputs as {@code jgrad predict}
 * and gives the same outputs: the normaliser as {@code Sub}/{@code Mul} nodes at the front, each
 * dense layer as {@code Gemm(x, W, b, transB=1)} with W as jgrad keeps it (out × in), its
 * activation in standard operators, dropout as an inference-time {@code Dropout}, batch and layer
 * normalisation as their operators; a classifier ends in probabilities (a softmax is added when
 * the network ends in logits) and, when asked, the label. The batch dimension is left free.
 * jgrad's model description and the class names go into {@code metadata_props}. A network with
 * no exact ONNX form (a layer or activation of the user's own, float64 weights) is refused
 * with the reason; nothing is ever written approximately.
 */
public final class OnnxExporter {
    private OnnxExporter() {
    }

    /** Written as the model's {@code producer_version}. */
    static final String PRODUCER_VERSION = Onnx.PRODUCER_VERSION;
    /** SELU's constants in float32, as ONNX's defaults are. */
    static final float SELU_ALPHA = (float) 1.6732632423543772848170429916717, SELU_GAMMA = (float) 1.0507009873554804934193349852946;

    /**
     * What to write: the opset (17, readable by every ONNX Runtime since 1.13, or 20, with a
     * native {@code Gelu}) and whether a classifier also outputs its label.
     */
    public record Options(int opset, boolean label) {
        /** Checks that the opset is one jgrad writes. */
        public Options {
            if (opset != 17 && opset != 20) {
                throw new IllegalArgumentException("jgrad writes ONNX opset 17 or 20, not " + opset);
            }
        }

        /** Opset 17, probabilities only. */
        public static Options defaults() {
            return new Options(17, false);
        }
    }

    /** Writes the model to a file (atomically: a failed export leaves no partial file). */
    public static void write(Model model, Path file, Options options) throws IOException {
        byte[] bytes = toBytes(model, options);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        java.nio.file.Files.write(tmp, bytes);
        java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The model as ONNX protobuf bytes. */
    public static byte[] toBytes(Model model, Options options) {
        return OnnxCodec.encode(toProto(model, options));
    }

    static OnnxProto.Model toProto(Model model, Options options) {
        Sequential net = model.network();
        if (net.dtype() != DType.F32) {
            throw new IllegalArgumentException("cannot export a " + net.dtype() + " network exactly: ONNX Runtime lacks float64"
                    + " kernels for several activations; convert it with network.to(DType.F32) first");
        }
        Builder b = new Builder(options.opset());
        String x = "input";
        Normalizer norm = model.normalizer();
        if (norm.kind() != Normalizer.Kind.NONE) {
            x = b.op("Sub", List.of(x, b.constant("normalizer.offset", floats(norm.offset()), norm.offset().length)));
            x = b.op("Mul", List.of(x, b.constant("normalizer.scale", floats(norm.scale()), norm.scale().length)));
        }
        Map<String, dev.jgrad.tensor.Tensor> tensors = new HashMap<>();
        for (Parameter p : net.parameters()) tensors.put(p.name(), p.value());
        for (Parameter p : net.buffers()) tensors.put(p.name(), p.value());
        Map<String, Integer> counts = new HashMap<>();
        for (Layer l : net.layers()) {
            int index = counts.merge(l.kind(), 1, Integer::sum) - 1;
            String prefix = (l.kind().equals("dense") ? "layers" : l.kind()) + "." + index + ".";
            LayerConfig c = LayerRegistry.write(l);
            switch (l) {
                case Dense d -> {
                    String w = b.initializer(prefix + "weight", tensors.get(prefix + "weight"), d.outputSize(), d.inputSize());
                    String bias = b.initializer(prefix + "bias", tensors.get(prefix + "bias"), d.outputSize());
                    x = b.op("Gemm", List.of(x, w, bias), Attribute.ofInt("transB", 1));
                    x = activation(b, d.activation(), x, l);
                }
                case Dropout d -> x = b.op("Dropout", List.of(x, b.constant(prefix + "ratio", new float[]{(float) d.probability()})));
                case BatchNorm n -> x = b.op("BatchNormalization", List.of(x,
                                b.initializer(prefix + "weight", tensors.get(prefix + "weight"), n.outputSize()),
                                b.initializer(prefix + "bias", tensors.get(prefix + "bias"), n.outputSize()),
                                b.initializer(prefix + "running_mean", tensors.get(prefix + "running_mean"), n.outputSize()),
                                b.initializer(prefix + "running_var", tensors.get(prefix + "running_var"), n.outputSize())),
                        Attribute.ofFloat("epsilon", (float) c.getDouble("eps", 0, 1)),
                        Attribute.ofFloat("momentum", (float) (1 - c.getDouble("momentum", 0, 1))));
                case LayerNorm n -> x = b.op("LayerNormalization", List.of(x,
                                b.initializer(prefix + "weight", tensors.get(prefix + "weight"), n.outputSize()),
                                b.initializer(prefix + "bias", tensors.get(prefix + "bias"), n.outputSize())),
                        Attribute.ofInt("axis", -1), Attribute.ofFloat("epsilon", (float) c.getDouble("eps", 0, 1)));
                default -> throw new IllegalArgumentException("cannot export layer " + l.describe() + " (type '" + l.kind()
                        + "'): ONNX export knows dense, dropout, batch_norm and layer_norm");
            }
        }
        List<ValueInfo> outputs = new ArrayList<>();
        int width = net.outputSize();
        if (model.isClassification()) {
            Activation last = net.outputActivation();
            if (last != Activations.SOFTMAX && last != Activations.SIGMOID) x = b.op("Softmax", List.of(x), Attribute.ofInt("axis", -1));
            b.rename(x, "probabilities");
            outputs.add(new ValueInfo("probabilities", OnnxProto.FLOAT, List.of("batch", (long) width)));
            if (options.label()) {
                b.op("ArgMax", List.of("probabilities"), Attribute.ofInt("axis", 1), Attribute.ofInt("keepdims", 0));
                b.rename(b.last(), "label");
                outputs.add(new ValueInfo("label", OnnxProto.INT64, List.of("batch")));
            }
        } else {
            if (x.equals("input")) x = b.op("Identity", List.of(x));
            b.rename(x, "output");
            outputs.add(new ValueInfo("output", OnnxProto.FLOAT, List.of("batch", (long) width)));
        }
        Graph g = new Graph("jgrad", b.nodes, b.initializers,
                List.of(new ValueInfo("input", OnnxProto.FLOAT, List.of("batch", (long) net.inputSize()))), outputs);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelFile.META_KEY, Json.write(ModelFile.describe(model)));
        meta.put("class_names", Json.write(model.classNames()));
        Map<String, Long> opsets = new LinkedHashMap<>();
        opsets.put("", (long) options.opset());
        return new OnnxProto.Model(options.opset() >= 20 ? 9 : 8, "jgrad", opsets, g, meta);
    }

    /** Appends f(x) in standard operators; the exact decomposition where the opset has no operator for it. */
    private static String activation(Builder b, Activation a, String x, Layer layer) {
        String spec = a.spec();
        int open = spec.indexOf('(');
        String name = open < 0 ? spec : spec.substring(0, open);
        double param = open < 0 ? Double.NaN : Double.parseDouble(spec.substring(open + 1, spec.length() - 1));
        Activation known;
        try {
            known = Activations.parse(spec);
        } catch (IllegalArgumentException e) {
            known = null;
        }
        if (known == null || known.getClass() != a.getClass()) {
            throw new IllegalArgumentException("cannot export " + layer.describe() + ": activation '" + spec
                    + "' is not one of jgrad's own, so its ONNX form is unknown");
        }
        return switch (name) {
            case "identity" -> x;
            case "sigmoid" -> b.op("Sigmoid", List.of(x));
            case "tanh" -> b.op("Tanh", List.of(x));
            case "relu" -> b.op("Relu", List.of(x));
            case "softplus" -> b.op("Softplus", List.of(x));
            case "softmax" -> b.op("Softmax", List.of(x), Attribute.ofInt("axis", -1));
            case "leaky_relu" -> b.op("LeakyRelu", List.of(x), Attribute.ofFloat("alpha", (float) param));
            case "elu" -> b.op("Elu", List.of(x), Attribute.ofFloat("alpha", Double.isNaN(param) ? 1f : (float) param));
            case "selu" -> b.op("Selu", List.of(x), Attribute.ofFloat("alpha", SELU_ALPHA), Attribute.ofFloat("gamma", SELU_GAMMA));
            case "silu" -> b.op("Mul", List.of(x, b.op("Sigmoid", List.of(x))));
            case "gelu" -> {
                if (b.opset >= 20) yield b.op("Gelu", List.of(x), Attribute.ofString("approximate", "none"));
                // x·Φ(x) = ½·x·(1 + erf(x/√2)), as PyTorch writes it
                String e = b.op("Erf", List.of(b.op("Div", List.of(x, b.scalar((float) Math.sqrt(2))))));
                yield b.op("Mul", List.of(b.op("Mul", List.of(x, b.op("Add", List.of(e, b.scalar(1f))))), b.scalar(0.5f)));
            }
            case "gelu_tanh" -> {
                if (b.opset >= 20) yield b.op("Gelu", List.of(x), Attribute.ofString("approximate", "tanh"));
                // ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                String cube = b.op("Mul", List.of(x, b.op("Mul", List.of(x, x))));
                String inner = b.op("Add", List.of(x, b.op("Mul", List.of(cube, b.scalar(0.044715f)))));
                String t = b.op("Tanh", List.of(b.op("Mul", List.of(inner, b.scalar((float) Math.sqrt(2 / Math.PI))))));
                yield b.op("Mul", List.of(b.op("Mul", List.of(x, b.op("Add", List.of(t, b.scalar(1f))))), b.scalar(0.5f)));
            }
            default -> throw new IllegalArgumentException("cannot export " + layer.describe() + ": activation '" + spec
                    + "' has no ONNX form known to jgrad");
        };
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** Collects nodes and initializers, naming each new value after its node. */
    private static final class Builder {
        final int opset;
        final List<Node> nodes = new ArrayList<>();
        final List<Tensor> initializers = new ArrayList<>();
        private final Map<String, Integer> opCounts = new HashMap<>();
        private int scalars;

        Builder(int opset) {
            this.opset = opset;
        }

        String op(String type, List<String> inputs, Attribute... attributes) {
            String name = type + "_" + opCounts.merge(type, 1, Integer::sum);
            nodes.add(new Node(name, type, "", inputs, List.of(name + "_out"), OnnxProto.attributes(attributes)));
            return name + "_out";
        }

        String last() {
            return nodes.getLast().outputs().getFirst();
        }

        /** Makes the node that produces {@code value} write {@code name} instead, and its readers read it. */
        void rename(String value, String name) {
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                List<String> in = n.inputs().stream().map(s -> s.equals(value) ? name : s).toList();
                List<String> out = n.outputs().stream().map(s -> s.equals(value) ? name : s).toList();
                nodes.set(i, new Node(n.name(), n.opType(), n.domain(), in, out, n.attributes()));
            }
        }

        String initializer(String name, dev.jgrad.tensor.Tensor t, long... dims) {
            float[] v = new float[t.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) t.get(i);
            return constant(name, v, dims);
        }

        String constant(String name, float[] values, long... dims) {
            initializers.add(Tensor.ofFloats(name, Arrays.copyOf(values, values.length), dims));
            return name;
        }

        String scalar(float v) {
            return constant("const_" + scalars++, new float[]{v});
        }
    }
}
