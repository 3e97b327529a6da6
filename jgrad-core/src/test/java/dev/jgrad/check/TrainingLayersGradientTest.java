package dev.jgrad.check;

import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Dropout;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dropout (with a fixed mask), batch normalisation and layer normalisation against finite differences. */
class TrainingLayersGradientTest {

    static Tensor classes(int rows, int k) {
        Tensor t = Tensor.zeros(DType.F64, rows, 1);
        for (int i = 0; i < rows; i++) t.set(i, (i * 7) % k);
        return t;
    }

    @Test
    void batchNormInTrainingMode() {
        Sequential net = Sequential.builder(4).dtype(DType.F64).seed(2)
                .dense(6, Activations.TANH).batchNorm().dense(5, Activations.SIGMOID).batchNorm().dense(3, Activations.SOFTMAX).build();
        // Non-trivial γ and β, so their gradients are exercised away from the identity.
        Tensor p = net.parameterBuffer();
        for (var par : net.parameters()) {
            if (par.name().startsWith("batch_norm")) {
                for (int i = 0; i < par.value().size(); i++) par.value().set(i, 0.5 + 0.1 * i);
            }
        }
        assertTrue(p.size() > 0);
        GradientCheck.Report r = GradientCheck.defaults().run(net, Losses.SOFTMAX_CROSS_ENTROPY,
                GradientCheckTest.randomInput(6, 4, 3), classes(6, 3));
        assertTrue(r.passes(GradientCheckTest.TOLERANCE), r.toString());
        assertTrue(r.worstPerTensor().containsKey("batch_norm.1.weight"));
    }

    @Test
    void layerNorm() {
        for (int batch : new int[]{1, 4}) {
            Sequential net = Sequential.builder(3).dtype(DType.F64).seed(5)
                    .dense(5, Activations.GELU).layerNorm().dense(4, Activations.IDENTITY).layerNorm().dense(2, Activations.IDENTITY).build();
            GradientCheck.Report r = GradientCheck.defaults().run(net, Losses.MSE,
                    GradientCheckTest.randomInput(batch, 3, 7), GradientCheckTest.randomInput(batch, 2, 8));
            assertTrue(r.passes(GradientCheckTest.TOLERANCE), r.toString());
        }
    }

    @Test
    void dropoutWithAFixedMask() {
        Sequential net = Sequential.builder(4).dtype(DType.F64).seed(3)
                .dense(8, Activations.TANH).dropout(0.5).dense(3, Activations.SOFTMAX).build();
        Tensor x = GradientCheckTest.randomInput(5, 4, 1);
        // Random dropout cannot be checked numerically: refused.
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> GradientCheck.defaults().run(net, Losses.SOFTMAX_CROSS_ENTROPY, x, classes(5, 3)));
        assertTrue(e.getMessage().contains("Dropout") && e.getMessage().contains("mask"), e.getMessage());
        net.forward(x, true);
        ((Dropout) net.layers().get(1)).fixMask(true);
        GradientCheck.Report r = GradientCheck.defaults().run(net, Losses.SOFTMAX_CROSS_ENTROPY, x, classes(5, 3));
        assertTrue(r.passes(GradientCheckTest.TOLERANCE), r.toString());
    }

    @Test
    void dropoutScalesInTrainingAndIsIdentityInEvaluation() {
        Sequential net = Sequential.builder(1000).seed(1).dropout(0.3).build();
        Tensor x = Tensor.zeros(DType.F32, 4, 1000);
        x.fill(1);
        Tensor eval = net.forward(x, false);
        assertEquals(1.0, eval.get(123), 0);
        Tensor y = net.forward(x, true);
        int zeros = 0;
        double sum = 0;
        for (int i = 0; i < y.size(); i++) {
            if (y.get(i) == 0) zeros++;
            else assertEquals(1 / 0.7, y.get(i), 1e-6);
            sum += y.get(i);
        }
        assertEquals(0.3, zeros / 4000.0, 0.03);
        assertEquals(1.0, sum / 4000, 0.05);     // inverted dropout keeps the expectation
    }

    @Test
    void batchNormTracksRunningStatisticsAndUsesThemInEvaluation() {
        Sequential net = Sequential.builder(2).dtype(DType.F64).batchNorm().build();
        Tensor x = Tensor.of(DType.F64, new double[][]{{1, 10}, {3, 20}, {5, 60}});
        Tensor y = net.forward(x, true);
        // Batch statistics: column 0 has mean 3, variance 8/3.
        assertEquals((1 - 3) / Math.sqrt(8.0 / 3 + 1e-5), y.get(0, 0), 1e-12);
        var rm = net.buffers().get(0).value();
        var rv = net.buffers().get(1).value();
        assertEquals(0.1 * 3, rm.get(0), 1e-12);
        assertEquals(0.9 + 0.1 * 4, rv.get(0), 1e-12);     // unbiased: 8/2
        Tensor e = net.forward(Tensor.of(DType.F64, new double[][]{{1, 10}}), false);
        assertEquals((1 - 0.3) / Math.sqrt(1.3 + 1e-5), e.get(0, 0), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> net.forward(Tensor.of(DType.F64, new double[][]{{1, 2}}), true));
    }
}
