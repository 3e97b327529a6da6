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

    public static Model load(Path file) throws IOException {
        return loadWithContents(file, DType.F32, Parallel.common()).model();
    }

    @SuppressWarnings("unchecked")
    public static Loaded loadWithContents(Path file, DType dtype, Parallel parallel) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        String json = c.metadata().get(META_KEY);
        if (json == null) {
            throw new InvalidModelException(file + ": no '" + META_KEY + "' entry in the metadata: not a jgrad model"
                    + " (a plain weights file can be turned into one with 'jgrad import')");
        }
        Map<String, Object> m;
        try {
            m = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new InvalidModelException(file + ": the model description is not valid JSON (" + e.getMessage() + ")");
        }
        try {
            int input = intOf(m, "input");
            List<Layer> layers = new ArrayList<>();
            int width = input;
            List<Object> saved = (List<Object>) m.get("layers");
            for (int i = 0; i < saved.size(); i++) {
                Map<String, Object> d = new LinkedHashMap<>((Map<String, Object>) saved.get(i));
                Object type = d.remove("type");
                if (!(type instanceof String t)) throw new InvalidModelException(file + ": layer " + i + " has no 'type'");
                Layer l;
                try {
                    l = LayerRegistry.read(LayerConfig.read(t, d), width);
                } catch (IllegalArgumentException e) {
                    throw new InvalidModelException(file + ": layer " + i + ": " + e.getMessage());
                }
                layers.add(l);
                width = l.outputSize();
            }
            Sequential net = Sequential.of(input, layers, dtype, parallel);
            fill(file, c, net);
            Loss loss = Losses.parse((String) m.get("loss"));
            List<String> classes = (List<String>) m.getOrDefault("classes", List.of());
            Map<String, Object> nm = (Map<String, Object>) m.get("normalizer");
            Normalizer norm = nm == null ? Normalizer.fit(Normalizer.Kind.NONE, new dev.jgrad.tensor.FloatTensor(dev.jgrad.tensor.Shape.of(1, input)))
                    : new Normalizer(Normalizer.Kind.parse((String) nm.get("kind")), doubles(nm.get("offset")), doubles(nm.get("scale")));
            if (norm.offset().length != input) {
                throw new InvalidModelException(file + ": the normaliser has " + norm.offset().length + " features, the network takes " + input);
            }
            int[] image = m.get("image_shape") instanceof List<?> l ? new int[]{((Number) l.get(0)).intValue(), ((Number) l.get(1)).intValue()} : null;
            return new Loaded(new Model(net, loss, norm, classes, image), c);
        } catch (ClassCastException | NullPointerException e) {
            throw new InvalidModelException(file + ": the model description is incomplete or malformed (" + e + ")");
        } catch (IllegalArgumentException e) {
            if (e instanceof InvalidModelException) throw e;
            throw new InvalidModelException(file + ": " + e.getMessage());
        }
    }

    /**
     * Copies each parameter and buffer from the file, after checking the presence and shape of
     * all of them: a file that does not fit leaves the network as it was.
     */
    static void fill(Path file, SafeTensors.Contents c, Sequential net) {
        List<Parameter> all = new ArrayList<>(net.parameters());
        all.addAll(net.buffers());
        for (Parameter p : all) {
            Tensor t = c.require(p.name(), file);
            if (!t.shape().equals(p.value().shape())) {
                throw new InvalidModelException(file + ": tensor '" + p.name() + "' has shape " + t.shape()
                        + ", the architecture needs " + p.value().shape());
            }
        }
        for (Parameter p : all) p.value().copyFrom(c.tensors().get(p.name()));
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

    private static int intOf(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("'" + key + "' is missing or not a number");
        return n.intValue();
    }

    private static double[] doubles(Object v) {
        List<?> l = (List<?>) v;
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).doubleValue();
        return out;
    }
}
