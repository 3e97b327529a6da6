package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequentialTest {

    static Tensor random(DType dt, int rows, int cols, long seed) {
        Random r = new Random(seed);
        Tensor x = Tensor.zeros(dt, rows, cols);
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextGaussian());
        return x;
    }

    @Test
    void float32AndFloat64AgreeToFloat32Precision() {
        for (long seed = 1; seed <= 5; seed++) {
            Sequential n32 = Sequential.builder(20).seed(seed).dense(64, Activations.RELU).dense(32, Activations.GELU).dense(10, Activations.SOFTMAX).build();
            Sequential n64 = n32.to(DType.F64);
            Tensor x = random(DType.F32, 17, 20, seed);
            Tensor t = Tensor.zeros(DType.F32, 17, 1);
            for (int i = 0; i < 17; i++) t.set(i, i % 10);
            Tensor y32 = n32.forward(x, true), y64 = n64.forward(x.to(DType.F64), true);
            for (int i = 0; i < y32.size(); i++) assertEquals(y64.get(i), y32.get(i), 2e-6);
            double l32 = n32.backward(Losses.SOFTMAX_CROSS_ENTROPY, t);
            double l64 = n64.backward(Losses.SOFTMAX_CROSS_ENTROPY, t.to(DType.F64));
            assertEquals(l64, l32, 1e-5);
            Tensor g32 = n32.gradientBuffer(), g64 = n64.gradientBuffer();
            double scale = 0;
            for (int i = 0; i < g64.size(); i++) scale = Math.max(scale, Math.abs(g64.get(i)));
            for (int i = 0; i < g32.size(); i++) assertEquals(g64.get(i), g32.get(i), 1e-5 * scale, "gradient " + i);
        }
    }

    @Test
    void aForwardPassForAFusedLossLeavesOutOnlyWorkNobodyReads() {
        // forward(x, loss) skips the softmax the fused loss never reads: the loss, the gradients
        // and the logits must be those of forward(x, true) to the bit, and Y still there for a
        // loss that reads it. Binary cross-entropy on logits fuses with sigmoid the same way.
        Object[][] cases = {{"softmax", Losses.SOFTMAX_CROSS_ENTROPY}, {"sigmoid", Losses.BCE_WITH_LOGITS}};
        for (Object[] c : cases) {
            for (DType dt : DType.values()) {
                Loss loss = (Loss) c[1];
                Sequential a = Sequential.builder(12).seed(5).dense(20, Activations.RELU).dense(6, Activations.parse((String) c[0])).build().to(dt);
                Sequential b = Sequential.builder(12).seed(5).dense(20, Activations.RELU).dense(6, Activations.parse((String) c[0])).build().to(dt);
                Tensor x = random(dt, 9, 12, 7);
                Tensor t = loss == Losses.BCE_WITH_LOGITS ? Tensor.zeros(dt, 9, 6) : Tensor.zeros(dt, 9, 1);
                for (int i = 0; i < 9; i++) {
                    if (loss == Losses.BCE_WITH_LOGITS) t.set(i * 6 + i % 6, 1);
                    else t.set(i, i % 6);
                }
                Tensor y = a.forward(x, true);
                double la = a.backward(loss, t);
                Tensor z = b.forward(x, loss);
                assertEquals(a.lossInput(loss).shape(), z.shape());
                for (int i = 0; i < z.size(); i++) assertEquals(a.lossInput(loss).get(i), z.get(i), 0, "logit " + i);
                double lb = b.backward(loss, t);
                assertEquals(la, lb, 0, c[0] + " " + dt);
                for (int i = 0; i < a.gradientBuffer().size(); i++) {
                    assertEquals(a.gradientBuffer().get(i), b.gradientBuffer().get(i), 0, c[0] + " " + dt + " gradient " + i);
                }
                // A loss that reads Y gets it computed after all.
                Tensor yb = b.lossInput(Losses.MSE);
                for (int i = 0; i < y.size(); i++) assertEquals(y.get(i), yb.get(i), 0, c[0] + " " + dt + " output " + i);
            }
        }
    }

    @Test
    void clearedGradientsAreWrittenByTheNextBackwardAsIfZeroed() {
        // Dense layers write their gradients; batch and layer norm are cleared and accumulate.
        // Softmax cross-entropy fuses with the last layer, MSE goes through its activation.
        for (Loss loss : new Loss[]{Losses.SOFTMAX_CROSS_ENTROPY, Losses.MSE}) {
            for (int threads : new int[]{1, 2}) {
                Sequential net = Sequential.builder(12).seed(4).threads(threads).dense(40, Activations.TANH).batchNorm()
                        .dense(30, Activations.RELU).layerNorm().dense(6, loss == Losses.MSE ? Activations.SIGMOID : Activations.SOFTMAX).build();
                Tensor x1 = random(DType.F32, 9, 12, 1), x2 = random(DType.F32, 9, 12, 2);
                Tensor t = loss == Losses.MSE ? random(DType.F32, 9, 6, 3) : Tensor.zeros(DType.F32, 9, 1);
                if (loss != Losses.MSE) for (int i = 0; i < 9; i++) t.set(i, i % 6);
                // The reference: gradients of batch 2 alone, and batch 1's added to them.
                net.zeroGrad();
                net.forward(x2, true);
                net.backward(loss, t);
                float[] alone = gradients(net);
                net.forward(x1, true);
                net.backward(loss, t);
                float[] both = gradients(net);
                // Cleared after batch 1 and not read: batch 2 writes them; then batch 1 adds to them.
                net.zeroGrad();
                net.forward(x1, true);
                net.backward(loss, t);
                net.zeroGrad();
                net.forward(x2, true);
                net.backward(loss, t);
                String what = loss.spec() + ", " + threads + " thread(s)";
                assertArrayEquals(alone, gradients(net), what);
                net.forward(x1, true);
                net.backward(loss, t);
                assertArrayEquals(both, gradients(net), what + ": the backward after accumulates again");
            }
        }
    }

    @Test
    void zeroGradReadsAsZeroThroughTheNetworkBeforeTheNextBackward() {
        Sequential net = Sequential.builder(5).seed(2).dense(4, Activations.TANH).batchNorm().dense(3, Activations.SOFTMAX).build();
        Tensor x = random(DType.F32, 6, 5, 1), t = Tensor.zeros(DType.F32, 6, 1);
        net.forward(x, true);
        net.backward(Losses.SOFTMAX_CROSS_ENTROPY, t);
        assertTrue(net.parameter("layers.0.weight").grad().toDoubleArray()[0] != 0, "a gradient to clear");
        net.zeroGrad();
        for (Parameter p : net.parameters()) {
            for (double g : p.grad().toDoubleArray()) assertEquals(0.0, g, p.name());
        }
        // Read as zero, they now accumulate from zero: the same as a backward that writes them.
        net.forward(x, true);
        net.backward(Losses.SOFTMAX_CROSS_ENTROPY, t);
        float[] accumulated = gradients(net);
        net.zeroGrad();
        net.forward(x, true);
        net.backward(Losses.SOFTMAX_CROSS_ENTROPY, t);
        assertArrayEquals(accumulated, gradients(net));
    }

    static float[] gradients(Sequential net) {
        Tensor g = net.gradientBuffer();
        float[] out = new float[g.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) g.get(i);
        return out;
    }

    @Test
    void parametersAreNamedViewsOfOneFlatBuffer() {
        Sequential net = Sequential.builder(4).dense(3, Activations.RELU).dense(2, Activations.IDENTITY).build();
        assertEquals(4 * 3 + 3 + 3 * 2 + 2, net.parameterCount());
        assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"),
                net.parameters().stream().map(Parameter::name).toList());
        net.parameter("layers.1.bias").value().set(1, 42);
        assertEquals(42, net.parameterBuffer().get(net.parameterCount() - 1), 0);
        assertEquals(List.of(3, 4), List.of(net.parameter("layers.0.weight").value().rows(),
                net.parameter("layers.0.weight").value().cols()));
    }

    @Test
    void aSeedGivesTheSameWeights() {
        Sequential a = Sequential.builder(5).seed(9).dense(4, Activations.RELU).dense(3, Activations.SOFTMAX).build();
        Sequential b = Sequential.builder(5).seed(9).dense(4, Activations.RELU).dense(3, Activations.SOFTMAX).build();
        Sequential c = Sequential.builder(5).seed(10).dense(4, Activations.RELU).dense(3, Activations.SOFTMAX).build();
        assertArrayEquals(a.parameterBuffer().toDoubleArray(), b.parameterBuffer().toDoubleArray());
        assertTrue(a.parameterBuffer().get(0) != c.parameterBuffer().get(0));
    }

    @Test
    void initialisationSchemesHaveTheirScale() {
        Random rng = new Random(1);
        Tensor w = Tensor.zeros(DType.F64, 200, 300);
        Init.HE_UNIFORM.fill(w, 300, 200, rng);
        double bound = Math.sqrt(6.0 / 300), max = 0, sq = 0;
        for (int i = 0; i < w.size(); i++) {
            max = Math.max(max, Math.abs(w.get(i)));
            sq += w.get(i) * w.get(i);
        }
        assertTrue(max <= bound);
        assertEquals(2.0 / 300, sq / w.size(), 0.05 * 2.0 / 300);   // variance of U(−a, a) is a²/3
        Init.GLOROT_NORMAL.fill(w, 300, 200, rng);
        sq = 0;
        for (int i = 0; i < w.size(); i++) sq += w.get(i) * w.get(i);
        assertEquals(2.0 / 500, sq / w.size(), 0.05 * 2.0 / 500);
        Init.ZEROS.fill(w, 300, 200, rng);
        assertEquals(0, w.get(17), 0);
    }

    @Test
    void wrongInputWidthNamesBothShapes() {
        Sequential net = Sequential.builder(4).dense(3, Activations.RELU).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(Tensor.zeros(DType.F32, 2, 5)));
        assertTrue(e.getMessage().contains("[2, 5]") && e.getMessage().contains("[B, 4]"), e.getMessage());
    }

    @Test
    void wrongTargetShapeNamesBothShapes() {
        Sequential net = Sequential.builder(4).dense(3, Activations.IDENTITY).build();
        net.forward(Tensor.zeros(DType.F32, 2, 4), true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.backward(Losses.MSE, Tensor.zeros(DType.F32, 2, 2)));
        assertTrue(e.getMessage().contains("[2, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void mismatchedLayersNameBothWidths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sequential.builder(4).dense(3, Activations.RELU).add(new Dense(5, 2, Activations.RELU)));
        assertTrue(e.getMessage().contains("[B, 5]") && e.getMessage().contains("[B, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sequential.of(4,
                List.of(new Dense(4, 3, Activations.RELU), new Dense(2, 1, Activations.RELU)), DType.F32,
                dev.jgrad.kernel.Parallel.common()));
        assertTrue(e.getMessage().contains("layer 1") && e.getMessage().contains("[B, 2]")
                && e.getMessage().contains("[B, 3]"), e.getMessage());
    }

    @Test
    void nonFiniteInputIsReportedWithRowAndColumn() {
        Sequential net = Sequential.builder(4).dense(3, Activations.RELU).build();
        Tensor x = Tensor.zeros(DType.F32, 3, 4);
        x.set(2, 1, Double.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(x));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("row 2, column 1"), e.getMessage());
        x.set(2, 1, 0);
        x.set(0, 3, Double.NEGATIVE_INFINITY);
        e = assertThrows(IllegalArgumentException.class, () -> net.forward(x));
        assertTrue(e.getMessage().contains("Infinity") && e.getMessage().contains("row 0, column 3"), e.getMessage());
    }

    @Test
    void nonFiniteTargetIsReported() {
        Sequential net = Sequential.builder(2).dense(2, Activations.IDENTITY).build();
        net.forward(Tensor.zeros(DType.F32, 2, 2), true);
        Tensor t = Tensor.zeros(DType.F32, 2, 2);
        t.set(1, 0, Double.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.backward(Losses.MSE, t));
        assertTrue(e.getMessage().contains("row 1, column 0"), e.getMessage());
    }

    @Test
    void buffersAreReusedAcrossBatchesOfTheSameSize() {
        Sequential net = Sequential.builder(3).dense(4, Activations.RELU).dense(2, Activations.IDENTITY).build();
        Tensor a = net.forward(random(DType.F32, 5, 3, 1));
        Tensor b = net.forward(random(DType.F32, 5, 3, 2));
        assertTrue(a == b, "the same output tensor is reused");
        Tensor small = net.forward(random(DType.F32, 2, 3, 3));
        assertEquals(2, small.rows());
        Tensor big = net.forward(random(DType.F32, 9, 3, 4));
        assertEquals(9, big.rows());
    }

    @Test
    void fusedSoftmaxCrossEntropyEqualsIdentityOutputOnLogits() {
        // softmax output + softmax_cross_entropy fuses; identity output reads logits: same loss, same gradient.
        Sequential soft = Sequential.builder(3).seed(4).dense(4, Activations.TANH).dense(3, Activations.SOFTMAX).build();
        Sequential logits = Sequential.builder(3).seed(4).dense(4, Activations.TANH).dense(3, Activations.IDENTITY).build();
        Tensor x = random(DType.F32, 6, 3, 5);
        Tensor t = Tensor.of(DType.F32, new double[][]{{0}, {1}, {2}, {0}, {1}, {2}});
        Tensor probs = soft.forward(x, true);
        double rowSum = probs.get(0, 0) + probs.get(0, 1) + probs.get(0, 2);
        assertEquals(1.0, rowSum, 1e-6);
        logits.forward(x, true);
        assertEquals(logits.backward(Losses.SOFTMAX_CROSS_ENTROPY, t), soft.backward(Losses.SOFTMAX_CROSS_ENTROPY, t), 0);
        assertArrayEquals(logits.gradientBuffer().toDoubleArray(), soft.gradientBuffer().toDoubleArray());
    }
}
