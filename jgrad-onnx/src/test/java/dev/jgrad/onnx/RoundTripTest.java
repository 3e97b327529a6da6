package dev.jgrad.onnx;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** jgrad → ONNX → jgrad: the same architecture, the same weights bit for bit, the same predictions. */
class RoundTripTest {

    @ParameterizedTest
    @ValueSource(ints = {17, 20})
    void everyLayerAndActivationComesBackBitForBit(int opset) {
        FloatTensor train = OrtExportTest.randomInput(30, 5, 1, 3, 2);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.STANDARD, train);
        Sequential net = Sequential.builder(5).dense(8, Activations.leakyRelu(0.2)).batchNorm().dense(8, Activations.elu(0.3))
                .dropout(0.25).dense(8, Activations.GELU).layerNorm().dense(8, Activations.GELU_TANH).dense(8, Activations.SELU)
                .dense(8, Activations.SILU).dense(8, Activations.SOFTPLUS).dense(8, Activations.SIGMOID).dense(8, Activations.TANH)
                .dense(8, Activations.RELU).dense(3, Activations.SOFTMAX).seed(9).build();
        FloatTensor h = (FloatTensor) train.copy();
        norm.apply(h);
        net.forward(h, true);
        Model m = new Model(net, Losses.parse("softmax_cross_entropy"), norm, List.of("x", "y", "z"), new int[]{1, 5});
        Model back = OnnxImporter.read(OnnxExporter.toBytes(m, new OnnxExporter.Options(opset, true)), "round trip");

        assertEquals(dev.jgrad.io.Json.write(ModelFile.describe(m)), dev.jgrad.io.Json.write(ModelFile.describe(back)));
        assertArrayEquals(bits(m.network().parameterBuffer()), bits(back.network().parameterBuffer()));
        for (int i = 0; i < m.network().buffers().size(); i++) {
            Parameter a = m.network().buffers().get(i), b = back.network().buffers().get(i);
            assertEquals(a.name(), b.name());
            assertArrayEquals(bits(a.value()), bits(b.value()), a.name());
        }
        FloatTensor x = OrtExportTest.randomInput(20, 5, 2, 3, 2);
        assertArrayEquals(bits(m.predict(x)), bits(back.predict(x)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"identity", "relu", "softplus"})
    void aRegressionComesBackWithItsLossAndNoClasses(String activation) {
        Model m = OrtExportTest.regression(activation, 3);
        Model back = OnnxImporter.read(OnnxExporter.toBytes(m, OnnxExporter.Options.defaults()), "round trip");
        assertEquals(dev.jgrad.io.Json.write(ModelFile.describe(m)), dev.jgrad.io.Json.write(ModelFile.describe(back)));
        FloatTensor x = OrtExportTest.randomInput(10, 7, 4, 1, 0);
        assertArrayEquals(bits(m.predict(x)), bits(back.predict(x)));
    }

    static long[] bits(Tensor t) {
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = Double.doubleToRawLongBits(t.get(i));
        return out;
    }
}
