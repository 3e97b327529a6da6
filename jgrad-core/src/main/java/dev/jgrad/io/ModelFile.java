package dev.jgrad.io;

import dev.jgrad.data.Normalizer;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Dense;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.LayerConfig;
import dev.jgrad.nn.LayerRegistry;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model files: safetensors with the tensors named as the network names its parameters
 * ({@code layers.<i>.weight} out × in, {@code layers.<i>.bias}, {@code batch_norm.<j>.running_mean}, ...)
 * and the architecture, loss, normaliser and class names as JSON in {@code __metadata__}
 * under the key {@code jgrad}. Written atomically with a CRC; read with every tensor's presence
 * and shape checked against the architecture.
 */
public final class ModelFile {
    private ModelFile() {
    }

    public static final String META_KEY = "jgrad";
    public static final int FORMAT = 1;

    /** A file's model together with everything else it held (checkpoints keep optimizer state there). */
    public record Loaded(Model model, SafeTensors.Contents contents) {
    }

    public static void save(Path file, Model model) throws IOException {
        save(file, model, Map.of(), Map.of());
    }

    /** Saves the model plus extra tensors and metadata entries (a checkpoint's training state). */
    public static void save(Path file, Model model, Map<String, Tensor> extraTensors, Map<String, String> extraMeta)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : model.network().parameters()) tensors.put(p.name(), p.value());
        for (Parameter b : model.network().buffers()) tensors.put(b.name(), b.value());
        tensors.putAll(extraTensors);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "jgrad");
        meta.put(META_KEY, Json.write(describe(model)));
        meta.putAll(extraMeta);
        SafeTensors.write(file, tensors, meta);
    }

    /** The architecture and everything needed to use the model, as written under {@code jgrad}. */
    public static Map<String, Object> describe(Model model) {
        Sequential net = model.network();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("dtype", net.dtype().name());
        m.put("input", net.inputSize());
        List<Object> layers = new ArrayList<>();
        for (Layer l : net.layers()) {
            LayerConfig c = LayerRegistry.write(l);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("type", c.type());
            d.putAll(c.values());
            layers.add(d);
        }
        m.put("layers", layers);
        m.put("loss", model.loss().spec());
        m.put("task", model.isClassification() ? "classification" : "regression");
        m.put("classes", model.classNames());
        Map<String, Object> norm = new LinkedHashMap<>();
        norm.put("kind", model.normalizer().kind().spec());
        norm.put("offset", model.normalizer().offset());
        norm.put("scale", model.normalizer().scale());
        m.put("normalizer", norm);
        if (model.imageShape() != null) m.put("image_shape", model.imageShape());
        m.put("parameters", net.parameterCount());
        return m;
    }

    /**
     * Loads a model: the header and the description are checked, the network's sizes are checked
     * against the tensors the file holds, and only then is the network allocated and each tensor
     * copied once, straight from the mapped file into the network's parameters.
     */
    public static Model load(Path file) throws IOException {
        try (SafeTensors.Mapped m = SafeTensors.open(file)) {
            m.verifyChecksum();
            Map<String, Shape> shapes = new LinkedHashMap<>();
            long elements = 0;
            for (SafeTensors.Entry e : m.entries().values()) {
                shapes.put(e.name(), e.shape());
                elements += e.shape().size();
            }
            return build(file, m.metadata(), elements, DType.F32, Parallel.common(), shapes, m::copyInto);
        }
    }

    /** {@link #load}, in the given dtype, keeping every tensor the file holds (a checkpoint's optimizer state too). */
    public static Loaded loadWithContents(Path file, DType dtype, Parallel parallel) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        long elements = 0;
        for (Tensor t : c.tensors().values()) elements += t.size();
        Model model = build(file, c.metadata(), elements, dtype, parallel, shapes(c), (name, into) -> into.copyFrom(c.tensors().get(name)));
        return new Loaded(model, c);
    }

    /** Where a network's tensors are copied from. */
    @FunctionalInterface
    interface TensorCopier {
        void copy(String name, Tensor into);
    }

    /** Most layers a model file may describe. */
    public static final int MAX_LAYERS = 10_000;

    private static Model build(Path file, Map<String, String> metadata, long elementsInFile, DType dtype, Parallel parallel,
                               Map<String, Shape> shapes, TensorCopier copier) {
        String json = metadata.get(META_KEY);
        if (json == null) {
            throw new InvalidModelException(file + ": no '" + META_KEY + "' entry in the metadata: not a jgrad model"
                    + " (a plain weights file can be turned into one with 'jgrad import')");
        }
        Map<String, Object> m = Json.parseObject(json, file + ": the model description");
        Description d = new Description(file);
        if (m.containsKey("format") && d.integer(m, "format", 0, Integer.MAX_VALUE) != FORMAT) {
            throw d.bad("format", "is " + m.get("format") + ", this version reads format " + FORMAT);
        }
        int input = d.integer(m, "input", 1, Integer.MAX_VALUE);
        List<?> saved = d.list(m, "layers", 1, MAX_LAYERS);
        List<Layer> layers = new ArrayList<>();
        int width = input;
        long parameters = 0;
        for (int i = 0; i < saved.size(); i++) {
            if (!(saved.get(i) instanceof Map<?, ?> raw)) throw d.bad("layers[" + i + "]", "is not an object");
            @SuppressWarnings("unchecked")
            Map<String, Object> cfg = new LinkedHashMap<>((Map<String, Object>) raw);
            Object type = cfg.remove("type");
            if (!(type instanceof String t)) throw d.bad("layers[" + i + "].type", "is missing or not a string");
            Layer l;
            try {
                l = LayerRegistry.read(LayerConfig.read(t, cfg), width);
            } catch (IllegalArgumentException e) {
                throw new InvalidModelException(file + ": layer " + i + ": " + e.getMessage());
            }
            parameters += l.parameterCount();
            layers.add(l);
            width = l.outputSize();
        }
        // The network's buffers are allocated from these sizes: a description that promises more
        // parameters than the file holds values is refused before anything that large exists.
        if (parameters > elementsInFile) {
            throw new InvalidModelException(file + ": the architecture needs " + parameters + " parameters, the file holds "
                    + elementsInFile + " values in all");
        }
        Loss loss;
        try {
            loss = Losses.parse(d.string(m, "loss"));
        } catch (InvalidModelException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw d.bad("loss", e.getMessage());
        }
        List<String> classes = new ArrayList<>();
        if (m.containsKey("classes")) {
            List<?> cl = d.list(m, "classes", 0, width);
            for (int i = 0; i < cl.size(); i++) {
                if (!(cl.get(i) instanceof String s)) throw d.bad("classes[" + i + "]", "is not a string");
                classes.add(s);
            }
            if (!classes.isEmpty() && classes.size() != width) {
                throw d.bad("classes", "names " + classes.size() + " classes, the network has " + width + " outputs");
            }
        }
        Normalizer norm = normalizer(d, m, input);
        int[] image = null;
        if (m.containsKey("image_shape")) {
            List<?> l = d.list(m, "image_shape", 2, 2);
            if (!(l.get(0) instanceof Long h) || !(l.get(1) instanceof Long w) || h < 1 || w < 1 || h > input || w > input || h * w != input) {
                throw d.bad("image_shape", "is " + l + ", not two positive sizes whose product is the input width " + input);
            }
            image = new int[]{(int) (long) h, (int) (long) w};
        }
        Sequential net;
        try {
            net = Sequential.of(input, layers, dtype, parallel);
        } catch (IllegalArgumentException e) {
            throw new InvalidModelException(file + ": " + e.getMessage());
        }
        fill(file, net, shapes, copier);
        return new Model(net, loss, norm, classes, image);
    }

    private static Normalizer normalizer(Description d, Map<String, Object> m, int input) {
        if (!m.containsKey("normalizer")) {
            return new Normalizer(Normalizer.Kind.NONE, new double[input], filled(input));
        }
        if (!(m.get("normalizer") instanceof Map<?, ?> raw)) throw d.bad("normalizer", "is not an object");
        @SuppressWarnings("unchecked")
        Map<String, Object> nm = (Map<String, Object>) raw;
        Normalizer.Kind kind;
        try {
            kind = Normalizer.Kind.parse(d.string(nm, "kind"));
        } catch (InvalidModelException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw d.bad("normalizer.kind", e.getMessage());
        }
        double[] offset = d.numbers(nm, "offset", input), scale = d.numbers(nm, "scale", input);
        return new Normalizer(kind, offset, scale);
    }

    private static double[] filled(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    /** Typed reads of the model description, each failure naming the file and the field. */
    private record Description(Path file) {
        InvalidModelException bad(String key, String what) {
            return new InvalidModelException(file + ": model description field '" + key + "' " + what);
        }

        int integer(Map<String, Object> m, String key, int min, int max) {
            Object v = m.get(key);
            if (!(v instanceof Long n)) throw bad(key, v == null ? "is missing" : "is " + v + ", not a whole number");
            if (n < min || n > max) throw bad(key, "is " + n + ", outside [" + min + ", " + max + "]");
            return (int) (long) n;
        }

        String string(Map<String, Object> m, String key) {
            if (!(m.get(key) instanceof String s)) throw bad(key, "is missing or not a string");
            return s;
        }

        List<?> list(Map<String, Object> m, String key, int min, int max) {
            if (!(m.get(key) instanceof List<?> l)) throw bad(key, "is missing or not a list");
            if (l.size() < min || l.size() > max) {
                throw bad(key, "has " + l.size() + " entries, " + (min == max ? min : "between " + min + " and " + max) + " expected");
            }
            return l;
        }

        double[] numbers(Map<String, Object> m, String key, int length) {
            if (!(m.get(key) instanceof List<?> l)) throw bad("normalizer." + key, "is missing or not a list");
            if (l.size() != length) throw bad("normalizer." + key, "has " + l.size() + " values, the network takes " + length + " features");
            double[] out = new double[length];
            for (int i = 0; i < length; i++) {
                if (!(l.get(i) instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                    throw bad("normalizer." + key + "[" + i + "]", "is " + l.get(i) + ", not a finite number");
                }
                out[i] = n.doubleValue();
            }
            return out;
        }
    }

    private static Map<String, Shape> shapes(SafeTensors.Contents c) {
        Map<String, Shape> s = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) s.put(e.getKey(), e.getValue().shape());
        return s;
    }

    /**
     * Copies each parameter and buffer from the file, after checking the presence and shape of
     * all of them: a file that does not fit leaves the network as it was.
     */
    static void fill(Path file, SafeTensors.Contents c, Sequential net) {
        fill(file, net, shapes(c), (name, into) -> into.copyFrom(c.tensors().get(name)));
    }

    private static void fill(Path file, Sequential net, Map<String, Shape> shapes, TensorCopier copier) {
        List<Parameter> all = new ArrayList<>(net.parameters());
        all.addAll(net.buffers());
        for (Parameter p : all) {
            Shape s = shapes.get(p.name());
            if (s == null) throw new InvalidModelException(file + ": tensor '" + p.name() + "' is missing");
            if (!s.equals(p.value().shape())) {
                throw new InvalidModelException(file + ": tensor '" + p.name() + "' has shape " + s
                        + ", the architecture needs " + p.value().shape());
            }
        }
        for (Parameter p : all) copier.copy(p.name(), p.value());
    }

    private static final Pattern PLAIN = Pattern.compile("layers\\.(\\d+)\\.(weight|bias)");

    /**
     * A network from a plain weights file holding only {@code layers.<i>.weight} (out × in) and
     * {@code layers.<i>.bias}, as any tool can write: sizes come from the shapes, one activation
     * per dense layer.
     */
    public static Sequential fromPlainWeights(Path file, List<String> activations, DType dtype, Parallel parallel) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        TreeMap<Integer, Tensor> weights = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            Matcher mm = PLAIN.matcher(e.getKey());
            if (!mm.matches()) throw new InvalidModelException(file + ": unexpected tensor '" + e.getKey()
                    + "' (a plain weights file holds only layers.<i>.weight and layers.<i>.bias)");
            if (mm.group(2).equals("weight")) weights.put(Integer.parseInt(mm.group(1)), e.getValue());
        }
        if (weights.isEmpty()) throw new InvalidModelException(file + ": no layers.<i>.weight tensors");
        if (weights.lastKey() != weights.size() - 1) {
            throw new InvalidModelException(file + ": dense layers must be numbered 0.." + (weights.size() - 1)
                    + ", found " + weights.keySet());
        }
        if (activations.size() != weights.size()) {
            throw new InvalidModelException(file + " has " + weights.size() + " dense layers but " + activations.size()
                    + " activations were given");
        }
        List<Layer> layers = new ArrayList<>();
        int input = -1, width = -1;
        for (int i = 0; i < weights.size(); i++) {
            Tensor w = weights.get(i);
            if (w.shape().rank() != 2) throw new InvalidModelException(file + ": layers." + i + ".weight has shape "
                    + w.shape() + ", expected [out, in]");
            int out = w.shape().dim(0), in = w.shape().dim(1);
            if (i == 0) input = in;
            else if (in != width) throw new InvalidModelException(file + ": layers." + i + ".weight is " + w.shape()
                    + " but layer " + (i - 1) + " gives " + width + " outputs");
            layers.add(new Dense(in, out, Activations.parse(activations.get(i).trim())));
            width = out;
        }
        Sequential net = Sequential.of(input, layers, dtype, parallel);
        fill(file, c, net);
        return net;
    }

}
