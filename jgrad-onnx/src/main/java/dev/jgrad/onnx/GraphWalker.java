package dev.jgrad.onnx;

import dev.jgrad.io.InvalidModelException;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.BatchNorm;
import dev.jgrad.nn.Dense;
import dev.jgrad.nn.Dropout;
import dev.jgrad.nn.ElementwiseActivation;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.LayerNorm;
import dev.jgrad.onnx.OnnxProto.Attribute;
import dev.jgrad.onnx.OnnxProto.Node;
import dev.jgrad.onnx.OnnxProto.Tensor;
import dev.jgrad.onnx.OnnxProto.ValueInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows a feed-forward ONNX graph from its one input to its output and turns it into jgrad
 * layers: a linear layer ({@code Gemm}, or {@code MatMul} with an optional bias {@code Add} in
 * either order) takes the activation that follows it (one operator, or a chain of element-wise
 * operators recognised by evaluating it, as PyTorch writes GELU and SiLU), normalisations and
 * dropout become their layers, {@code Sub}/{@code Mul} by constants before the first layer become
 * the normaliser, {@code Flatten}/{@code Reshape} there are the identity on the flattened
 * features. Constants may come from initializers, {@code Constant} nodes or {@code Identity}
 * aliases of either. A classifier's {@code ai.onnx.ml} tail (ArgMax, ArrayFeatureExtractor,
 * ZipMap) is left aside. Anything else is refused naming the node, its operator and the opset.
 *
 * <p>The file is longer than most because its steps share the walk's state — the nodes taken so
 * far, the readers of each value and the linear layer still waiting for its activation — which
 * split across classes would have to be passed around; the constants are read by
 * {@link GraphConstants}.
 */
final class GraphWalker {
    private static final Set<String> TAIL_OPS = Set.of("ArgMax", "Cast", "Reshape", "ZipMap", "ArrayFeatureExtractor",
            "Squeeze", "Identity", "Flatten", "LabelEncoder");
    private static final Set<String> ACTIVATIONS = Set.of("Relu", "Tanh", "Sigmoid", "LeakyRelu", "Elu", "Selu",
            "Softplus", "Softmax", "Gelu");
    /** A chain longer than this is no activation jgrad has. */
    private static final int MAX_CHAIN = 24;

    private final OnnxProto.Model model;
    private final String source;
    private final long opset;
    private final List<Node> nodes;
    private final GraphConstants constants;
    private final Set<Node> used = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<String> graphOutputs = new HashSet<>();
    /** Value name → the nodes that read it, in graph order: each lookup costs its readers, not the graph. */
    private final Map<String, List<Node>> readers = new HashMap<>();
    private final Map<Node, Integer> order = new IdentityHashMap<>();

    /** Results. */
    final List<Layer> layers = new ArrayList<>();
    final Map<String, float[]> tensors = new LinkedHashMap<>();
    int inputWidth = -1;
    /** The input has more than two dims and has not been flattened yet. */
    private boolean unflattened;
    float[] offset, scale;
    List<String> classNames;
    boolean endsInSoftmax;

    private int width = -1;
    private final Map<String, Integer> kindCounts = new HashMap<>();
    // the linear layer whose activation is not known yet
    private float[] pendingW, pendingB;
    private int pendingIn, pendingOut;
    private Activation pendingActivation;
    private boolean pending;

    GraphWalker(OnnxProto.Model model, String source) {
        this.model = model;
        this.source = source;
        this.opset = model.defaultOpset();
        this.nodes = model.graph().nodes();
        this.constants = new GraphConstants(source, opset);
    }

