package dev.jgrad.serve;

import dev.jgrad.data.Normalizer;
import dev.jgrad.infer.InferenceModel;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Small model files for the server's tests: a classifier and a regressor. */
final class TestModels {
    static final int FEATURES = 6;

    private TestModels() {
    }

    static float[] rows(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * FEATURES];
        for (int i = 0; i < x.length; i++) x[i] = Math.round(r.nextGaussian() * 1000) / 100f;
        return x;
    }

    /** A classifier over 6 features into classes "cat", "dog" and "bird", ending in logits. */
    static Path classifier(Path dir) throws IOException {
        Sequential net = Sequential.builder(FEATURES).seed(3).dense(20, Activations.RELU).dense(3, Activations.IDENTITY).build();
        float[] data = rows(50, 1);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.STANDARD, new FloatTensor(data, 0, Shape.of(50, FEATURES)));
        Path f = dir.resolve("animals.safetensors");
        ModelFile.save(f, new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, norm, List.of("cat", "dog", "bird"), null));
        return f;
    }

    /** A regressor with 2 outputs. */
    static Path regressor(Path dir) throws IOException {
        Sequential net = Sequential.builder(FEATURES).seed(4).dense(8, Activations.TANH).dense(2, Activations.IDENTITY).build();
        float[] data = rows(50, 2);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(data, 0, Shape.of(50, FEATURES)));
        Path f = dir.resolve("prices.safetensors");
        ModelFile.save(f, new Model(net, Losses.MSE, norm, List.of(), null));
        return f;
    }

    static InferenceModel load(Path f) throws IOException {
        return InferenceModel.load(f);
    }
}
