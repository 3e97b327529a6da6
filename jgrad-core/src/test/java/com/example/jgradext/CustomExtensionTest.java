package com.example.jgradext;

import dev.jgrad.check.GradientCheck;
import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.InvalidModelException;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.LayerRegistry;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.train.Evaluation;
import dev.jgrad.train.Metrics;
import dev.jgrad.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's own activation and layer, defined outside jgrad's packages and registered through the
 * public API: they pass the gradient check, train, save, load and predict like built-in ones.
 */
class CustomExtensionTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void register() {
        Activations.register("bent_identity", BentIdentity.INSTANCE);
        LayerRegistry.register(ScaleShift.CODEC);
    }

    static Sequential net(DType dtype) {
        return Sequential.builder(64).dtype(dtype).seed(3)
                .dense(32, BentIdentity.INSTANCE)
                .add(new ScaleShift(32, 1.0))
                .dense(10, Activations.SOFTMAX).build();
    }

    @Test
    void theirGradientsMatchFiniteDifferences() {
        Sequential net = net(DType.F64);
        Random r = new Random(5);
        Tensor x = Tensor.zeros(DType.F64, 5, 64), t = Tensor.zeros(DType.F64, 5, 1);
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextGaussian());
        for (int i = 0; i < 5; i++) t.set(i, i % 10);
        GradientCheck.Report rep = GradientCheck.defaults().run(net, Losses.SOFTMAX_CROSS_ENTROPY, x, t);
        assertTrue(rep.passes(1e-6), rep.toString());
        assertTrue(rep.worstPerTensor().containsKey("example_scale_shift.0.scale"), rep.toString());
    }

    @Test
    void trainSaveLoadAndPredict() throws Exception {
        Dataset.Split s = BuiltinData.digits().split(0.2, 42);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.MINMAX, s.train().features());
        Dataset train = norm.apply(s.train()), test = norm.apply(s.validation());
        Sequential net = net(DType.F32);
        Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(3e-3)).epochs(8).batchSize(32).seed(1)
                .build().fit(train);
        Evaluation e = Metrics.evaluate(net, Losses.SOFTMAX_CROSS_ENTROPY, test, 256);
        assertTrue(e.accuracy() > 0.9, "test accuracy " + e.accuracy());

        Path file = dir.resolve("custom.safetensors");
        Model model = new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, norm, train.classNames(), null);
        ModelFile.save(file, model);
        Model loaded = ModelFile.load(file);
        assertTrue(loaded.network().layers().get(1) instanceof ScaleShift);
        assertSame(BentIdentity.INSTANCE, ((dev.jgrad.nn.Dense) loaded.network().layers().get(0)).activation());
        FloatTensor raw = (FloatTensor) s.validation().features().rowRange(0, 20).copy();
        assertArrayEquals(model.predict(raw).toDoubleArray(), loaded.predict(raw).toDoubleArray());
        assertEquals(dev.jgrad.io.Json.write(ModelFile.describe(model)), dev.jgrad.io.Json.write(ModelFile.describe(loaded)));
    }

    @Test
    void anUnregisteredTypeIsNamedOnLoad() throws Exception {
        Path file = dir.resolve("unknown.safetensors");
        Sequential net = Sequential.builder(3).add(new Unregistered(3)).dense(2, Activations.IDENTITY).build();
        assertThrows(IllegalArgumentException.class, () -> ModelFile.save(file, new Model(net, Losses.MSE,
                Normalizer.fit(Normalizer.Kind.NONE, (FloatTensor) Tensor.zeros(DType.F32, 1, 3)), java.util.List.of(), null)));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelFile.load(resave(file)));
        assertTrue(e.getMessage().contains("unknown layer type 'example_unknown_xyz'"), e.getMessage());
    }

    /** A model file naming a layer type nobody registered, written by hand. */
    private Path resave(Path file) throws Exception {
        Sequential net = Sequential.builder(3).add(new ScaleShift(3, 1)).dense(2, Activations.IDENTITY).build();
        Model m = new Model(net, Losses.MSE, Normalizer.fit(Normalizer.Kind.NONE, (FloatTensor) Tensor.zeros(DType.F32, 1, 3)),
                java.util.List.of(), null);
        ModelFile.save(file, m);
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("example_scale_shift", "example_unknown_xyz");   // as long, so the header length holds
        java.nio.file.Files.write(file, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        return file;
    }

    /** A layer with no codec. */
    static final class Unregistered implements dev.jgrad.nn.Layer {
        private final int width;
        Unregistered(int width) { this.width = width; }
        @Override public int inputSize() { return width; }
        @Override public int outputSize() { return width; }
        @Override public int parameterCount() { return 0; }
        @Override public void bind(Tensor p, Tensor g, dev.jgrad.kernel.Parallel par, dev.jgrad.tensor.Rng rng) { }
        @Override public void initialize(Random rng) { }
        @Override public Tensor forward(Tensor x, boolean training) { return x; }
        @Override public Tensor backward(Tensor g, boolean needInputGrad) { return g; }
        @Override public java.util.List<dev.jgrad.nn.Parameter> parameters() { return java.util.List.of(); }
        @Override public dev.jgrad.nn.Layer copyConfig() { return new Unregistered(width); }
        @Override public String kind() { return "example_unregistered"; }
        @Override public String describe() { return "Unregistered"; }
    }
}
