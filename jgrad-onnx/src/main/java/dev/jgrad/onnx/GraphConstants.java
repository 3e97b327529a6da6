package dev.jgrad.onnx;

import dev.jgrad.io.InvalidModelException;
import dev.jgrad.onnx.OnnxProto.Attribute;
import dev.jgrad.onnx.OnnxProto.Node;
import dev.jgrad.onnx.OnnxProto.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The constants of an ONNX graph as the importer reads them: initializers, {@code Constant} nodes
 * and {@code Identity} aliases of either, by value name; each read names the node and the role
 * the value plays there when the value is computed, external, of the wrong type or size.
 */
final class GraphConstants {
    private final Map<String, Tensor> consts = new HashMap<>();
    private final String source;
    private final long opset;

    GraphConstants(String source, long opset) {
        this.source = source;
        this.opset = opset;
    }

    boolean has(String name) {
        return consts.containsKey(name);
    }

    /** The constant called {@code name}, or null when the value is computed. */
    Tensor get(String name) {
        return consts.get(name);
    }

    /** Initializers, then {@code Constant} nodes and {@code Identity} aliases of constants, which are marked used. */
    void collect(List<Tensor> initializers, List<Node> nodes, Set<Node> used) {
        for (Tensor t : initializers) consts.put(t.name(), t);
        for (Node n : nodes) {
            if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) continue;
            if (n.opType().equals("Constant") && n.outputs().size() == 1) {
                consts.put(n.outputs().getFirst(), constantValue(n));
                used.add(n);
            } else if (n.opType().equals("Identity") && consts.containsKey(n.input(0))) {
                Tensor t = consts.get(n.input(0));
                consts.put(n.outputs().getFirst(), t);
                used.add(n);
            }
        }
    }

    private Tensor constantValue(Node n) {
        String out = n.outputs().getFirst();
        for (Attribute a : n.attributes().values()) {
            switch (a.name()) {
                case "value" -> {
                    if (a.t() == null) throw refuse(n, "has no tensor in 'value'");
                    return a.t();
                }
                case "value_float" -> {
                    return Tensor.ofFloats(out, new float[]{a.f()});
                }
                case "value_floats" -> {
                    return Tensor.ofFloats(out, a.floats(), a.floats().length);
                }
                case "value_int" -> {
                    return Tensor.ofLongs(out, new long[]{a.i()});
                }
                case "value_ints" -> {
                    return Tensor.ofLongs(out, a.ints(), a.ints().length);
                }
                default -> {
                }
            }
        }
        throw refuse(n, "holds no constant jgrad can read (sparse or string constants are not imported)");
    }

    Tensor tensor(Node n, String name, String role) {
        Tensor t = consts.get(name);
        if (t == null) throw refuse(n, "takes its " + role + " from '" + name + "', which is computed, not a constant");
        if (t.external()) throw refuse(n, "takes its " + role + " '" + t.name() + "' from external data, which jgrad does not read");
        return t;
    }

    float[] floats(Node n, String name, String role) {
        Tensor t = tensor(n, name, role);
        if (t.floats() == null) {
            throw refuse(n, "has its " + role + " '" + name + "' as " + Tensor.typeName(t.dataType()) + "; jgrad imports float32 (and float64) weights");
        }
        return t.floats();
    }

    float[] vector(Node n, String name, String role, int w) {
        if (name.isEmpty()) throw refuse(n, "has no " + role);
        float[] v = floats(n, name, role);
        if (v.length != w) throw refuse(n, "has " + v.length + " values of " + role + " for " + w + " features");
        return v;
    }

    float scalar(Node n, String name) {
        float[] v = floats(n, name, "constant");
        if (v.length != 1) throw refuse(n, "needs a single constant, '" + name + "' holds " + v.length);
        return v[0];
    }

    long[] longs(Node n, String name, String role) {
        Tensor t = tensor(n, name, role);
        if (t.longs() == null) throw refuse(n, "has its " + role + " as " + Tensor.typeName(t.dataType()) + ", not integers");
        return t.longs();
    }

    long[] longsOrBool(Node n, String name) {
        Tensor t = tensor(n, name, "training_mode");
        if (t.longs() != null) return t.longs();
        if (t.floats() != null) return new long[]{t.floats().length == 1 && t.floats()[0] == 0 ? 0 : 1};
        return new long[]{t.count() == 1 && t.dataType() == 9 ? 1 : 0};
    }

    static List<String> names(Tensor c) {
        if (c.strings() != null) return c.strings();
        if (c.longs() != null) return java.util.Arrays.stream(c.longs()).mapToObj(Long::toString).toList();
        return null;
    }

    private InvalidModelException refuse(Node n, String why) {
        return new InvalidModelException(source + ": node " + n.label() + " at opset " + opset + " " + why);
    }
}
