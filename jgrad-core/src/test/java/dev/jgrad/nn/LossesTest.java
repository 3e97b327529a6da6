package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossesTest {

    static Tensor t(double[][] rows) {
        return Tensor.of(DType.F64, rows);
    }

    @Test
    void meanReductionsAsPyTorchDefinesThem() {
        Tensor y = t(new double[][]{{1, 2}, {3, 5}});
        Tensor target = t(new double[][]{{0, 2}, {1, 1}});
        // differences 1, 0, 2, 4 over 4 elements
        assertEquals((1 + 0 + 4 + 16) / 4.0, Losses.MSE.forward(y, target), 1e-15);
        assertEquals((1 + 0 + 2 + 4) / 4.0, Losses.L1.forward(y, target), 1e-15);
        // huber(1.5): 0.5·1², 0, 1.5·(2 − 0.75), 1.5·(4 − 0.75)
        assertEquals((0.5 + 0 + 1.875 + 4.875) / 4, Losses.huber(1.5).forward(y, target), 1e-15);
    }

    @Test
    void crossEntropyKnownValues() {
        // Equal logits over C classes: −log(1/C) whatever the label.
        Tensor z = t(new double[][]{{0, 0, 0, 0}, {3, 3, 3, 3}});
        assertEquals(Math.log(4), Losses.SOFTMAX_CROSS_ENTROPY.forward(z, t(new double[][]{{2}, {0}})), 1e-15);
        // Logits (1, 2, 3), label 2: −log(e³/(e + e² + e³)).
        Tensor z2 = t(new double[][]{{1, 2, 3}});
        double want = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
        assertEquals(want, Losses.SOFTMAX_CROSS_ENTROPY.forward(z2, t(new double[][]{{2}})), 1e-15);
        // One-hot targets give the same value as indices.
        assertEquals(want, Losses.SOFTMAX_CROSS_ENTROPY.forward(z2, t(new double[][]{{0, 0, 1}})), 1e-15);
        // Label smoothing 0.3 over 3 classes: targets (0.1, 0.1, 0.8).
        double[] logp = new double[3];
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        for (int c = 0; c < 3; c++) logp[c] = (c + 1) - lse;
        double smooth = -(0.1 * logp[0] + 0.1 * logp[1] + 0.8 * logp[2]);
        assertEquals(smooth, Losses.softmaxCrossEntropy(0.3).forward(z2, t(new double[][]{{2}})), 1e-15);
        // Huge logits stay finite.
        assertEquals(0.0, Losses.SOFTMAX_CROSS_ENTROPY.forward(t(new double[][]{{1e4, -1e4}}), t(new double[][]{{0}})), 0);
    }

    @Test
    void forwardBackwardAgreesWithForwardAndBackwardForEveryLoss() {
        Random rnd = new Random(7);
        for (DType dtype : DType.values()) {
            Tensor z = Tensor.zeros(dtype, 6, 5), probs = Tensor.zeros(dtype, 6, 5), labels = Tensor.zeros(dtype, 6, 1);
            for (int i = 0; i < z.size(); i++) {
                z.set(i, rnd.nextGaussian() * 4);
                probs.set(i, rnd.nextDouble());
            }
            for (int b = 0; b < 6; b++) labels.set(b, rnd.nextInt(5));
            for (Loss loss : new Loss[]{Losses.MSE, Losses.L1, Losses.huber(0.7), Losses.BCE_WITH_LOGITS,
                    Losses.SOFTMAX_CROSS_ENTROPY, Losses.softmaxCrossEntropy(0.2)}) {
                for (Tensor target : loss instanceof Losses.SoftmaxCrossEntropy ? new Tensor[]{labels, probs} : new Tensor[]{probs}) {
                    Tensor g1 = Tensor.zeros(dtype, 6, 5), g2 = Tensor.zeros(dtype, 6, 5);
                    double separate = loss.forward(z, target);
                    loss.backward(z, target, g1);
                    double together = loss.forwardBackward(z, target, g2);
                    String what = loss.spec() + " " + dtype + " target " + target.shape();
                    assertEquals(separate, together, 1e-14 * Math.abs(separate), what);
                    // The gradient against the plain definition of softmax: (p·Σt − t)/B.
                    for (int i = 0; i < g1.size(); i++) {
                        assertEquals(g1.get(i), g2.get(i), 0, what + " element " + i);
                        if (loss == Losses.SOFTMAX_CROSS_ENTROPY && target == probs) {
                            int b = i / 5;
                            double sum = 0, tsum = 0;
                            for (int c = 0; c < 5; c++) {
                                sum += Math.exp(z.get(b * 5 + c));
                                tsum += probs.get(b * 5 + c);
                            }
                            double want = (Math.exp(z.get(i)) / sum * tsum - probs.get(i)) / 6;
                            assertEquals(want, g2.get(i), dtype == DType.F32 ? 1e-7 : 1e-15, what + " element " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void bceWithLogitsKnownValuesAndStability() {
        Tensor z = t(new double[][]{{0, 2}});
        Tensor target = t(new double[][]{{1, 0}});
        double want = (Math.log(2) + (2 + Math.log1p(Math.exp(-2)))) / 2;
        assertEquals(want, Losses.BCE_WITH_LOGITS.forward(z, target), 1e-15);
        assertEquals(1000.0 / 1, Losses.BCE_WITH_LOGITS.forward(t(new double[][]{{-1000}}), t(new double[][]{{1}})), 1e-12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mse", "l1", "huber(0.7)", "softmax_cross_entropy", "softmax_cross_entropy(0.1)",
            "bce_with_logits"})
    void gradientMatchesFiniteDifferences(String name) {
        Loss loss = Losses.parse(name);
        Random r = new Random(7);
        int rows = 3, cols = 4;
        Tensor y = Tensor.zeros(DType.F64, rows, cols);
        for (int i = 0; i < y.size(); i++) y.set(i, r.nextGaussian() * 2);
        Tensor target;
        if (name.startsWith("softmax")) {
            target = t(new double[][]{{1}, {3}, {0}});
        } else {
            target = Tensor.zeros(DType.F64, rows, cols);
            for (int i = 0; i < target.size(); i++) target.set(i, name.startsWith("bce") ? r.nextDouble() : r.nextGaussian());
        }
        assertTrue(loss.kinkDistance(y, target) > 1e-3, "test data sits clear of kinks");
        Tensor g = Tensor.zeros(DType.F64, rows, cols);
        loss.backward(y, target, g);
        double h = 1e-4;
        for (int i = 0; i < y.size(); i++) {
            double v = y.get(i);
            double[] at = new double[4];
            double[] steps = {h, -h, 2 * h, -2 * h};
            for (int s = 0; s < 4; s++) {
                y.set(i, v + steps[s]);
                at[s] = loss.forward(y, target);
            }
            y.set(i, v);
            double numeric = (8 * (at[0] - at[1]) - (at[2] - at[3])) / (12 * h);
            double err = Math.abs(g.get(i) - numeric) / Math.max(Math.abs(g.get(i)) + Math.abs(numeric), 1e-8);
            assertTrue(err < 1e-8, name + " element " + i + ": analytic " + g.get(i) + " numeric " + numeric);
        }
    }

    @Test
    void softTargetsThatDoNotSumToOneStillGetTheTrueGradient() {
        Tensor z = t(new double[][]{{0.5, -0.2, 1.0}});
        Tensor target = t(new double[][]{{0.2, 0.3, 0.1}});
        Tensor g = Tensor.zeros(DType.F64, 1, 3);
        Losses.SOFTMAX_CROSS_ENTROPY.backward(z, target, g);
        double h = 1e-6;
        for (int c = 0; c < 3; c++) {
            Tensor zp = z.copy(), zm = z.copy();
            zp.set(c, z.get(c) + h);
            zm.set(c, z.get(c) - h);
            double num = (Losses.SOFTMAX_CROSS_ENTROPY.forward(zp, target) - Losses.SOFTMAX_CROSS_ENTROPY.forward(zm, target)) / (2 * h);
            assertEquals(num, g.get(c), 1e-9);
        }
    }

    @Test
    void badTargetsNameTheShapesOrTheRow() {
        Tensor z = Tensor.zeros(DType.F64, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.SOFTMAX_CROSS_ENTROPY.forward(z, Tensor.zeros(DType.F64, 2, 4)));
        assertTrue(e.getMessage().contains("[2, 4]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.SOFTMAX_CROSS_ENTROPY.forward(z, t(new double[][]{{0}, {3}})));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.MSE.forward(z, Tensor.zeros(DType.F64, 3, 2)));
        assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void parseReadsBackEverySpec() {
        for (String s : new String[]{"mse", "l1", "huber(0.5)", "softmax_cross_entropy", "softmax_cross_entropy(0.1)", "bce_with_logits"}) {
            assertEquals(s, Losses.parse(s).spec());
        }
        assertThrows(IllegalArgumentException.class, () -> Losses.parse("hinge"));
        assertThrows(IllegalArgumentException.class, () -> Losses.parse("mse(2)"));
    }
}
