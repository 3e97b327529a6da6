package dev.jgrad.bench;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.infer.Predictor;
import dev.jgrad.kernel.FloatExp;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The small stages of a batch of 128 through the Fashion-MNIST MLP (784-256-128-10, ReLU,
 * softmax) on one thread, each timed alone through its public call, beside the whole
 * {@code Predictor} call: the classifier's product (128×10×128 over W packed once), the input's
 * non-finite check (128 × 784), softmax with its bias (128 × 10 and 1 × 10), and the predictor
 * on 128 rows and on one. Median µs per call over 21 rounds, three times over.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp jgrad-bench.jar dev.jgrad.bench.InferenceStages}.
 */
public final class InferenceStages {
    private static final int ROUNDS = 21;

    private InferenceStages() {
    }

    public static void main(String[] args) {
        System.out.println(Machine.describe() + "; " + FloatExp.get().description());
        SplittableRandom rnd = new SplittableRandom(1);
        FloatTensor z = new FloatTensor(Shape.of(128, 10)), y = new FloatTensor(Shape.of(128, 10));
        FloatTensor z1 = new FloatTensor(Shape.of(1, 10)), y1 = new FloatTensor(Shape.of(1, 10));
        FloatTensor b = new FloatTensor(Shape.of(1, 10));
        for (int i = 0; i < z.size(); i++) z.set(i, rnd.nextGaussian() * 4);
        for (int i = 0; i < z1.size(); i++) z1.set(i, rnd.nextGaussian() * 4);
        try (Parallel par = Parallel.create(1);
             Sequential net = Sequential.builder(784).parallel(par).dense(256, Activations.RELU).dense(128, Activations.RELU)
                     .dense(10, Activations.SOFTMAX).seed(1).build()) {
            Predictor p = InferenceModel.of(net).predictor();
            float[] x = new float[128 * 784], out = new float[128 * 10];
            for (int i = 0; i < x.length; i++) x[i] = (i * 31 % 255) / 255f;
            float[] h = new float[128 * 128], c = new float[128 * 10];
            float[] w = TensorOps.packTransposed(new float[10 * 128], 10, 128);
            for (int i = 0; i < h.length; i++) h[i] = (i % 7) / 7f;
            for (int rep = 0; rep < 3; rep++) {
                double product = time(() -> TensorOps.matmulPackedNT(par, 128, 10, 128, h, 0, w, c, 0), 2000);
                double check = time(() -> TensorOps.firstNonFinite(x, 0, x.length), 2000);
                double softmax = time(() -> Activations.SOFTMAX.forwardWithBias(z, b, y), 2000);
                double softmax1 = time(() -> Activations.SOFTMAX.forwardWithBias(z1, b, y1), 100_000);
                double batch = time(() -> p.predict(x, 0, 128, out, 0), 100);
                double one = time(() -> p.predict(x, 0, 1, out, 0), 5000);
                System.out.printf(Locale.ROOT, "classifier product %.2f us, input check %.2f us; softmax+bias 128x10 %.2f us,"
                        + " 1x10 %.3f us; predictor 128 %.1f us, 1 %.2f us%n", product, check, softmax, softmax1, batch, one);
            }
        }
    }

    /** Median µs per call over {@link #ROUNDS} rounds of {@code reps} calls, after 2,000 untimed ones. */
    private static double time(Runnable r, int reps) {
        for (int i = 0; i < 2000; i++) r.run();
        double[] t = new double[ROUNDS];
        for (int k = 0; k < ROUNDS; k++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) r.run();
            t[k] = (System.nanoTime() - t0) / 1e3 / reps;
        }
        Arrays.sort(t);
        return t[ROUNDS / 2];
    }
}
