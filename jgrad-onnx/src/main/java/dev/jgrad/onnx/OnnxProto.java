package dev.jgrad.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of ONNX's message tree (onnx.proto) that jgrad reads and writes, as plain records.
 * Field numbers are in {@link OnnxCodec}.
 */
final class OnnxProto {
    private OnnxProto() {
    }

    /** TensorProto.DataType values jgrad meets. */
    static final int FLOAT = 1, INT32 = 6, INT64 = 7, STRING = 8, FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16;

    /** ModelProto: the graph, the operator sets it needs and free-form metadata. */
    record Model(long irVersion, String producer, Map<String, Long> opsets, Graph graph, Map<String, String> metadata) {
        /** The version of the default ("" or "ai.onnx") operator set, or 0 when none is declared. */
        long defaultOpset() {
            Long v = opsets.get("");
            if (v == null) v = opsets.get("ai.onnx");
            return v == null ? 0 : v;
        }
    }

    /** GraphProto. */
    record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs, List<ValueInfo> outputs) {
    }

    /** NodeProto. */
    record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                Map<String, Attribute> attributes) {
        /** The i-th input's name, or "" when absent (ONNX marks a left-out optional input with ""). */
        String input(int i) {
            return i < inputs.size() ? inputs.get(i) : "";
        }

        /** The node as messages name it: {@code 'Gemm_0' (Gemm)}. */
        String label() {
            return "'" + (name.isEmpty() ? "<unnamed " + opType + ">" : name) + "' (" + (domain.isEmpty() ? "" : domain + ".") + opType + ")";
        }
    }

    /** AttributeProto; which of the values holds the data is given by {@code type} (FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7). */
    record Attribute(String name, int type, float f, long i, String s, Tensor t, Graph g, float[] floats, long[] ints) {
        static final int FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7, GRAPHS = 10;

        static Attribute ofFloat(String name, float f) {
            return new Attribute(name, FLOAT, f, 0, null, null, null, null, null);
        }

        static Attribute ofInt(String name, long i) {
            return new Attribute(name, INT, 0, i, null, null, null, null, null);
        }

        static Attribute ofString(String name, String s) {
            return new Attribute(name, STRING, 0, 0, s, null, null, null, null);
        }

        static Attribute ofInts(String name, long... ints) {
            return new Attribute(name, INTS, 0, 0, null, null, null, null, ints);
        }
    }

    /**
     * TensorProto, its values decoded: floats for FLOAT and DOUBLE, longs for INT32 and INT64,
     * strings for STRING. {@code external} is set when the data lives in another file; data of
     * other types is left out (null) and refused by whoever needs it.
     */
    record Tensor(String name, long[] dims, int dataType, float[] floats, long[] longs, List<String> strings, boolean external) {
        long count() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        static Tensor ofFloats(String name, float[] values, long... dims) {
            return new Tensor(name, dims, FLOAT, values, null, null, false);
        }

        static Tensor ofLongs(String name, long[] values, long... dims) {
            return new Tensor(name, dims, INT64, null, values, null, false);
        }

        static String typeName(int dataType) {
            return switch (dataType) {
                case FLOAT -> "float32";
                case 2 -> "uint8";
                case 3 -> "int8";
                case 4 -> "uint16";
                case 5 -> "int16";
                case INT32 -> "int32";
                case INT64 -> "int64";
                case STRING -> "string";
                case 9 -> "bool";
                case FLOAT16 -> "float16";
                case DOUBLE -> "float64";
                case BFLOAT16 -> "bfloat16";
                default -> "data type " + dataType;
            };
        }
    }

    /**
     * ValueInfoProto for a tensor: element type (0 when not a tensor or not given) and dims, each a
     * Long (dim_value), a String (dim_param) or null (unknown); {@code dims} is null when the shape is not given.
     */
    record ValueInfo(String name, int elemType, List<Object> dims) {
    }

    /** A mutable attribute map in insertion order, for building nodes. */
    static Map<String, Attribute> attributes(Attribute... as) {
        Map<String, Attribute> m = new LinkedHashMap<>();
        for (Attribute a : as) m.put(a.name(), a);
        return m;
    }
}
