package dev.jgrad.onnx;

import dev.jgrad.io.InvalidModelException;
import dev.jgrad.onnx.OnnxProto.Attribute;
import dev.jgrad.onnx.OnnxProto.Graph;
import dev.jgrad.onnx.OnnxProto.Node;
import dev.jgrad.onnx.OnnxProto.Tensor;
import dev.jgrad.onnx.OnnxProto.ValueInfo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Graphs jgrad cannot represent are refused naming the node, its operator and the opset. */
class RefusalTest {
    static final Tensor W = Tensor.ofFloats("W", new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
    static final Tensor B = Tensor.ofFloats("b", new float[]{1, 2}, 2);
    static final ValueInfo INPUT = new ValueInfo("input", OnnxProto.FLOAT, List.of("N", 3L));

    static Node node(String name, String op, List<String> in, String out, Attribute... attrs) {
        return new Node(name, op, "", in, List.of(out), OnnxProto.attributes(attrs));
    }

    static byte[] model(List<Node> nodes, List<Tensor> inits, List<ValueInfo> inputs, String output, long opset) {
        Graph g = new Graph("g", nodes, inits, inputs, List.of(new ValueInfo(output, OnnxProto.FLOAT, List.of("N", 2L))));
        return OnnxCodec.encode(new OnnxProto.Model(8, "test", Map.of("", opset), g, Map.of()));
    }

    static String refused(byte[] bytes) {
        return assertThrows(InvalidModelException.class, () -> OnnxImporter.read(bytes, "m.onnx")).getMessage();
    }

    static Node gemm(String in, String out) {
        return node("gemm", "Gemm", List.of(in, "W", "b"), out, Attribute.ofInt("transB", 1));
    }

    @Test
    void anUnsupportedOperatorIsNamedWithItsNodeAndOpset() {
        byte[] m = model(List.of(gemm("input", "z"), node("mystery", "Einsum", List.of("z"), "y")), List.of(W, B), List.of(INPUT), "y", 17);
        String msg = refused(m);
        assertTrue(msg.contains("'mystery' (Einsum)") && msg.contains("opset 17") && msg.contains("not an operator jgrad imports"), msg);
    }

    @Test
    void aBranchIsRefused() {
        byte[] m = model(List.of(gemm("input", "z"), node("r", "Relu", List.of("z"), "a"), node("t", "Tanh", List.of("z"), "c"),
                node("sum", "Add", List.of("a", "c"), "y")), List.of(W, B), List.of(INPUT), "y", 17);
        String msg = refused(m);
        assertTrue(msg.contains("feeds 2 nodes") && msg.contains("branch"), msg);
    }

    @Test
    void aSecondInputIsRefused() {
        ValueInfo other = new ValueInfo("mask", OnnxProto.FLOAT, List.of("N", 2L));
        byte[] m = model(List.of(gemm("input", "z"), node("masking", "Mul", List.of("z", "mask"), "y")), List.of(W, B),
                List.of(INPUT, other), "y", 17);
        String msg = refused(m);
        assertTrue(msg.contains("'masking' (Mul)") && msg.contains("second input 'mask'") && msg.contains("opset 17"), msg);
    }

    @Test
    void controlFlowIsRefused() {
        Graph body = new Graph("body", List.of(), List.of(), List.of(), List.of());
        Attribute branch = new Attribute("then_branch", Attribute.GRAPH, 0, 0, null, null, body, null, null);
        byte[] m = model(List.of(node("choose", "If", List.of("input"), "y", branch)), List.of(), List.of(INPUT), "y", 17);
        String msg = refused(m);
        assertTrue(msg.contains("'choose' (If)") && msg.contains("subgraph") && msg.contains("opset 17"), msg);
    }

    @Test
    void float16AndExternalWeightsAreRefusedNamingTheNode() {
        ProtoWriter half = new ProtoWriter().packedInt64(1, new long[]{2, 3}).int64(2, OnnxProto.FLOAT16).string(8, "W").bytes(9, new byte[12]);
        String msg = refused(handBuilt(half));
        assertTrue(msg.contains("'gemm' (Gemm)") && msg.contains("float16") && msg.contains("opset 17"), msg);
        ProtoWriter external = new ProtoWriter().packedInt64(1, new long[]{2, 3}).int64(2, OnnxProto.FLOAT).string(8, "W")
                .message(13, new ProtoWriter().string(1, "location").string(2, "weights.bin")).int64(14, 1);
        msg = refused(handBuilt(external));
        assertTrue(msg.contains("'gemm' (Gemm)") && msg.contains("external data"), msg);
    }

    /** Gemm(input, W, b) with W written as given. */
    private static byte[] handBuilt(ProtoWriter w) {
        ProtoWriter graph = new ProtoWriter().message(1, OnnxCodec.node(gemm("input", "y"))).message(5, w)
                .message(5, OnnxCodec.tensor(B)).message(11, OnnxCodec.valueInfo(INPUT))
                .message(12, OnnxCodec.valueInfo(new ValueInfo("y", OnnxProto.FLOAT, List.of("N", 2L))));
        return new ProtoWriter().int64(1, 8).message(7, graph).message(8, new ProtoWriter().int64(2, 17)).toByteArray();
    }

    @Test
    void aFileWithoutAnOpsetOrFromTheFutureIsRefused() {
        assertTrue(refused(model(List.of(gemm("input", "y")), List.of(W, B), List.of(INPUT), "y", 99)).contains("opset 99"));
    }

    @Test
    void anActivationOutsideADenseLayerIsRefusedWithTheReason() {
        Tensor s = Tensor.ofFloats("s", new float[]{1, 1}, 2);
        Tensor z = Tensor.ofFloats("zero", new float[]{0, 0}, 2);
        byte[] m = model(List.of(gemm("input", "z"), node("bn", "BatchNormalization", List.of("z", "s", "zero", "zero", "s"), "n"),
                node("act", "Relu", List.of("n"), "y")), List.of(W, B, s, z), List.of(INPUT), "y", 17);
        String msg = refused(m);
        assertTrue(msg.contains("'act' (Relu)") && msg.contains("inside dense layers"), msg);
    }
}
