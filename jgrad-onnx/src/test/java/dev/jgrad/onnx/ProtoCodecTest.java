package dev.jgrad.onnx;

import dev.jgrad.io.Model;
import dev.jgrad.nn.Dense;
import dev.jgrad.onnx.OnnxProto.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The wire format as other writers use it: unpacked repeated fields, typed data, negative varints, Reshape at the input. */
class ProtoCodecTest {

    @Test
    void typedFieldsReadPackedOrUnpacked() {
        // dims 2 and 3 as two unpacked varints, float_data as six fixed32 fields, one at a time
        ProtoWriter t = new ProtoWriter().int64(1, 2).int64(1, 3).int64(2, OnnxProto.FLOAT).string(8, "W");
        float[] values = {1.5f, -2f, 0f, Float.MIN_VALUE, 3.25f, -0f};
        for (float v : values) t.float32(4, v);
        Tensor unpacked = decodeInitializer(t);
        assertArrayEquals(new long[]{2, 3}, unpacked.dims());
        assertArrayEquals(values, unpacked.floats());

        ProtoWriter packed = new ProtoWriter().packedInt64(1, new long[]{2, 3}).int64(2, OnnxProto.FLOAT).string(8, "W")
                .packedFloats(4, values);
        assertArrayEquals(values, decodeInitializer(packed).floats());

        ProtoWriter ints = new ProtoWriter().int64(1, 3).int64(2, OnnxProto.INT64).string(8, "shape")
                .int64(7, -1).packedInt64(7, new long[]{0, Long.MIN_VALUE});
        assertArrayEquals(new long[]{-1, 0, Long.MIN_VALUE}, decodeInitializer(ints).longs());
    }

    private static Tensor decodeInitializer(ProtoWriter t) {
        ProtoWriter graph = new ProtoWriter().message(5, t);
        byte[] model = new ProtoWriter().int64(1, 8).message(7, graph).toByteArray();
        return OnnxCodec.decode(model, "t.onnx").graph().initializers().getFirst();
    }

    @Test
    void aNegativeAttributeTakesTenBytesAndReadsBack() {
        ProtoWriter w = new ProtoWriter().int64(3, -1);
        byte[] b = w.toByteArray();
        assertEquals(11, b.length, "key + ten-byte varint");
        ProtoReader r = ProtoReader.of(b, "a");
        r.next();
        assertEquals(-1, r.int64("i"));
    }

    @Test
    void reshapeAtTheInputFlattensIt() {
        var shape = Tensor.ofLongs("shape", new long[]{-1, 3}, 2);
        var input = new OnnxProto.ValueInfo("input", OnnxProto.FLOAT, List.of("N", 1L, 3L));
        byte[] bytes = RefusalTest.model(List.of(RefusalTest.node("flat", "Reshape", List.of("input", "shape"), "f"),
                        RefusalTest.gemm("f", "y")), List.of(RefusalTest.W, RefusalTest.B, shape), List.of(input), "y", 14);
        Model m = OnnxImporter.read(bytes, "m.onnx");
        assertEquals(3, m.network().inputSize());
        assertEquals(1, m.network().layers().size());
        assertEquals(2, ((Dense) m.network().layers().getFirst()).outputSize());
    }
}
