package dev.jgrad.onnx;

import dev.jgrad.onnx.OnnxProto.Attribute;
import dev.jgrad.onnx.OnnxProto.Graph;
import dev.jgrad.onnx.OnnxProto.Model;
import dev.jgrad.onnx.OnnxProto.Node;
import dev.jgrad.onnx.OnnxProto.Tensor;
import dev.jgrad.onnx.OnnxProto.ValueInfo;
import dev.jgrad.onnx.ProtoReader.FloatList;
import dev.jgrad.onnx.ProtoReader.LongList;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX's model tree to and from protobuf bytes, with the field numbers of onnx.proto. Decoding
 * reads only what jgrad uses and skips the rest unseen; every size is checked against the bytes
 * present before anything is allocated (see {@link ProtoReader}); a tensor's dims must agree with
 * the values it really holds.
 */
final class OnnxCodec {
    private OnnxCodec() {
    }

    /** More dims than any tensor jgrad could use; a bound on what one tensor's header may claim. */
    static final int MAX_RANK = 8;

    // ---- decoding ----

    static Model decode(byte[] bytes, String file) {
        ProtoReader r = ProtoReader.of(bytes, file);
        long ir = 0;
        String producer = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        Graph graph = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> ir = r.int64("ir_version");
                case 2 -> producer = r.string("producer_name");
                case 7 -> graph = graph(r.message("graph"));
                case 8 -> {
                    ProtoReader o = r.message("opset_import");
                    String domain = "";
                    long version = 0;
                    while (o.next()) {
                        switch (o.field()) {
                            case 1 -> domain = o.string("domain");
                            case 2 -> version = o.int64("version");
                            default -> o.skip();
                        }
                    }
                    opsets.put(domain, version);
                }
                case 14 -> {
                    ProtoReader e = r.message("metadata_props");
                    String k = "", v = "";
                    while (e.next()) {
                        switch (e.field()) {
                            case 1 -> k = e.string("key");
                            case 2 -> v = e.string("value");
                            default -> e.skip();
                        }
                    }
                    meta.put(k, v);
                }
                default -> r.skip();
            }
        }
        if (graph == null) throw r.error("no graph (not an ONNX model)");
        return new Model(ir, producer, opsets, graph, meta);
    }

    private static Graph graph(ProtoReader r) {
        String name = "";
        List<Node> nodes = new ArrayList<>();
        List<Tensor> inits = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> nodes.add(node(r.message("node[" + nodes.size() + "]")));
                case 2 -> name = r.string("name");
                case 5 -> inits.add(tensor(r.message("initializer[" + inits.size() + "]")));
                case 11 -> inputs.add(valueInfo(r.message("input[" + inputs.size() + "]")));
                case 12 -> outputs.add(valueInfo(r.message("output[" + outputs.size() + "]")));
                default -> r.skip();
            }
        }
        return new Graph(name, nodes, inits, inputs, outputs);
    }

    private static Node node(ProtoReader r) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        String name = "", op = "", domain = "";
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> in.add(r.string("input"));
                case 2 -> out.add(r.string("output"));
                case 3 -> name = r.string("name");
                case 4 -> op = r.string("op_type");
                case 5 -> {
                    Attribute a = attribute(r.message("attribute[" + attrs.size() + "]"));
                    attrs.put(a.name(), a);
                }
                case 7 -> domain = r.string("domain");
                default -> r.skip();
            }
        }
        return new Node(name, op, domain, in, out, attrs);
    }

    private static Attribute attribute(ProtoReader r) {
        String name = "", s = null;
        int type = 0;
        float f = 0;
        long i = 0;
        Tensor t = null;
        Graph g = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        boolean graphs = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string("name");
                case 2 -> f = r.float32("f");
                case 3 -> i = r.int64("i");
                case 4 -> s = r.string("s");
                case 5 -> t = tensor(r.message("t"));
                case 6 -> g = graph(r.message("g"));
                case 7 -> r.floats(floats, "floats");
                case 8 -> r.longs(ints, "ints");
                case 11 -> {
                    graphs = true;
                    g = graph(r.message("graphs"));
                }
                case 20 -> type = r.int32("type");
                default -> r.skip();
            }
        }
        if (graphs) type = Attribute.GRAPHS;
        return new Attribute(name, type, f, i, s, t, g, floats.toArray(), ints.toArray());
    }

    private static Tensor tensor(ProtoReader r) {
        LongList dims = new LongList();
        int type = 0;
        String name = "";
        byte[] raw = null;
        FloatList floats = new FloatList(), doubles = new FloatList();
        LongList longs = new LongList(), int32s = new LongList();
        List<String> strings = new ArrayList<>();
        boolean external = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.longs(dims, "dims");
                    if (dims.n > MAX_RANK) throw r.error("dims: more than " + MAX_RANK + " dimensions");
                }
                case 2 -> type = r.int32("data_type");
                case 4 -> r.floats(floats, "float_data");
                case 5 -> r.longs(int32s, "int32_data");
                case 6 -> strings.add(r.string("string_data"));
                case 7 -> r.longs(longs, "int64_data");
                case 8 -> name = r.string("name");
                case 9 -> raw = r.bytes("raw_data");
                case 10 -> r.doubles(doubles, "double_data");
                case 13 -> {
                    external = true;
                    r.skip();
                }
                case 14 -> external |= r.int64("data_location") == 1;
                default -> r.skip();
            }
        }
        String where = r.where() + (name.isEmpty() ? "" : " '" + name + "'");
        long count = 1;
        for (int k = 0; k < dims.n; k++) {
            long d = dims.a[k];
            if (d < 0 || d > Integer.MAX_VALUE) throw new dev.jgrad.io.InvalidModelException(where + ": dims[" + k + "] is " + d);
            count *= d;
            if (count > Integer.MAX_VALUE) {
                throw new dev.jgrad.io.InvalidModelException(where + ": dims " + java.util.Arrays.toString(dims.toArray())
                        + " claim more than " + Integer.MAX_VALUE + " values");
            }
        }
        long[] shape = dims.toArray();
        if (external) return new Tensor(name, shape, type, null, null, null, true);
        int n = (int) count;
        float[] fs = null;
        long[] ls = null;
        List<String> ss = null;
        switch (type) {
            case OnnxProto.FLOAT -> fs = raw != null ? rawFloats(raw, shape, n, where) : checkCount(floats.toArray(), shape, where);
            case OnnxProto.DOUBLE -> fs = raw != null ? rawDoubles(raw, shape, n, where) : checkCount(doubles.toArray(), shape, where);
            case OnnxProto.INT64 -> ls = raw != null ? rawLongs(raw, shape, n, 8, where) : checkCount(longs.toArray(), shape, where);
            case OnnxProto.INT32 -> ls = raw != null ? rawLongs(raw, shape, n, 4, where) : checkCount(int32s.toArray(), shape, where);
            case OnnxProto.STRING -> {
                if (strings.size() != n) throw mismatch(where, shape, strings.size());
                ss = strings;
            }
            default -> {
            }
        }
        return new Tensor(name, shape, type, fs, ls, ss, false);
    }

    private static dev.jgrad.io.InvalidModelException mismatch(String where, long[] dims, long have) {
        return new dev.jgrad.io.InvalidModelException(where + ": dims " + java.util.Arrays.toString(dims)
                + " need " + product(dims) + " values but the data holds " + have + (have == 0 ? " (is it stored elsewhere?)" : ""));
    }

    private static long product(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    private static float[] checkCount(float[] v, long[] dims, String where) {
        if (v.length != product(dims)) throw mismatch(where, dims, v.length);
        return v;
    }

    private static long[] checkCount(long[] v, long[] dims, String where) {
        if (v.length != product(dims)) throw mismatch(where, dims, v.length);
        return v;
    }

    private static float[] rawFloats(byte[] raw, long[] dims, int n, String where) {
        if (raw.length != (long) n * 4) throw mismatch(where, dims, raw.length / 4);
        float[] out = new float[n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static float[] rawDoubles(byte[] raw, long[] dims, int n, String where) {
        if (raw.length != (long) n * 8) throw mismatch(where, dims, raw.length / 8);
        float[] out = new float[n];
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * i);
        return out;
    }

    private static long[] rawLongs(byte[] raw, long[] dims, int n, int size, String where) {
        if (raw.length != (long) n * size) throw mismatch(where, dims, raw.length / size);
        long[] out = new long[n];
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) out[i] = size == 8 ? b.getLong(8 * i) : b.getInt(4 * i);
        return out;
    }

    private static ValueInfo valueInfo(ProtoReader r) {
        String name = "";
        int elem = 0;
        List<Object> dims = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string("name");
                case 2 -> {
                    ProtoReader type = r.message("type");
                    while (type.next()) {
                        if (type.field() != 1) {
                            type.skip();
                            continue;
                        }
                        ProtoReader tt = type.message("tensor_type");
                        while (tt.next()) {
                            switch (tt.field()) {
                                case 1 -> elem = tt.int32("elem_type");
                                case 2 -> {
                                    dims = new ArrayList<>();
                                    ProtoReader shape = tt.message("shape");
                                    while (shape.next()) {
                                        if (shape.field() != 1) {
                                            shape.skip();
                                            continue;
                                        }
                                        if (dims.size() >= MAX_RANK) throw shape.error("more than " + MAX_RANK + " dimensions");
                                        ProtoReader dim = shape.message("dim");
                                        Object d = null;
                                        while (dim.next()) {
                                            switch (dim.field()) {
                                                case 1 -> d = dim.int64("dim_value");
                                                case 2 -> d = dim.string("dim_param");
                                                default -> dim.skip();
                                            }
                                        }
                                        dims.add(d);
                                    }
                                }
                                default -> tt.skip();
                            }
                        }
                    }
                }
                default -> r.skip();
            }
        }
        return new ValueInfo(name, elem, dims);
    }

    // ---- encoding ----

    static byte[] encode(Model m) {
        ProtoWriter w = new ProtoWriter();
        w.int64(1, m.irVersion());
        w.string(2, m.producer());
        w.string(3, Onnx.PRODUCER_VERSION);
        w.message(7, graph(m.graph()));
        for (Map.Entry<String, Long> o : m.opsets().entrySet()) {
            w.message(8, new ProtoWriter().string(1, o.getKey()).int64(2, o.getValue()));
        }
        for (Map.Entry<String, String> e : m.metadata().entrySet()) {
            w.message(14, new ProtoWriter().string(1, e.getKey()).string(2, e.getValue()));
        }
        return w.toByteArray();
    }

    static ProtoWriter graph(Graph g) {
        ProtoWriter w = new ProtoWriter();
        for (Node n : g.nodes()) w.message(1, node(n));
        w.string(2, g.name());
        for (Tensor t : g.initializers()) w.message(5, tensor(t));
        for (ValueInfo v : g.inputs()) w.message(11, valueInfo(v));
        for (ValueInfo v : g.outputs()) w.message(12, valueInfo(v));
        return w;
    }

    static ProtoWriter node(Node n) {
        ProtoWriter w = new ProtoWriter();
        for (String s : n.inputs()) w.string(1, s);
        for (String s : n.outputs()) w.string(2, s);
        w.string(3, n.name());
        w.string(4, n.opType());
        for (Attribute a : n.attributes().values()) w.message(5, attribute(a));
        if (!n.domain().isEmpty()) w.string(7, n.domain());
        return w;
    }

    static ProtoWriter attribute(Attribute a) {
        ProtoWriter w = new ProtoWriter().string(1, a.name());
        switch (a.type()) {
            case Attribute.FLOAT -> w.float32(2, a.f());
            case Attribute.INT -> w.int64(3, a.i());
            case Attribute.STRING -> w.string(4, a.s());
            case Attribute.TENSOR -> w.message(5, tensor(a.t()));
            case Attribute.GRAPH -> w.message(6, graph(a.g()));
            case Attribute.INTS -> w.packedInt64(8, a.ints());
            case Attribute.FLOATS -> w.packedFloats(7, a.floats());
            default -> throw new IllegalArgumentException("cannot write attribute type " + a.type());
        }
        return w.int64(20, a.type());
    }

    static ProtoWriter tensor(Tensor t) {
        ProtoWriter w = new ProtoWriter();
        if (t.dims().length > 0) w.packedInt64(1, t.dims());
        w.int64(2, t.dataType());
        w.string(8, t.name());
        ByteBuffer b;
        switch (t.dataType()) {
            case OnnxProto.FLOAT -> {
                b = ByteBuffer.allocate(t.floats().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.floats());
            }
            case OnnxProto.INT64 -> {
                b = ByteBuffer.allocate(t.longs().length * 8).order(ByteOrder.LITTLE_ENDIAN);
                b.asLongBuffer().put(t.longs());
            }
            default -> throw new IllegalArgumentException("cannot write tensor type " + t.dataType());
        }
        return w.bytes(9, b.array());
    }

    static ProtoWriter valueInfo(ValueInfo v) {
        ProtoWriter shape = new ProtoWriter();
        for (Object d : v.dims()) {
            ProtoWriter dim = new ProtoWriter();
            if (d instanceof Long l) dim.int64(1, l);
            else if (d instanceof String s) dim.string(2, s);
            shape.message(1, dim);
        }
        ProtoWriter tt = new ProtoWriter().int64(1, v.elemType()).message(2, shape);
        return new ProtoWriter().string(1, v.name()).message(2, new ProtoWriter().message(1, tt));
    }
}
