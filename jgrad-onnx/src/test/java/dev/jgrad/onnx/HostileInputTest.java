package dev.jgrad.onnx;

import dev.jgrad.io.InvalidModelException;
import dev.jgrad.io.Model;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged and hostile files are refused with {@link InvalidModelException}, saying where, and
 * never make the reader allocate more than the file holds.
 */
class HostileInputTest {

    static byte[] valid() {
        return OnnxExporter.toBytes(OrtExportTest.regression("gelu", 1), OnnxExporter.Options.defaults());
    }

    static String refused(byte[] bytes) {
        return assertThrows(InvalidModelException.class, () -> OnnxImporter.read(bytes, "m.onnx")).getMessage();
    }

    /**
     * Protobuf cannot tell a file cut between two fields from a shorter file: a cut in the
     * metadata that follows the graph loses only metadata, and such a file must still compute
     * what the whole one does. Every other cut is refused.
     */
    @Test
    void everyTruncationIsRefusedOrLosesOnlyMetadata() {
        byte[] ok = valid();
        dev.jgrad.tensor.FloatTensor x = OrtExportTest.randomInput(4, 7, 1, 1, 0);
        long[] want = RoundTripTest.bits(OnnxImporter.read(ok, "m.onnx").predict(x));
        int read = 0;
        for (int n = 0; n < ok.length; n++) {
            byte[] cut = Arrays.copyOf(ok, n);
            try {
                Model m = OnnxImporter.read(cut, "m.onnx");
                read++;
                org.junit.jupiter.api.Assertions.assertArrayEquals(want, RoundTripTest.bits(m.predict(x)), "cut to " + n + " bytes");
            } catch (InvalidModelException e) {
                assertTrue(e.getMessage().startsWith("m.onnx"), e.getMessage());
            }
        }
        assertTrue(read < 10, read + " cuts were read");
    }

    @Test
    void overlongAndOverflowingVarintsAreRefused() {
        byte[] eleven = new byte[12];
        eleven[0] = 0x08; // ir_version, varint
        Arrays.fill(eleven, 1, 12, (byte) 0xFF);
        assertTrue(refused(eleven).contains("varint"));
        byte[] overflow = {0x08, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, 0x7F};
        assertTrue(refused(overflow).contains("overflows"));
        byte[] endless = {0x08, (byte) 0x80, (byte) 0x80};
        assertTrue(refused(endless).contains("past the end"));
    }

    @Test
    void lengthsPastTheEndAreRefusedBeforeAllocating() {
        // graph (field 7, wire type 2) claiming 2^31 - 1 bytes, 3 present
        byte[] b = {0x3A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2, 3};
        String m = refused(b);
        assertTrue(m.contains("2147483647") && m.contains("remain"), m);
        // a negative length (a ten-byte varint with the top bit set)
        byte[] neg = {0x3A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, 0x01};
        assertTrue(refused(neg).contains("remain"));
    }

    @Test
    void deepNestingIsRefused() {
        // graph { node { attribute { g: graph { node { attribute { g: ... } } } } } }, 200 levels
        ProtoWriter g = new ProtoWriter().string(2, "innermost");
        for (int i = 0; i < 200; i++) {
            ProtoWriter attr = new ProtoWriter().string(1, "body").message(6, g).int64(20, 5);
            ProtoWriter node = new ProtoWriter().string(4, "Loop").message(5, attr);
            g = new ProtoWriter().message(1, node);
        }
        byte[] model = new ProtoWriter().int64(1, 8).message(7, g).toByteArray();
        String m = refused(model);
        assertTrue(m.contains("nested more than"), m);
    }

    @Test
    void absurdDimsAreRefusedBeforeAllocating() {
        // an initializer claiming 2^31 x 2^31 floats and holding none
        ProtoWriter t = new ProtoWriter().packedInt64(1, new long[]{Integer.MAX_VALUE, Integer.MAX_VALUE}).int64(2, 1).string(8, "W");
        String m = refused(model(t));
        assertTrue(m.contains("initializer[0] 'W'") && m.contains("claim more than"), m);
        // 100000 x 10000 claimed, 4 bytes present
        ProtoWriter small = new ProtoWriter().packedInt64(1, new long[]{100000, 10000}).int64(2, 1).string(8, "W").bytes(9, new byte[4]);
        m = refused(model(small));
        assertTrue(m.contains("'W'") && m.contains("1000000000") && m.contains("holds 1"), m);
        ProtoWriter negative = new ProtoWriter().packedInt64(1, new long[]{-3, 4}).int64(2, 1).string(8, "W");
        assertTrue(refused(model(negative)).contains("dims[0] is -3"));
        ProtoWriter rank = new ProtoWriter().packedInt64(1, new long[]{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}).int64(2, 1).string(8, "W");
        assertTrue(refused(model(rank)).contains("more than 8 dimensions"));
    }

    private static byte[] model(ProtoWriter initializer) {
        ProtoWriter graph = new ProtoWriter().message(5, initializer);
        return new ProtoWriter().int64(1, 8).message(7, graph).message(8, new ProtoWriter().int64(2, 17)).toByteArray();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"jgrad", "torch/layernorm.opset14.onnx", "torch/act_gelu_tanh.opset17.onnx",
            "sklearn/mlp_binary.onnx"})
    void randomMutationsAreReadOrRefusedAndNothingElse(String source) throws Exception {
        byte[] ok = source.equals("jgrad") ? valid() : Expected.bytes(source);
        Random r = new Random(42);
        List<String> other = new ArrayList<>();
        int readable = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] m = mutate(ok, r);
            try {
                Model model = OnnxImporter.read(m, "m.onnx");
                readable++;
                model.network().parameterCount();
            } catch (InvalidModelException e) {
                // refused, as documented
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                if (other.size() < 5) other.add(i + ": " + e);
            }
        }
        assertTrue(other.isEmpty(), "mutants failed otherwise than with InvalidModelException: " + other);
        assertTrue(readable < 3000, "some mutants must be refused");
    }

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(4)) {
                case 0 -> b[at] = (byte) r.nextInt(256);
                case 1 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 2 -> b[at] = (byte) (r.nextBoolean() ? 0xFF : 0x00);
                default -> {
                    int len = Math.min(b.length - at, 1 + r.nextInt(16));
                    byte[] shorter = new byte[b.length - len];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + len, shorter, at, b.length - at - len);
                    b = shorter.length == 0 ? b : shorter;
                }
            }
        }
        return b;
    }
}
