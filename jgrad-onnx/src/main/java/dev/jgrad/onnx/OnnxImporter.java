package dev.jgrad.onnx;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.InvalidModelException;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.LayerConfig;
import dev.jgrad.nn.LayerRegistry;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a feed-forward ONNX model (an MLP exported by PyTorch, laid out as scikit-learn's
 * MLPClassifier, or written by {@link OnnxExporter}) into a jgrad {@link Model}; see
 * {@link GraphWalker} for the graphs it accepts. A file written by jgrad gets back its exact
 * architecture, loss, normaliser and class names from the metadata, once the graph has been
 * checked to compute what the metadata says. Anything else — an unsupported operator, a branch,
 * a second input, external data, float16 — and any damaged or hostile file is refused with an
 * {@link InvalidModelException}; the file is read whole (it must be under 2 GiB, as ONNX
 * requires of a model that keeps its weights inside) and nothing larger than it is allocated.
 */
public final class OnnxImporter {
    private OnnxImporter() {
    }

    /** The largest file read: protobuf messages, and so ONNX files with their weights inside, stop at 2 GiB. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Reads the model in {@code file}. */
    public static Model read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new InvalidModelException(file + ": " + size + " bytes; an ONNX model that large keeps its weights in"
                    + " external data, which jgrad does not read");
        }
        return read(Files.readAllBytes(file), file.toString());
    }

    /** Reads a model from ONNX bytes; {@code source} names them in messages. */
    public static Model read(byte[] bytes, String source) {
        OnnxProto.Model proto = OnnxCodec.decode(bytes, source);
        try {
            return build(proto, source);
        } catch (InvalidModelException e) {
            throw e;
        } catch (RuntimeException e) {
            // a graph that decodes but makes no network (e.g. a layer jgrad refuses to build)
            throw new InvalidModelException(source + ": cannot be imported: " + e.getMessage());
        }
    }

    private static Model build(OnnxProto.Model proto, String source) {
        GraphWalker g = new GraphWalker(proto, source);
        g.walk();
        int input = g.inputWidth > 0 ? g.inputWidth : g.layers.getFirst().inputSize();
        Map<String, Object> meta = jgradMetadata(proto);
        List<Layer> layers = g.layers;
        Loss savedLoss = null;
        if (meta != null) {
            List<Layer> described = describedLayers(meta, input, g.layers);
            try {
                savedLoss = Losses.parse((String) meta.get("loss"));
            } catch (RuntimeException e) {
                described = null;
            }
            if (described != null) layers = described;
            else meta = null;
        }
        Sequential net = Sequential.of(input, layers, DType.F32, Parallel.common());
        List<Parameter> all = new ArrayList<>(net.parameters());
        all.addAll(net.buffers());
        for (Parameter p : all) {
            float[] v = g.tensors.get(p.name());
            FloatTensor t = (FloatTensor) p.value();
            if (v == null || v.length != t.size()) {
                throw new InvalidModelException(source + ": no values for " + p.name() + " " + t.shape());
            }
            System.arraycopy(v, 0, t.data(), t.offset(), v.length);
        }
        Normalizer norm = normaliser(g, input, meta);
        Loss loss;
        List<String> classes;
        int[] image = null;
        if (meta != null) {
            loss = savedLoss;
            classes = strings(meta.get("classes"));
            if (meta.get("image_shape") instanceof List<?> l && l.size() == 2) {
                image = new int[]{((Number) l.get(0)).intValue(), ((Number) l.get(1)).intValue()};
            }
        } else if (g.endsInSoftmax) {
            loss = Losses.parse("softmax_cross_entropy");
            classes = g.classNames;
            if (classes == null) {
                String[] n = new String[net.outputSize()];
                Arrays.setAll(n, Integer::toString);
                classes = List.of(n);
            }
        } else {
            loss = Losses.parse("mse");
            classes = List.of();
        }
        return new Model(net, loss, norm, classes, image);
    }

    private static Normalizer normaliser(GraphWalker g, int input, Map<String, Object> meta) {
        double[] off = new double[input], sc = new double[input];
        Arrays.fill(sc, 1);
        if (g.offset != null) for (int j = 0; j < input; j++) off[j] = g.offset[g.offset.length == 1 ? 0 : j];
        if (g.scale != null) for (int j = 0; j < input; j++) sc[j] = g.scale[g.scale.length == 1 ? 0 : j];
        if (meta != null && meta.get("normalizer") instanceof Map<?, ?> nm) {
            try {
                Normalizer saved = new Normalizer(Normalizer.Kind.parse((String) nm.get("kind")), doubles(nm.get("offset")), doubles(nm.get("scale")));
                boolean none = g.offset == null && g.scale == null;
                if (saved.offset().length == input && (none ? saved.kind() == Normalizer.Kind.NONE
                        : sameAsFloats(saved.offset(), off) && sameAsFloats(saved.scale(), sc))) {
                    return saved;
                }
            } catch (RuntimeException e) {
                // a description that does not parse is ignored: the graph says what the model computes
            }
        }
        if (g.offset == null && g.scale == null) return new Normalizer(Normalizer.Kind.NONE, off, sc);
        boolean pixels = g.offset == null;
        for (double s : sc) pixels &= (float) s == (float) (1 / 255.0);
        return new Normalizer(pixels ? Normalizer.Kind.PIXELS : Normalizer.Kind.STANDARD, off, sc);
    }

    /** jgrad's own description of the model, when the file was written by jgrad. */
    private static Map<String, Object> jgradMetadata(OnnxProto.Model proto) {
        String json = proto.metadata().get(ModelFile.META_KEY);
        if (json == null) return null;
        try {
            return Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The layers as jgrad's description gives them (exact parameters, initialisations), if they
     * agree with the layers read from the graph to float32 precision; null otherwise.
     */
    @SuppressWarnings("unchecked")
    private static List<Layer> describedLayers(Map<String, Object> meta, int input, List<Layer> fromGraph) {
        try {
            if (!(meta.get("layers") instanceof List<?> saved) || saved.size() != fromGraph.size()) return null;
            if (!(meta.get("input") instanceof Number n) || n.intValue() != input) return null;
            List<Layer> out = new ArrayList<>();
            int width = input;
            for (int i = 0; i < saved.size(); i++) {
                Map<String, Object> d = new LinkedHashMap<>((Map<String, Object>) saved.get(i));
                String type = (String) d.remove("type");
                Layer l = LayerRegistry.read(LayerConfig.read(type, d), width);
                LayerConfig want = LayerRegistry.write(fromGraph.get(i)), have = LayerRegistry.write(l);
                if (!want.type().equals(have.type()) || l.inputSize() != fromGraph.get(i).inputSize()
                        || l.outputSize() != fromGraph.get(i).outputSize()) {
                    return null;
                }
                for (Map.Entry<String, Object> e : want.values().entrySet()) {
                    if (e.getKey().equals("init")) continue;
                    if (!sameAtFloat(e.getKey(), e.getValue(), have.values().get(e.getKey()))) return null;
                }
                out.add(l);
                width = l.outputSize();
            }
            return out;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean sameAtFloat(String key, Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) return (float) x.doubleValue() == (float) y.doubleValue();
        if (key.equals("activation") && a instanceof String x && b instanceof String y) {
            return activationName(x).equals(activationName(y)) && (float) activationParameter(x) == (float) activationParameter(y);
        }
        return a != null && a.equals(b);
    }

    private static String activationName(String spec) {
        int open = spec.indexOf('(');
        return open < 0 ? spec : spec.substring(0, open);
    }

    private static double activationParameter(String spec) {
        String s = Activations.parse(spec).spec();
        int open = s.indexOf('(');
        return open < 0 ? (s.equals("elu") ? 1 : 0) : Double.parseDouble(s.substring(open + 1, s.length() - 1));
    }

    private static boolean sameAsFloats(double[] a, double[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if ((float) a[i] != (float) b[i]) return false;
        return true;
    }

    private static double[] doubles(Object v) {
        List<?> l = (List<?>) v;
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).doubleValue();
        return out;
    }

    private static List<String> strings(Object v) {
        if (!(v instanceof List<?> l)) return List.of();
        return l.stream().map(String::valueOf).toList();
    }
}