    void walk() {
        if (opset <= 0) throw new InvalidModelException(source + ": the model declares no version of the default ONNX operator set");
        if (opset > Onnx.MAX_IMPORT_OPSET) {
            throw new InvalidModelException(source + ": opset " + opset + " is newer than jgrad knows (up to " + Onnx.MAX_IMPORT_OPSET + ")");
        }
        for (Node n : nodes) {
            if (n.outputs().isEmpty() || n.outputs().getFirst().isEmpty()) throw refuse(n, "has no output");
            for (Attribute a : n.attributes().values()) {
                if (a.type() == Attribute.GRAPH || a.type() == Attribute.GRAPHS || a.g() != null) {
                    throw refuse(n, "holds a subgraph (attribute '" + a.name() + "'): control flow is not a feed-forward network");
                }
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            order.put(n, i);
            for (String in : new java.util.LinkedHashSet<>(n.inputs())) readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        for (ValueInfo o : model.graph().outputs()) graphOutputs.add(o.name());
        constants.collect(model.graph().initializers(), nodes, used);
        String cur = input();
        width = inputWidth;
        boolean atInput = true;
        while (true) {
            List<Node> next = live(cur);
            if (next.isEmpty()) break;
            Node n = next.getFirst();
            if (!atInput && next.stream().allMatch(this::isTail)
                    && (graphOutputs.contains(cur) || next.stream().anyMatch(t -> t.opType().equals("ArgMax") || t.domain().equals("ai.onnx.ml")))) {
                break;
            }
            if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) throw refuse(n, "is not a standard ONNX operator");
            String op = n.opType();
            if (pending && pendingActivation == null && (next.size() > 1 || ScalarFunction.OPS.contains(op))) {
                String r = activationChain(cur, n);
                if (r != null) {
                    cur = r;
                    continue;
                }
            }
            if (pending && pendingActivation == Activations.SIGMOID && pendingOut == 1 && next.size() == 2) {
                String r = twoClasses(cur, next);
                if (r != null) {
                    cur = r;
                    continue;
                }
            }
            if (op.equals("ReduceMean")) {
                cur = layerNormChain(cur, next);
                continue;
            }
            if (next.size() > 1) {
                throw refuse(n, "'" + cur + "' feeds " + next.size() + " nodes (" + labels(next)
                        + "): a branch, which a jgrad network does not have");
            }
            if (!n.input(0).equals(cur)) throw refuse(n, "takes '" + cur + "' as its input " + (n.inputs().indexOf(cur) + 1)
                    + ", not as its first");
            switch (op) {
                case "Identity" -> cur = take(n);
                case "Flatten", "Reshape" -> {
                    if (!atInput) throw refuse(n, "reshapes inside the network; only the input may be flattened");
                    cur = flatten(n);
                }
                case "Sub", "Mul" -> {
                    if (!atInput || (op.equals("Sub") && (offset != null || scale != null)) || (op.equals("Mul") && scale != null)) {
                        throw refuse(n, "is not part of a linear layer or of an input normalisation (Sub, then Mul, by constants)");
                    }
                    cur = normaliser(n);
                }
                case "Gemm" -> {
                    cur = gemm(n);
                    atInput = false;
                }
                case "MatMul" -> {
                    cur = matmul(n);
                    atInput = false;
                }
                case "Dropout" -> cur = dropout(n);
                case "BatchNormalization" -> {
                    cur = batchNorm(n);
                    atInput = false;
                }
                case "LayerNormalization" -> {
                    cur = layerNorm(n);
                    atInput = false;
                }
                default -> {
                    if (ACTIVATIONS.contains(op)) cur = activation(n);
                    else throw refuse(n, "is not an operator jgrad imports");
                }
            }
        }
        finishPending();
        if (layers.isEmpty()) throw new InvalidModelException(source + ": the graph holds no layer jgrad knows");
        for (Node n : nodes) {
            if (!used.contains(n) && !isTail(n)) {
                throw refuse(n, "is not on the one path from the input to the output (a branch or a second output)");
            }
        }
        if (!graphOutputs.contains(cur) && live(cur).stream().noneMatch(this::isTail)) {
            throw new InvalidModelException(source + ": the network ends at '" + cur + "', which is not an output of the graph");
        }
        for (Node n : nodes) {
            if (used.contains(n)) continue;
            if (n.opType().equals("ArrayFeatureExtractor") && constants.get(n.input(0)) instanceof Tensor c) classNames = constants.names(c);
            if (n.opType().equals("ZipMap") && classNames == null) {
                Attribute a = n.attributes().get("classlabels_int64s");
                if (a != null && a.ints() != null) classNames = java.util.Arrays.stream(a.ints()).mapToObj(Long::toString).toList();
            }
        }
        if (classNames != null && classNames.size() != width) classNames = null;
    }

    // ---- the input ----

    private String input() {
        List<ValueInfo> real = model.graph().inputs().stream().filter(v -> !constants.has(v.name())).toList();
        if (real.isEmpty()) throw new InvalidModelException(source + ": the graph has no input");
        if (real.size() > 1) {
            String second = real.get(1).name();
            Node reader = nodes.stream().filter(n -> n.inputs().contains(second)).findFirst().orElse(null);
            String msg = "a second input '" + second + "'; a jgrad network has one";
            if (reader != null) throw refuse(reader, "reads " + msg);
            throw new InvalidModelException(source + ": the graph has " + msg);
        }
        ValueInfo in = real.getFirst();
        if (in.elemType() != 0 && in.elemType() != OnnxProto.FLOAT) {
            throw new InvalidModelException(source + ": input '" + in.name() + "' is " + Tensor.typeName(in.elemType()) + ", not float32");
        }
        if (in.dims() != null && in.dims().size() >= 2) {
            long w = 1;
            for (Object d : in.dims().subList(1, in.dims().size())) {
                if (!(d instanceof Long l) || l <= 0) {
                    w = -1;
                    break;
                }
                w *= l;
                if (w > Integer.MAX_VALUE) throw new InvalidModelException(source + ": input '" + in.name() + "' has dims " + in.dims());
            }
            inputWidth = (int) w;
            unflattened = in.dims().size() > 2;
        }
        return in.name();
    }

    private String flatten(Node n) {
        if (n.opType().equals("Flatten")) {
            long axis = intAttr(n, "axis", 1);
            if (axis != 1) throw refuse(n, "flattens from axis " + axis + "; only axis 1 keeps the batch dimension");
        } else {
            long[] shape = constants.longs(n, n.input(1), "shape");
            if (shape.length != 2 || !(shape[0] == -1 || shape[0] == 0) || shape[1] == 0 || shape[1] < -1) {
                throw refuse(n, "reshapes to " + java.util.Arrays.toString(shape) + "; only [-1, features] or [0, -1] flattens the input");
            }
            if (shape[1] > 0 && inputWidth > 0 && inputWidth != shape[1]) {
                throw refuse(n, "reshapes " + inputWidth + " features to " + shape[1]);
            }
            if (shape[1] > 0) inputWidth = (int) shape[1];
        }
        unflattened = false;
        width = inputWidth;
        return take(n);
    }

    private String normaliser(Node n) {
        if (unflattened) throw refuse(n, "normalises the input before it is flattened");
        float[] c = constants.floats(n, n.input(1), "constant");
        if (width < 0 && c.length > 1) width = inputWidth = c.length;
        if (c.length != 1 && c.length != width) throw refuse(n, "uses " + c.length + " constants for " + width + " features");
        // one value stands for every feature: expanded once the width is known
        if (n.opType().equals("Sub")) offset = c;
        else scale = c;
        return take(n);
    }

    // ---- layers ----

    private String gemm(Node n) {
        finishPending();
        if (intAttr(n, "transA", 0) != 0) throw refuse(n, "has transA=1: the batch must be the rows of A");
        long transB = intAttr(n, "transB", 0);
        float alpha = floatAttr(n, "alpha", 1f), beta = floatAttr(n, "beta", 1f);
        Tensor b = constants.tensor(n, n.input(1), "B");
        if (b.dims().length != 2) throw refuse(n, "has B of shape " + java.util.Arrays.toString(b.dims()) + ", not a matrix");
        int out = (int) (transB == 1 ? b.dims()[0] : b.dims()[1]), in = (int) (transB == 1 ? b.dims()[1] : b.dims()[0]);
        float[] bv = constants.floats(n, n.input(1), "B");
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                float v = transB == 1 ? bv[o * in + i] : bv[i * out + o];
                w[o * in + i] = alpha == 1f ? v : alpha * v;
            }
        }
        float[] bias = new float[out];
        if (!n.input(2).isEmpty()) {
            float[] c = constants.floats(n, n.input(2), "C");
            if (c.length != out && c.length != 1) throw refuse(n, "has C of " + c.length + " values for " + out + " outputs");
            for (int o = 0; o < out; o++) {
                float v = c.length == 1 ? c[0] : c[o];
                bias[o] = beta == 1f ? v : beta * v;
            }
        }
        startLinear(n, w, bias, in, out);
        return take(n);
    }

    private String matmul(Node n) {
        finishPending();
        Tensor b = constants.tensor(n, n.input(1), "B");
        if (b.dims().length != 2) throw refuse(n, "multiplies by a tensor of shape " + java.util.Arrays.toString(b.dims()) + ", not a matrix");
        int in = (int) b.dims()[0], out = (int) b.dims()[1];
        float[] bv = constants.floats(n, n.input(1), "B");
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) w[o * in + i] = bv[i * out + o];
        String cur = take(n);
        float[] bias = new float[out];
        List<Node> next = live(cur);
        if (next.size() == 1 && next.getFirst().opType().equals("Add") && next.getFirst().domain().isEmpty()) {
            Node add = next.getFirst();
            String other = add.input(0).equals(cur) ? add.input(1) : add.input(0);
            if (constants.has(other)) {
                float[] c = constants.floats(add, other, "bias");
                if (c.length != out && c.length != 1) throw refuse(add, "adds " + c.length + " values to " + out + " outputs");
                for (int o = 0; o < out; o++) bias[o] = c.length == 1 ? c[0] : c[o];
                cur = take(add);
            }
        }
        startLinear(n, w, bias, in, out);
        return cur;
    }

    private void startLinear(Node n, float[] w, float[] b, int in, int out) {
        if (in <= 0 || out <= 0) throw refuse(n, "has a weight matrix with no rows or columns");
        if (width >= 0 && in != width) throw refuse(n, "takes " + in + " features but receives " + width);
        if (unflattened) throw refuse(n, "receives the input with more than two dims; jgrad reads it flattened (Flatten first)");
        if (inputWidth < 0) inputWidth = in;
        pendingW = w;
        pendingB = b;
        pendingIn = in;
        pendingOut = out;
        pendingActivation = null;
        pending = true;
        width = out;
    }

    private void finishPending() {
        if (!pending) return;
        Activation a = pendingActivation == null ? Activations.IDENTITY : pendingActivation;
        String prefix = prefix("dense");
        layers.add(new Dense(pendingIn, pendingOut, a));
        tensors.put(prefix + "weight", pendingW);
        tensors.put(prefix + "bias", pendingB);
        endsInSoftmax = a == Activations.SOFTMAX;
        pending = false;
    }

    private String prefix(String kind) {
        int i = kindCounts.merge(kind, 1, Integer::sum) - 1;
        return (kind.equals("dense") ? "layers" : kind) + "." + i + ".";
    }

    private int widthFor(Node n) {
        if (unflattened) throw refuse(n, "receives the input with more than two dims; jgrad reads it flattened (Flatten first)");
        if (width < 0) throw refuse(n, "comes before the number of features is known");
        return width;
    }

    private String dropout(Node n) {
        finishPending();
        double p = 0.5;
        if (opset < 12) p = floatAttr(n, "ratio", 0.5f);
        else if (!n.input(1).isEmpty()) p = constants.scalar(n, n.input(1));
        if (!n.input(2).isEmpty()) {
            long[] mode = constants.longsOrBool(n, n.input(2));
            if (mode.length != 1 || mode[0] != 0) throw refuse(n, "runs in training mode");
        }
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty() && !live(n.outputs().get(1)).isEmpty()) {
            throw refuse(n, "has its mask read by another node");
        }
        if (!(p >= 0 && p < 1)) throw refuse(n, "has ratio " + p + ", outside [0, 1)");
        prefix("dropout");
        layers.add(new Dropout(widthFor(n), shortest(p)));
        endsInSoftmax = false;
        return take(n);
    }

    private String batchNorm(Node n) {
        finishPending();
        int w = widthFor(n);
        if (intAttr(n, "training_mode", 0) != 0) throw refuse(n, "runs in training mode");
        onlyFirstOutput(n);
        double eps = shortest(floatAttr(n, "epsilon", 1e-5f));
        double momentum = shortest(1 - shortest(floatAttr(n, "momentum", 0.9f)));
        if (!(eps > 0)) throw refuse(n, "has epsilon " + eps);
        if (!(momentum >= 0 && momentum <= 1)) momentum = 0.1;
        String prefix = prefix("batch_norm");
        String[] names = {"weight", "bias", "running_mean", "running_var"};
        for (int k = 0; k < 4; k++) tensors.put(prefix + names[k], constants.vector(n, n.input(k + 1), names[k], w));
        layers.add(new BatchNorm(w, eps, momentum));
        endsInSoftmax = false;
        return take(n);
    }

    private String layerNorm(Node n) {
        finishPending();
        int w = widthFor(n);
        long axis = intAttr(n, "axis", -1);
        if (axis != -1 && axis != 1) throw refuse(n, "normalises from axis " + axis + "; jgrad normalises the features (axis -1)");
        onlyFirstOutput(n);
        double eps = shortest(floatAttr(n, "epsilon", 1e-5f));
        return addLayerNorm(n, w, eps, constants.vector(n, n.input(1), "scale", w), n.input(2).isEmpty() ? new float[w] : constants.vector(n, n.input(2), "B", w), take(n));
    }

    private String addLayerNorm(Node n, int w, double eps, float[] gamma, float[] beta, String out) {
        if (w < 2) throw refuse(n, "normalises " + w + " feature; jgrad's layer norm needs at least 2");
        if (!(eps > 0)) throw refuse(n, "has epsilon " + eps);
        String prefix = prefix("layer_norm");
        tensors.put(prefix + "weight", gamma);
        tensors.put(prefix + "bias", beta);
        layers.add(new LayerNorm(w, eps));
        endsInSoftmax = false;
        return out;
    }

    /**
     * The layer norm PyTorch writes before opset 17: ReduceMean → Sub → Pow 2 → ReduceMean → Add ε
     * → Sqrt → Div, then optionally Mul by γ and Add β.
     */
    private String layerNormChain(String x, List<Node> next) {
        finishPending();
        Node mean = next.getFirst();
        int w = widthFor(mean);
        checkLastAxis(mean);
        Node sub = consumer(x, "Sub", mean);
        if (next.size() != 2 || !sub.input(0).equals(x) || !sub.input(1).equals(mean.outputs().getFirst())) {
            throw refuse(mean, "is not the start of a layer normalisation (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div)");
        }
        String d = sub.outputs().getFirst();
        Node pow = consumer(d, "Pow", sub);
        if (constants.scalar(pow, pow.input(1)) != 2f) throw refuse(pow, "is not a square");
        Node var = consumer(pow.outputs().getFirst(), "ReduceMean", pow);
        checkLastAxis(var);
        Node add = consumer(var.outputs().getFirst(), "Add", var);
        double eps = shortest(constants.scalar(add, add.input(0).equals(var.outputs().getFirst()) ? add.input(1) : add.input(0)));
        Node sqrt = consumer(add.outputs().getFirst(), "Sqrt", add);
        Node div = consumer(sqrt.outputs().getFirst(), "Div", sqrt);
        if (!div.input(0).equals(d) || live(d).size() != 2) throw refuse(div, "does not divide the centred input by the deviation");
        for (Node n : List.of(mean, sub, pow, var, add, sqrt, div)) used.add(n);
        String cur = div.outputs().getFirst();
        float[] gamma = new float[w], beta = new float[w];
        java.util.Arrays.fill(gamma, 1f);
        List<Node> after = live(cur);
        if (after.size() == 1 && after.getFirst().opType().equals("Mul") && constOperand(after.getFirst(), cur) != null) {
            Node mul = after.getFirst();
            gamma = constants.vector(mul, constOperand(mul, cur), "weight", w);
            cur = take(mul);
            after = live(cur);
        }
        if (after.size() == 1 && after.getFirst().opType().equals("Add") && constOperand(after.getFirst(), cur) != null) {
            Node plus = after.getFirst();
            beta = constants.vector(plus, constOperand(plus, cur), "bias", w);
            cur = take(plus);
        }
        return addLayerNorm(mean, w, eps, gamma, beta, cur);
    }

    private void checkLastAxis(Node reduce) {
        Attribute axes = reduce.attributes().get("axes");
        long[] a = axes != null ? axes.ints() : !reduce.input(1).isEmpty() ? constants.longs(reduce, reduce.input(1), "axes") : null;
        if (a == null || a.length != 1 || (a[0] != -1 && a[0] != 1)) throw refuse(reduce, "does not reduce over the last axis alone");
        if (intAttr(reduce, "keepdims", 1) != 1) throw refuse(reduce, "drops the reduced axis");
    }

    /** The one live consumer of a value with the given operator. */
    private Node consumer(String value, String op, Node after) {
        for (Node n : live(value)) if (n.opType().equals(op)) return n;
        throw refuse(after, "is not followed by " + op + " as in a layer normalisation");
    }

    private String constOperand(Node n, String cur) {
        String other = n.input(0).equals(cur) ? n.input(1) : n.input(0);
        return constants.has(other) ? other : null;
    }

    // ---- activations ----

    private String activation(Node n) {
        if (!pending || pendingActivation != null) {
            throw refuse(n, pending ? "is a second activation after one linear layer" : "does not follow a linear layer; jgrad applies activations inside dense layers");
        }
        Activation a = switch (n.opType()) {
            case "Relu" -> Activations.RELU;
            case "Tanh" -> Activations.TANH;
            case "Sigmoid" -> Activations.SIGMOID;
            case "Softplus" -> Activations.SOFTPLUS;
            case "LeakyRelu" -> Activations.leakyRelu(shortest(floatAttr(n, "alpha", 0.01f)));
            case "Elu" -> Activations.elu(shortest(floatAttr(n, "alpha", 1f)));
            case "Selu" -> {
                if (floatAttr(n, "alpha", OnnxExporter.SELU_ALPHA) != OnnxExporter.SELU_ALPHA
                        || floatAttr(n, "gamma", OnnxExporter.SELU_GAMMA) != OnnxExporter.SELU_GAMMA) {
                    throw refuse(n, "has SELU constants other than the standard ones; jgrad's selu has those fixed");
                }
                yield Activations.SELU;
            }
            case "Softmax" -> {
                long axis = intAttr(n, "axis", opset < 13 ? 1 : -1);
                if (axis != 1 && axis != -1) throw refuse(n, "applies softmax along axis " + axis + ", not the features");
                yield Activations.SOFTMAX;
            }
            case "Gelu" -> {
                Attribute ap = n.attributes().get("approximate");
                String mode = ap == null || ap.s() == null ? "none" : ap.s();
                yield switch (mode) {
                    case "none" -> Activations.GELU;
                    case "tanh" -> Activations.GELU_TANH;
                    default -> throw refuse(n, "has approximate='" + mode + "'");
                };
            }
            default -> throw new IllegalStateException(n.opType());
        };
        pendingActivation = a;
        return take(n);
    }

    /**
     * Element-wise nodes fed by x (and scalar constants) that together compute one of jgrad's
     * activations: the longest such chain whose inner values are read only inside it, evaluated
     * at probe points. Null when there is none (the caller then reports the first node).
     */
    private String activationChain(String x, Node first) {
        List<Node> chain = new ArrayList<>();
        Set<String> values = new HashSet<>(Set.of(x));
        Map<String, Float> scalars = new HashMap<>();
        for (Node n : reachable(x)) {
            if (used.contains(n) || chain.size() >= MAX_CHAIN || !ScalarFunction.OPS.contains(n.opType()) || !n.domain().isEmpty()) continue;
            boolean fed = false, ok = n.outputs().size() == 1;
            for (String in : n.inputs()) {
                if (values.contains(in)) fed = true;
                else if (constants.get(in) instanceof Tensor t && t.floats() != null && t.floats().length == 1) scalars.put(in, t.floats()[0]);
                else ok = false;
            }
            if (fed && ok) {
                chain.add(n);
                values.add(n.outputs().getFirst());
            }
        }
        for (int k = chain.size(); k >= 1; k--) {
            List<Node> part = chain.subList(0, k);
            String result = closedResult(x, part);
            if (result == null) continue;
            float[][] probe = ScalarFunction.evaluate(part, x, scalars, result);
            if (probe == null) continue;
            Set<String> ops = new HashSet<>();
            for (Node n : part) ops.add(n.opType());
            for (Activation a : List.of(Activations.GELU, Activations.GELU_TANH, Activations.SILU)) {
                boolean evidence = a == Activations.GELU ? ops.contains("Erf") : a == Activations.GELU_TANH ? ops.contains("Tanh")
                        : ops.contains("Sigmoid") || ops.contains("Exp");
                if (evidence && matches((ElementwiseActivation) a, probe)) {
                    if (!pending || pendingActivation != null) {
                        throw refuse(part.getFirst(), "computes " + a.spec() + " but does not follow a linear layer");
                    }
                    used.addAll(part);
                    pendingActivation = a;
                    return result;
                }
            }
        }
        return null;
    }

    /**
     * scikit-learn's two-class output: p = σ(z) of one unit, then Concat(1 − p, p). That is
     * exactly softmax([0, z]), so the layer becomes two units, the first with zero weights and
     * bias, under a softmax. Null when the two readers of p are not that.
     */
    private String twoClasses(String p, List<Node> next) {
        Node sub = next.stream().filter(n -> n.opType().equals("Sub")).findFirst().orElse(null);
        Node concat = next.stream().filter(n -> n.opType().equals("Concat")).findFirst().orElse(null);
        if (sub == null || concat == null || !sub.input(1).equals(p) || !constants.has(sub.input(0))) return null;
        float[] one = constants.floats(sub, sub.input(0), "constant");
        if (one.length != 1 || one[0] != 1f) return null;
        long axis = intAttr(concat, "axis", 0);
        if ((axis != 1 && axis != -1) || !concat.inputs().equals(List.of(sub.outputs().getFirst(), p))) return null;
        float[] w = new float[2 * pendingIn], b = new float[2];
        System.arraycopy(pendingW, 0, w, pendingIn, pendingIn);
        b[1] = pendingB[0];
        pendingW = w;
        pendingB = b;
        pendingOut = 2;
        width = 2;
        pendingActivation = Activations.SOFTMAX;
        used.add(sub);
        used.add(concat);
        return concat.outputs().getFirst();
    }

    /** Element-wise nodes reachable from x through element-wise nodes, at most 2·MAX_CHAIN, in graph order. */
    private List<Node> reachable(String x) {
        List<Node> found = new ArrayList<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(x));
        while (!todo.isEmpty() && found.size() < 2 * MAX_CHAIN) {
            for (Node n : live(todo.poll())) {
                if (!ScalarFunction.OPS.contains(n.opType()) || !seen.add(n)) continue;
                found.add(n);
                todo.add(n.outputs().getFirst());
            }
        }
        found.sort(java.util.Comparator.comparingInt(order::get));
        return found;
    }

    /** The one value of the chain read outside it, when x and every other value are read only inside. */
    private String closedResult(String x, List<Node> part) {
        Set<Node> in = Collections.newSetFromMap(new IdentityHashMap<>());
        in.addAll(part);
        for (Node c : live(x)) if (!in.contains(c)) return null;
        String result = null;
        for (Node n : part) {
            String v = n.outputs().getFirst();
            boolean outside = graphOutputs.contains(v);
            for (Node c : live(v)) if (!in.contains(c)) outside = true;
            if (outside) {
                if (result != null) return null;
                result = v;
            }
        }
        if (result == null) result = part.getLast().outputs().getFirst();
        return result.equals(part.getLast().outputs().getFirst()) ? result : null;
    }

    private static boolean matches(ElementwiseActivation a, float[][] probe) {
        for (int i = 0; i < probe[0].length; i++) {
            double want = a.f(probe[0][i]);
            if (!(Math.abs(probe[1][i] - want) <= 1e-5 * Math.max(1, Math.abs(want)))) return false;
        }
        return true;
    }

    // ---- bookkeeping ----

    /** The nodes not yet taken that read a value, in graph order. */
    private List<Node> live(String value) {
        List<Node> out = new ArrayList<>();
        for (Node n : readers.getOrDefault(value, List.of())) if (!used.contains(n)) out.add(n);
        return out;
    }

    private String take(Node n) {
        used.add(n);
        return n.outputs().getFirst();
    }

    private void onlyFirstOutput(Node n) {
        for (int i = 1; i < n.outputs().size(); i++) {
            String o = n.outputs().get(i);
            if (!o.isEmpty() && (!live(o).isEmpty() || graphOutputs.contains(o))) throw refuse(n, "has its output " + (i + 1) + " read");
        }
    }

    private boolean isTail(Node n) {
        return n.domain().equals("ai.onnx.ml") || TAIL_OPS.contains(n.opType());
    }

    private static long intAttr(Node n, String name, long fallback) {
        Attribute a = n.attributes().get(name);
        return a == null ? fallback : a.i();
    }

    private static float floatAttr(Node n, String name, float fallback) {
        Attribute a = n.attributes().get(name);
        return a == null ? fallback : a.f();
    }

    /** The shortest decimal that rounds to this float: 0.2f reads back as 0.2, as it was most likely written. */
    static double shortest(double f) {
        return Double.parseDouble(Float.toString((float) f));
    }

    private static String labels(List<Node> ns) {
        return String.join(", ", ns.stream().map(Node::label).toList());
    }

    private InvalidModelException refuse(Node n, String why) {
        return new InvalidModelException(source + ": node " + n.label() + " at opset " + opset + " " + why);
    }
}
