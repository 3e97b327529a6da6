package dev.jgrad.onnx;

import dev.jgrad.io.Model;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.BatchNorm;
import dev.jgrad.nn.Dense;
import dev.jgrad.nn.LayerNorm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models written by PyTorch 1.13's exporter (opsets 14 and 17), by hand in scikit-learn's
 * MLPClassifier layout and in layouts no exporter here writes: imported, they give the outputs
 * the original gave, to 1e-5.
 */
class FixtureImportTest {

    @ParameterizedTest(name = "{0} at opset {1}")
    @CsvSource({
            "act_relu, 14", "act_relu, 17", "act_sigmoid, 14", "act_sigmoid, 17", "act_tanh, 14", "act_tanh, 17",
            "act_leaky_relu, 14", "act_leaky_relu, 17", "act_elu, 14", "act_elu, 17", "act_selu, 14", "act_selu, 17",
            "act_gelu, 14", "act_gelu, 17", "act_gelu_tanh, 14", "act_gelu_tanh, 17", "act_silu, 14", "act_silu, 17",
            "act_softplus, 14", "act_softplus, 17", "nobias, 14", "nobias, 17", "softmax, 14", "softmax, 17",
            "shared, 14", "shared, 17", "batchnorm, 14", "batchnorm, 17", "layernorm, 14", "layernorm, 17",
            "dropout, 14", "dropout, 17", "flatten, 14", "flatten, 17"})
    void pytorchModelsGivePytorchsOutputs(String name, int opset) throws Exception {
        Model m = OnnxImporter.read(Expected.resource("torch/" + name + ".opset" + opset + ".onnx"));
        Expected e = Expected.read("torch/" + name + ".expected.txt");
        e.assertMatches(m.predict(e.input()), 1e-5, name + " opset " + opset);
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "sigmoid", "tanh", "leaky_relu(0.2)", "elu(0.5)", "selu", "gelu", "gelu_tanh", "silu", "softplus"})
    void eachPytorchActivationBecomesJgrads(String spec) throws Exception {
        String file = spec.replaceAll("\\(.*", "");
        for (int opset : new int[]{14, 17}) {
            Model m = OnnxImporter.read(Expected.resource("torch/act_" + file + ".opset" + opset + ".onnx"));
            Dense first = (Dense) m.network().layers().getFirst();
            assertEquals(Activations.parse(spec).spec(), first.activation().spec(), file + " at opset " + opset);
            assertEquals(2, m.network().layers().size());
        }
    }

    @Test
    void normalisationAndDropoutBecomeTheirLayers() throws Exception {
        for (int opset : new int[]{14, 17}) {
            assertInstanceOf(BatchNorm.class, OnnxImporter.read(Expected.resource("torch/batchnorm.opset" + opset + ".onnx")).network().layers().get(1));
            assertInstanceOf(LayerNorm.class, OnnxImporter.read(Expected.resource("torch/layernorm.opset" + opset + ".onnx")).network().layers().get(1));
            // PyTorch leaves an eval-mode Dropout out of the graph: two dense layers remain
            assertEquals(2, OnnxImporter.read(Expected.resource("torch/dropout.opset" + opset + ".onnx")).network().layers().size());
        }
        Model softmax = OnnxImporter.read(Expected.resource("torch/softmax.opset17.onnx"));
        assertTrue(softmax.isClassification());
        assertEquals(List.of("0", "1", "2"), softmax.classNames());
    }

    @Test
    void sklearnMlpClassifierGivesPredictProba() throws Exception {
        Model m = OnnxImporter.read(Expected.resource("sklearn/mlp_classifier.onnx"));
        Expected e = Expected.read("sklearn/mlp_classifier.expected.txt");
        e.assertMatches(m.predict(e.input()), 1e-5, "MLPClassifier");
        assertEquals(List.of("0", "1", "2", "3"), m.classNames());
        assertEquals(3, m.network().layers().size());
        assertEquals("tanh", ((Dense) m.network().layers().getFirst()).activation().spec());
    }

    @Test
    void sklearnTwoClassLayoutBecomesASoftmaxOverTwoUnits() throws Exception {
        Model m = OnnxImporter.read(Expected.resource("sklearn/mlp_binary.onnx"));
        Expected e = Expected.read("sklearn/mlp_binary.expected.txt");
        e.assertMatches(m.predict(e.input()), 1e-5, "two-class MLPClassifier");
        assertEquals(List.of("3", "7"), m.classNames());
        assertEquals("softmax", ((Dense) m.network().layers().getLast()).activation().spec());
    }

    @Test
    void identityInsideTheNetworkAndAScalarNormaliserAreFollowed() {
        var w = RefusalTest.W;
        var b = RefusalTest.B;
        var half = OnnxProto.Tensor.ofFloats("half", new float[]{0.5f});
        var shift = OnnxProto.Tensor.ofFloats("shift", new float[]{1f});
        byte[] bytes = RefusalTest.model(List.of(
                        RefusalTest.node("centre", "Sub", List.of("input", "shift"), "c"),
                        RefusalTest.node("scale", "Mul", List.of("c", "half"), "s"),
                        RefusalTest.gemm("s", "z"),
                        RefusalTest.node("alias", "Identity", List.of("z"), "za"),
                        RefusalTest.node("act", "Tanh", List.of("za"), "y")),
                List.of(w, b, half, shift), List.of(RefusalTest.INPUT), "y", 17);
        Model m = OnnxImporter.read(bytes, "m.onnx");
        assertEquals("tanh", ((Dense) m.network().layers().getFirst()).activation().spec());
        assertEquals(3, m.normalizer().offset().length);
        var x = new dev.jgrad.tensor.FloatTensor(dev.jgrad.tensor.Shape.of(1, 3));
        x.set(0, 3);
        x.set(1, 5);
        x.set(2, 1);
        // s = (x - 1) / 2 = [1, 2, 0]; z = W s + b = [1+4+0+1, 4+10+0+2] = [6, 16]
        var y = m.predict(x);
        assertEquals(Math.tanh(6), y.get(0), 1e-6);
        assertEquals(Math.tanh(16), y.get(1), 1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bias_first", "gemm_transb0"})
    void layoutsOtherExportersWrite(String name) throws Exception {
        Model m = OnnxImporter.read(Expected.resource("handmade/" + name + ".onnx"));
        Expected e = Expected.read("handmade/" + name + ".expected.txt");
        e.assertMatches(m.predict(e.input()), 1e-5, name);
    }
}
