package dev.jgrad.check;

import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every activation and loss inside whole networks of 1 to 4 layers, batch 1 and batch > 1,
 * against finite differences in float64: max relative error ≤ 1e-7. Inputs whose
 * pre-activations come within the kink margin of relu-like activations are skipped by drawing
 * the next seed (the check itself refuses them), so no tolerance is loosened for them.
 */
public class GradientCheckTest {
    static final double TOLERANCE = 1e-7;

    static final List<String> ACTIVATIONS = List.of("identity", "sigmoid", "tanh", "relu", "leaky_relu",
            "elu", "elu(0.5)", "selu", "gelu", "gelu_tanh", "silu", "softplus", "softmax");
    static final List<String> LOSSES = List.of("mse", "l1", "huber(0.5)", "softmax_cross_entropy",
            "softmax_cross_entropy(0.1)", "bce_with_logits");

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int i = 0;
        // Each activation in a hidden position and in the output position, under each loss.
        for (String act : ACTIVATIONS) {
            for (String loss : LOSSES) {
                int depth = 1 + (i % 4);
                int batch = (i % 3 == 0) ? 1 : 5;
                b.add(Arguments.of(List.of(act, "tanh", act, "sigmoid").subList(0, depth - 1), act, loss, batch));
                i++;
            }
        }
        // Networks mixing many activations.
        b.add(Arguments.of(List.of("relu", "gelu", "selu"), "softmax", "softmax_cross_entropy", 4));
        b.add(Arguments.of(List.of("silu", "leaky_relu(0.1)", "softplus"), "identity", "mse", 1));
        b.add(Arguments.of(List.of("elu", "tanh", "gelu_tanh"), "sigmoid", "bce_with_logits", 3));
        return b.build();
    }

    public static Sequential network(List<String> hidden, String output, int in, int outWidth, long seed) {
        SequentialBuilder b = Sequential.builder(in).dtype(DType.F64).seed(seed);
        int[] widths = {4, 3, 5};
        for (int i = 0; i < hidden.size(); i++) b.dense(widths[i], Activations.parse(hidden.get(i)));
        return b.dense(outWidth, Activations.parse(output)).build();
    }

    public static Tensor randomInput(int rows, int cols, long seed) {
        Random r = new Random(seed);
        Tensor x = Tensor.zeros(DType.F64, rows, cols);
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextGaussian());
        return x;
    }

    public static Tensor target(String loss, int rows, int cols, long seed) {
        Random r = new Random(seed);
        if (loss.startsWith("softmax")) {
            Tensor t = Tensor.zeros(DType.F64, rows, 1);
            for (int i = 0; i < rows; i++) t.set(i, r.nextInt(cols));
            return t;
        }
        Tensor t = Tensor.zeros(DType.F64, rows, cols);
        for (int i = 0; i < t.size(); i++) t.set(i, loss.startsWith("bce") ? r.nextDouble() : r.nextGaussian());
        return t;
    }

    /** Runs the check on the first seed whose batch sits clear of every kink. */
    static GradientCheck.Report check(List<String> hidden, String output, String lossName, int batch) {
        Loss loss = Losses.parse(lossName);
        for (long seed = 1; seed < 200; seed++) {
            Sequential net = network(hidden, output, 3, 3, seed);
            Tensor x = randomInput(batch, 3, seed * 31);
            Tensor t = target(lossName, batch, 3, seed * 17);
            try {
                return GradientCheck.defaults().run(net, loss, x, t);
            } catch (IllegalStateException nearKink) {
                assertTrue(nearKink.getMessage().contains("kink"), nearKink.getMessage());
            }
        }
        throw new AssertionError("no seed clear of kinks");
    }

    @ParameterizedTest(name = "{0} → {1}, {2}, batch {3}")
    @MethodSource("cases")
    void networksPassTheGradientCheck(List<String> hidden, String output, String loss, int batch) {
        GradientCheck.Report r = check(hidden, output, loss, batch);
        assertTrue(r.passes(TOLERANCE), r.toString());
        assertTrue(r.checked() > 0);
    }

    @Test
    void aWrongGradientIsCaught() {
        // A loss whose backward is off by 1% must fail the check: the check can fail.
        Loss wrong = new Loss() {
            public String spec() { return "mse_wrong"; }
            public double forward(Tensor y, Tensor t) { return Losses.MSE.forward(y, t); }
            public void backward(Tensor y, Tensor t, Tensor g) {
                Losses.MSE.backward(y, t, g);
                for (int i = 0; i < g.size(); i++) g.set(i, g.get(i) * 1.01);
            }
        };
        Sequential net = network(List.of("tanh"), "identity", 3, 3, 5);
        GradientCheck.Report r = GradientCheck.defaults().run(net, wrong, randomInput(2, 3, 1), target("mse", 2, 3, 2));
        assertTrue(r.maxRelativeError() > 1e-3, r.toString());
        assertTrue(!r.passes(TOLERANCE));
    }

    @Test
    void refusesPointsAtAKink() {
        Sequential net = Sequential.builder(2).dtype(DType.F64).dense(2, Activations.RELU).dense(1, Activations.IDENTITY).build();
        net.parameter("layers.0.weight").value().fill(0);   // every pre-activation is exactly 0
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GradientCheck.defaults()
                .run(net, Losses.MSE, randomInput(2, 2, 1), target("mse", 2, 1, 1)));
        assertTrue(e.getMessage().contains("layer 0") && e.getMessage().contains("relu"), e.getMessage());
        Sequential lin = Sequential.builder(2).dtype(DType.F64).dense(1, Activations.IDENTITY).build();
        Tensor x = randomInput(1, 2, 3);
        Tensor y = lin.forward(x);
        e = assertThrows(IllegalStateException.class,
                () -> GradientCheck.defaults().run(lin, Losses.L1, x, y.copy()));
        assertTrue(e.getMessage().contains("l1"), e.getMessage());
    }

    @Test
    void reportsTheWorstParameterByNameAndIndex() {
        GradientCheck.Report r = check(List.of("tanh"), "identity", "mse", 2);
        assertTrue(r.worstPerTensor().keySet().containsAll(
                List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "input")),
                r.worstPerTensor().keySet().toString());
        assertEquals(r.maxRelativeError(), r.worst().relativeError());
        assertTrue(r.toString().contains("layers."));
    }

    @Test
    void checksAFloat32NetworkThroughAFloat64Copy() {
        Sequential net = Sequential.builder(3).seed(3).dense(4, Activations.TANH).dense(2, Activations.IDENTITY).build();
        Tensor before = net.parameterBuffer().copy();
        GradientCheck.Report r = GradientCheck.defaults().run(net, Losses.MSE,
                randomInput(2, 3, 1).to(DType.F32), target("mse", 2, 2, 1).to(DType.F32));
        // float32 weights, checked exactly in float64.
        assertTrue(r.passes(TOLERANCE), r.toString());
        for (int i = 0; i < before.size(); i++) assertEquals(before.get(i), net.parameterBuffer().get(i), 0);
    }

    @Test
    void canLeaveOutTheValuesWhosePerturbationCrossesAKink() {
        // A relu unit at z = 0.0005 is crossed by a step of 1e-3 on any weight its input reaches.
        Sequential net = Sequential.builder(1).dtype(DType.F64).dense(2, Activations.RELU).dense(1, Activations.IDENTITY).build();
        Tensor w = net.parameter("layers.0.weight").value(), b = net.parameter("layers.0.bias").value();
        w.set(0, 1);
        w.set(1, 1);
        b.set(0, -0.9995);    // z0 = x − 0.9995 = 0.0005 for x = 1: within reach of a step
        b.set(1, 0.5);        // z1 = 1.5: far from the kink
        Tensor x = Tensor.of(DType.F64, new double[][]{{1}});
        Tensor t = Tensor.of(DType.F64, new double[][]{{3}});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GradientCheck.defaults().run(net, Losses.MSE, x, t));
        assertTrue(e.getMessage().contains("across a kink"), e.getMessage());
        GradientCheck.Report r = GradientCheck.defaults().skipKinkCrossings(true).run(net, Losses.MSE, x, t);
        assertTrue(r.skipped() > 0, r.toString());
        assertTrue(r.checked() > 0 && r.passes(TOLERANCE), r.toString());
        assertTrue(r.toString().contains("left out"), r.toString());
    }
}
