package dev.jgrad.bench;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.kernel.WarmUp;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.util.Arrays;
import java.util.Random;

/**
 * The hidden layers' products of a training step (784-256-128-10 at batch 128) on one thread and
 * on two, in one process: {@code ProductScaling [ROUNDS]} runs each product 200 times a round,
 * alternating the two pools round by round, and prints per product the median µs per call of
 * each pool and their ratio. It shows how a product's parallel split scales, apart from the rest
 * of the step ({@link StepProfile} has the whole step).
 */
public final class ProductScaling {
    private ProductScaling() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        WarmUp.run();
        Random r = new Random(1);
        FloatTensor x = random(r, 128, 784), w1 = random(r, 256, 784), z1 = new FloatTensor(Shape.of(128, 256));
        FloatTensor d1 = random(r, 128, 256), dw1 = new FloatTensor(Shape.of(256, 784));
        FloatTensor h = random(r, 128, 256), w2 = random(r, 128, 256), z2 = new FloatTensor(Shape.of(128, 128));
        FloatTensor d2 = random(r, 128, 128), dw2 = new FloatTensor(Shape.of(128, 256)), dx2 = new FloatTensor(Shape.of(128, 256));
        String[] names = {"layer 1 X.W^T 128x256x784", "layer 1 dW 256x784x128", "layer 2 X.W^T 128x128x256",
                "layer 2 dW 128x256x128", "layer 2 dX 128x256x128"};
        double[][][] t = new double[2][names.length][rounds];
        try (Parallel one = Parallel.create(1); Parallel two = Parallel.create(2)) {
            Parallel[] pools = {one, two};
            for (int round = -3; round < rounds; round++) {   // three rounds to warm up
                for (int p = 0; p < 2; p++) {
                    for (int s = 0; s < names.length; s++) {
                        int n = 200;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < n; i++) {
                            switch (s) {
                                case 0 -> TensorOps.matmulNT(pools[p], x, w1, z1, false);
                                case 1 -> TensorOps.matmulTN(pools[p], d1, x, dw1, false);
                                case 2 -> TensorOps.matmulNT(pools[p], h, w2, z2, false);
                                case 3 -> TensorOps.matmulTN(pools[p], d2, h, dw2, false);
                                default -> TensorOps.matmulNN(pools[p], d2, w2, dx2, false);
                            }
                        }
                        if (round >= 0) t[p][s][round] = (System.nanoTime() - t0) / 1e3 / n;
                    }
                }
            }
        }
        System.out.println(Machine.describe());
        for (int s = 0; s < names.length; s++) {
            double a = median(t[0][s]), b = median(t[1][s]);
            System.out.printf("%-28s 1 thread %7.1f us   2 threads %7.1f us   x%.2f%n", names[s], a, b, a / b);
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static FloatTensor random(Random r, int rows, int cols) {
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) f[i] = r.nextFloat() - 0.5f;
        return new FloatTensor(f, 0, Shape.of(rows, cols));
    }
}
