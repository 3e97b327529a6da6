package dev.jgrad.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The products of a training step at batch sizes around 128, where a parallel product packs A on
 * all threads and then splits whole column panels: the same bits on one, two and three threads,
 * and the reference's values, in every layout, written and accumulated.
 */
class FewRowSplitTest {

    @Test
    void trainingProductsDoNotDependOnThreadCount() {
        int[][] shapes = {
                {128, 256, 784}, {256, 784, 128}, {128, 128, 256}, {128, 256, 128}, {128, 784, 256},
                {127, 256, 784}, {130, 200, 300}, {64, 1000, 500}, {7, 300, 700}};
        Kernels vec = Kernels.get(), ref = Kernels.scalar();
        try (Parallel one = Parallel.create(1); Parallel two = Parallel.create(2); Parallel three = Parallel.create(3)) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = KernelsTest.random(m * k, m), b = KernelsTest.random(k * n, n), c0 = KernelsTest.random(m * n, k);
                for (int layout = 0; layout < 3; layout++) {
                    for (boolean acc : new boolean[]{false, true}) {
                        String what = m + "x" + n + "x" + k + " layout " + layout + " acc " + acc;
                        float[] want = c0.clone(), c1 = c0.clone(), c2 = c0.clone(), c3 = c0.clone();
                        KernelsTest.run(ref, one, layout, m, n, k, a, b, want, acc);
                        KernelsTest.run(vec, one, layout, m, n, k, a, b, c1, acc);
                        KernelsTest.run(vec, two, layout, m, n, k, a, b, c2, acc);
                        KernelsTest.run(vec, three, layout, m, n, k, a, b, c3, acc);
                        assertArrayEquals(c1, c2, what + ", two threads");
                        assertArrayEquals(c1, c3, what + ", three threads");
                        for (int i = 0; i < want.length; i++) assertEquals(want[i], c1[i], 4e-7f * (k + 4), what + " at " + i);
                    }
                }
            }
        }
    }
}
