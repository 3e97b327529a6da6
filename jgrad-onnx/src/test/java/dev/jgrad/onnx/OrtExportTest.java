package dev.jgrad.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every exported model runs in ONNX Runtime and gives jgrad's outputs to 1e-5 on random raw
 * inputs: every activation, both normalisations, dropout, regression and classification, each
 * normaliser, at opsets 17 and 20.
 */
class OrtExportTest {
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    static final String[] ACTIVATIONS = {"identity", "sigmoid", "tanh", "relu", "leaky_relu(0.2)", "elu(0.5)", "elu", "selu",
            "gelu", "gelu_tanh", "silu", "softplus", "softmax"};

    /** The outputs ONNX Runtime gives for x, by output name. */
    static Map<String, Object> run(byte[] onnx, FloatTensor x) throws Exception {
        float[][] rows = new float[x.rows()][x.cols()];
        for (int r = 0; r < rows.length; r++) for (int c = 0; c < rows[0].length; c++) rows[r][c] = (float) x.get(r * x.cols() + c);
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = ENV.createSession(onnx, o);
                 OnnxTensor in = OnnxTensor.createTensor(ENV, rows);
                 OrtSession.Result res = s.run(Map.of("input", in))) {
                Map<String, Object> out = new java.util.LinkedHashMap<>();
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : res) out.put(e.getKey(), e.getValue().getValue());
                return out;
            }
        }
    }

    static FloatTensor randomInput(int rows, int cols, long seed, double scale, double shift) {
        Random r = new Random(seed);
        FloatTensor x = new FloatTensor(Shape.of(rows, cols));
        for (int i = 0; i < x.size(); i++) x.set(i, shift + scale * r.nextGaussian());
        return x;
    }

    static void assertClose(Tensor jgrad, float[][] ort, double tol, String what) {
        assertEquals(jgrad.rows(), ort.length, what);
        double worst = 0;
        for (int r = 0; r < ort.length; r++) {
            assertEquals(jgrad.cols(), ort[r].length, what);
            for (int c = 0; c < ort[r].length; c++) worst = Math.max(worst, Math.abs(jgrad.get(r * jgrad.cols() + c) - ort[r][c]));
        }
        assertTrue(worst <= tol, what + ": ONNX Runtime and jgrad differ by " + worst);
    }

    /** A regression network with the activation in a hidden layer and after the output layer. */
    static Model regression(String activation, long seed) {
        Activation a = Activations.parse(activation);
        Sequential net = Sequential.builder(7).dense(9, a).dense(5, a).seed(seed).build();
        return new Model(net, Losses.parse("mse"), Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 7))), List.of(), null);
    }

    @ParameterizedTest(name = "{0} at opset {1}")
    @CsvSource({"identity, 17", "identity, 20", "sigmoid, 17", "sigmoid, 20", "tanh, 17", "tanh, 20", "relu, 17", "relu, 20",
            "leaky_relu(0.2), 17", "leaky_relu(0.2), 20", "elu(0.5), 17", "elu(0.5), 20", "elu, 17", "selu, 17", "selu, 20",
            "gelu, 17", "gelu, 20", "gelu_tanh, 17", "gelu_tanh, 20", "silu, 17", "silu, 20", "softplus, 17", "softplus, 20",
            "softmax, 17", "softmax, 20"})
    void everyActivationRunsInOnnxRuntime(String activation, int opset) throws Exception {
        Model m = regression(activation, 11);
        byte[] onnx = OnnxExporter.toBytes(m, new OnnxExporter.Options(opset, false));
        FloatTensor x = randomInput(33, 7, 5, 2.0, 0);
        float[][] ort = (float[][]) run(onnx, x).get("output");
        assertClose(m.predict(x), ort, 1e-5, activation);
    }

    @ParameterizedTest(name = "{0} at opset {1}")
    @CsvSource({"none, 17", "standard, 17", "minmax, 20", "pixels, 20"})
    void classifierWithNormsAndDropoutGivesProbabilitiesAndLabel(String kind, int opset) throws Exception {
        FloatTensor train = randomInput(50, 6, 3, 40, 100);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.parse(kind), train);
        SequentialBuilder b = Sequential.builder(6).dense(16, Activations.GELU).batchNorm().dropout(0.3)
                .dense(12, Activations.SILU).layerNorm().dense(4, Activations.IDENTITY).seed(4);
        Sequential net = b.build();
        // Training-mode passes give the batch norm running statistics other than 0 and 1.
        FloatTensor h = (FloatTensor) train.copy();
        norm.apply(h);
        for (int i = 0; i < 3; i++) net.forward(h, true);
        Model m = new Model(net, Losses.parse("softmax_cross_entropy"), norm, List.of("a", "b", "c", "d"), null);
        byte[] onnx = OnnxExporter.toBytes(m, new OnnxExporter.Options(opset, true));
        FloatTensor x = randomInput(40, 6, 8, 40, 100);
        Map<String, Object> out = run(onnx, x);
        Tensor probs = m.predict(x);
        assertClose(probs, (float[][]) out.get("probabilities"), 1e-5, kind);
        assertArrayEquals(java.util.Arrays.stream(Model.argmax(probs)).asLongStream().toArray(), (long[]) out.get("label"));
    }

    @Test
    void oneSampleAndALargeBatchShareTheModel() throws Exception {
        Model m = regression("relu", 2);
        byte[] onnx = OnnxExporter.toBytes(m, OnnxExporter.Options.defaults());
        for (int rows : new int[]{1, 300}) {
            FloatTensor x = randomInput(rows, 7, rows, 1, 0);
            assertClose(m.predict(x), (float[][]) run(onnx, x).get("output"), 1e-5, rows + " rows");
        }
    }

    @Test
    void whatHasNoExactFormIsRefusedWithTheReason() {
        Activation custom = new dev.jgrad.nn.ElementwiseActivation() {
            public String spec() { return "cube"; }
            public double f(double z) { return z * z * z; }
            public double df(double z, double y) { return 3 * z * z; }
        };
        Sequential net = Sequential.builder(3).dense(2, custom).build();
        Model m = new Model(net, Losses.parse("mse"), Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 3))), List.of(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(m, OnnxExporter.Options.defaults()));
        assertTrue(e.getMessage().contains("'cube'"), e.getMessage());
        Model f64 = new Model(regression("relu", 1).network().to(dev.jgrad.tensor.DType.F64), Losses.parse("mse"),
                Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 7))), List.of(), null);
        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(f64, OnnxExporter.Options.defaults()));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new OnnxExporter.Options(13, false));
        assertTrue(e.getMessage().contains("17 or 20"), e.getMessage());
    }
}
