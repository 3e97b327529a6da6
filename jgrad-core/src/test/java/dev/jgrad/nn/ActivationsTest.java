package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationsTest {
    static final String[] ELEMENTWISE = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu(0.2)",
            "elu", "elu(0.5)", "selu", "gelu", "gelu_tanh", "silu", "softplus"};

    @ParameterizedTest
    @ValueSource(strings = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu(0.2)", "elu",
            "elu(0.5)", "selu", "gelu", "gelu_tanh", "silu", "softplus"})
    void derivativeMatchesFiniteDifferences(String name) {
        ElementwiseActivation a = (ElementwiseActivation) Activations.parse(name);
        double h = 1e-3;
        for (double z = -6.05; z <= 6.05; z += 0.1) {
            if (a.kinkDistance(z) < 1e-2) continue;
            double numeric = (8 * (a.f(z + h) - a.f(z - h)) - (a.f(z + 2 * h) - a.f(z - 2 * h))) / (12 * h);
            double analytic = a.df(z, a.f(z));
            double err = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic) + Math.abs(numeric), 1e-4);
            assertTrue(err < 1e-8, name + " at z=" + z + ": analytic " + analytic + " numeric " + numeric);
        }
    }

    @Test
    void knownValues() {
        assertEquals(0.5, f("sigmoid", 0), 0);
        assertEquals(0.7310585786300049, f("sigmoid", 1), 1e-16);
        assertEquals(Math.log(2), f("softplus", 0), 1e-16);
        assertEquals(0.8413447460685429, f("gelu", 1), 1e-15);          // 1·Φ(1)
        assertEquals(-0.15865525393145707, f("gelu", -1), 1e-15);
        assertEquals(0.8411919906082768, f("gelu_tanh", 1), 1e-15);
        assertEquals(0.7310585786300049, f("silu", 1), 1e-16);
        assertEquals(-0.02, f("leaky_relu(0.2)", -0.1), 1e-17);
        assertEquals(-0.001, f("leaky_relu", -0.1), 1e-17);
        assertEquals(1.0507009873554805 * 1.6732632423543772 * Math.expm1(-1), f("selu", -1), 1e-15);
        assertEquals(Math.expm1(-2), f("elu", -2), 1e-16);
    }

    @Test
    void stableForExtremeInputs() {
        assertEquals(0.0, f("sigmoid", -1000), 0);
        assertEquals(1.0, f("sigmoid", 1000), 0);
        assertEquals(1000.0, f("softplus", 1000), 0);
        assertEquals(0.0, f("softplus", -1000), 0);
        assertEquals(0.0, f("gelu", -40), 0);
        assertEquals(40.0, f("gelu", 40), 0);
        assertEquals(0.0, f("silu", -1000), 0);
        Tensor z = Tensor.of(DType.F32, new double[][]{{1000, 999, -1000}});
        Tensor y = Tensor.zeros(DType.F32, 1, 3);
        Activations.SOFTMAX.forward(z, y);
        assertEquals(1 / (1 + Math.exp(-1)), y.get(0), 1e-6);
        assertEquals(0.0, y.get(2), 0);
    }

    /** The float softmax as it was computed before the vector exp: one scalar exp per element. */
    static float[] scalarSoftmax(float[] z, int rows, int cols) {
        float[] y = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, z[o + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += (y[o + j] = (float) Math.exp(z[o + j] - max));
            float inv = (float) (1 / sum);
            for (int j = 0; j < cols; j++) y[o + j] *= inv;
        }
        return y;
    }

    @Test
    void floatSoftmaxHasTheBitsOfOneScalarExpPerElement() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1e30f, -1e30f, 90f, -95f};
        for (int rows : new int[]{1, 2, 5, 13, 128}) {
            for (int cols : new int[]{1, 3, 10, 17, 40}) {
                for (int trial = 0; trial < 3; trial++) {
                    float[] z = new float[rows * cols], b = new float[cols];
                    for (int i = 0; i < z.length; i++) {
                        z[i] = (float) (rnd.nextGaussian() * (trial == 0 ? 3 : trial == 1 ? 40 : 100));
                        if (trial == 2 && rnd.nextInt(20) == 0) z[i] = special[rnd.nextInt(special.length)];
                    }
                    for (int j = 0; j < cols; j++) b[j] = (float) rnd.nextGaussian();
                    Tensor zt = new dev.jgrad.tensor.FloatTensor(z.clone(), 0, dev.jgrad.tensor.Shape.of(rows, cols));
                    Tensor y = Tensor.zeros(DType.F32, rows, cols);
                    Activations.SOFTMAX.forward(zt, y);
                    assertBitsEqual(scalarSoftmax(z, rows, cols), y, "forward " + rows + "x" + cols);
                    // With the bias: Z += b (kept), then the same softmax.
                    float[] zb = z.clone();
                    for (int i = 0; i < zb.length; i++) zb[i] += b[i % cols];
                    Tensor bt = new dev.jgrad.tensor.FloatTensor(b, 0, dev.jgrad.tensor.Shape.of(1, cols));
                    Activations.SOFTMAX.forwardWithBias(zt, bt, y);
                    assertBitsEqual(zb, zt, "z + b " + rows + "x" + cols);
                    assertBitsEqual(scalarSoftmax(zb, rows, cols), y, "forwardWithBias " + rows + "x" + cols);
                }
            }
        }
    }

    static void assertBitsEqual(float[] want, Tensor got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits((float) got.get(i)),
                    what + " at " + i + ": " + want[i] + " against " + got.get(i));
        }
    }

    @Test
    void softmaxBackwardAppliesItsJacobian() {
        Tensor z = Tensor.of(DType.F64, new double[][]{{0.3, -1.2, 2.0}, {0, 0, 0}});
        Tensor y = Tensor.zeros(DType.F64, 2, 3), g = Tensor.of(DType.F64, new double[][]{{1, -2, 0.5}, {1, 0, 0}});
        Tensor d = Tensor.zeros(DType.F64, 2, 3);
        Activations.SOFTMAX.forward(z, y);
        Activations.SOFTMAX.backward(z, y, g, d);
        double h = 1e-6;
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 3; j++) {
                // d/dz_j of Σ_i g_i y_i(z), by central differences.
                Tensor zp = z.copy(), zm = z.copy(), yp = y.copy(), ym = y.copy();
                zp.set(r, j, z.get(r, j) + h);
                zm.set(r, j, z.get(r, j) - h);
                Activations.SOFTMAX.forward(zp, yp);
                Activations.SOFTMAX.forward(zm, ym);
                double num = 0;
                for (int i = 0; i < 3; i++) num += g.get(r, i) * (yp.get(r, i) - ym.get(r, i)) / (2 * h);
                assertEquals(num, d.get(r, j), 1e-9);
            }
        }
    }

    @Test
    void float32PathMatchesFloat64() {
        for (String name : ELEMENTWISE) {
            Activation a = Activations.parse(name);
            double[][] zs = {{-3.1, -0.7, 0.2, 1.9, 5.5}};
            Tensor z32 = Tensor.of(DType.F32, zs), z64 = Tensor.of(DType.F64, zs);
            Tensor y32 = Tensor.zeros(DType.F32, 1, 5), y64 = Tensor.zeros(DType.F64, 1, 5);
            a.forward(z32, y32);
            a.forward(z64, y64);
            Tensor g32 = Tensor.of(DType.F32, new double[][]{{1, 2, 3, 4, 5}}), g64 = g32.to(DType.F64);
            Tensor d32 = Tensor.zeros(DType.F32, 1, 5), d64 = Tensor.zeros(DType.F64, 1, 5);
            a.backward(z32, y32, g32, d32);
            a.backward(z64, y64, g64, d64);
            for (int i = 0; i < 5; i++) {
                assertEquals(y64.get(i), y32.get(i), 1e-6 * Math.max(1, Math.abs(y64.get(i))), name);
                assertEquals(d64.get(i), d32.get(i), 1e-5 * Math.max(1, Math.abs(d64.get(i))), name);
            }
        }
    }

    @Test
    void parseReadsBackEverySpec() {
        for (String name : ELEMENTWISE) {
            Activation a = Activations.parse(name);
            assertEquals(a.spec(), Activations.parse(a.spec()).spec());
        }
        assertEquals("softmax", Activations.parse("SoftMax").spec());
        assertEquals("silu", Activations.parse("swish").spec());
        assertThrows(IllegalArgumentException.class, () -> Activations.parse("relu6"));
        assertThrows(IllegalArgumentException.class, () -> Activations.parse("relu(2)"));
        assertThrows(IllegalArgumentException.class, () -> Activations.parse("leaky_relu(x)"));
    }

    private static double f(String name, double z) {
        Tensor in = Tensor.vector(DType.F64, z), out = Tensor.zeros(DType.F64, 1);
        Activations.parse(name).forward(in, out);
        return out.get(0);
    }
}
