package dev.jgrad.train;

import dev.jgrad.nn.Activations;
import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.kernel.Kernels;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.optim.Schedule;
import dev.jgrad.optim.Sgd;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins the exact bits of short seeded training runs, so that a change to the structure of the
 * code (the loop, the layers, the optimizers) cannot change a result unnoticed. Each run's
 * weights and buffers are hashed; the expected hash depends on the kernels (a vector width sums
 * lanes in its own order), so it is keyed by the kernels' description, and the build runs this
 * test at 128, 256 and 512 bits and on the scalar kernels. A run on kernels with no pinned value
 * fails and prints the hash to pin.
 */
class GoldenRunTest {

    /** Kernel width in bits (or "scalar") → run name → SHA-256 of the trained state. */
    private static final Map<String, Map<String, String>> GOLDEN = Map.of(
            "scalar", Map.of(
                    "classifier", "dd4a10c35eedb3a5287725f80926d4f0033473c59c8d5ee5f13bdc36c5637ea2",
                    "regressor", "fef28e5bfbad5d7ea61c19f580c712da6f9075eef998093812ad9d0cc65f7b9a"),
            "128", Map.of(
                    "classifier", "a827f0b8960deb326c6326316eeb536601d1e38df508f7b3036e959bcff92b93",
                    "regressor", "20929fe4c50b876356ef6c602d3676f9f24ce93a7732eec5cd2c297559c2eb12"),
            "256", Map.of(
                    "classifier", "ff7fb348e6a9d889db1f9ef19a7148ed64b6b70385cd4c36596a9877f608d85c",
                    "regressor", "758e27ceef01d5fa22fd97db67c38d4c649c531605f3069621e13097eb84ff94"),
            "512", Map.of(
                    "classifier", "a827f0b8960deb326c6326316eeb536601d1e38df508f7b3036e959bcff92b93",
                    "regressor", "20929fe4c50b876356ef6c602d3676f9f24ce93a7732eec5cd2c297559c2eb12"));

    /** Every kind of layer, dropout, Adam with decay, L1 and L2, clipping and a schedule, on the digits. */
    @Test
    void classifierRunKeepsItsBits() {
        Dataset d = BuiltinData.digits();
        Dataset.Split s = d.split(0.2, 42);
        Normalizer n = Normalizer.fit(Normalizer.Kind.MINMAX, s.train().features());
        Dataset train = n.apply(s.train()), val = n.apply(s.validation());
        try (Sequential net = Sequential.builder(64).seed(7).threads(2)
                .dense(48, Activations.RELU).dropout(0.2).batchNorm()
                .dense(32, Activations.TANH).layerNorm()
                .dense(24, Activations.GELU)
                .dense(10, Activations.SOFTMAX).build()) {
            Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY)
                    .optimizer(Adam.builder().learningRate(2e-3).betas(0.9, 0.999).eps(1e-8).weightDecay(1e-4).build())
                    .schedule(Schedule.parse("warmup:1,cosine", 3))
                    .epochs(3).batchSize(50).seed(11).l1(1e-5).l2(1e-4).clipNorm(2)
                    .validation(val).build().fit(train);
            check("classifier", net);
        }
    }

    /** Momentum SGD with Nesterov, value clipping and MSE on a regression with two outputs. */
    @Test
    void regressorRunKeepsItsBits() {
        int rows = 300, cols = 13;
        Random r = new Random(3);
        float[] x = new float[rows * cols], y = new float[rows * 2];
        for (int i = 0; i < rows; i++) {
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += (x[i * cols + j] = (float) r.nextGaussian()) * (j - 6) / 6.0;
            y[2 * i] = (float) Math.sin(sum);
            y[2 * i + 1] = (float) (0.5 * sum);
        }
        Dataset data = new Dataset("synthetic", new FloatTensor(x, 0, Shape.of(rows, cols)),
                new FloatTensor(y, 0, Shape.of(rows, 2)), List.of(), null);
        try (Sequential net = Sequential.builder(cols).seed(5).threads(1)
                .dense(40, Activations.SILU).dense(20, Activations.leakyRelu(0.1)).dense(2, Activations.IDENTITY).build()) {
            Trainer.builder(net, Losses.MSE)
                    .optimizer(Sgd.builder().learningRate(0.05).momentum(0.9).nesterov(true).weightDecay(1e-4).build())
                    .epochs(4).batchSize(32).seed(9).clipValue(0.5).build().fit(data);
            check("regressor", net);
        }
    }

    private static void check(String run, Sequential net) {
        String key = kernelKey();
        String actual = hash(net);
        String expected = GOLDEN.getOrDefault(key, Map.of()).getOrDefault(run, "");
        System.out.println("golden " + run + " on kernels " + key + ": " + actual);
        assertEquals(expected, actual, run + " on " + Kernels.get().description()
                + ": the trained weights changed (or no hash is pinned for these kernels)");
    }

    private static String kernelKey() {
        String d = Kernels.get().description();
        int bit = d.indexOf("-bit");
        if (bit < 0) return "scalar";
        int start = d.lastIndexOf('(', bit) + 1;
        return d.substring(start, bit);
    }

    private static String hash(Sequential net) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Parameter p : net.parameters()) feed(md, p.name(), p.value());
            for (Parameter b : net.buffers()) feed(md, b.name(), b.value());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static void feed(MessageDigest md, String name, Tensor t) {
        md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (int i = 0; i < t.size(); i++) {
            int bits = Float.floatToRawIntBits((float) t.get(i));
            md.update(new byte[]{(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
        }
    }
}
