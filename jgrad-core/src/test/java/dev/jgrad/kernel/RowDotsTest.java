package dev.jgrad.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Kernels#rowDots}: each row of a batch has the bits of gemm's X·Wᵀ on that row alone,
 * on awkward sizes, with one thread and with two; and the values are the product's.
 */
class RowDotsTest {

    @Test
    void everyRowHasTheBitsOfTheOneRowProduct() {
        Kernels k = Kernels.get();
        Random rnd = new Random(3);
        try (Parallel one = Parallel.create(1); Parallel two = Parallel.create(2)) {
            for (int m : new int[]{1, 5, 6, 13, 64, 207}) {
                for (int n : new int[]{1, 3, 10, 16, 33, 130}) {
                    for (int kk : new int[]{1, 7, 8, 61, 784}) {
                        float[] a = new float[m * kk], b = new float[n * kk];
                        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
                        float[] c1 = new float[m * n], c2 = new float[m * n], row = new float[n];
                        k.rowDots(one, m, n, kk, a, 0, kk, b, 0, kk, c1, 0, n);
                        k.rowDots(two, m, n, kk, a, 0, kk, b, 0, kk, c2, 0, n);
                        for (int i = 0; i < m; i++) {
                            k.gemm(one, 1, n, kk, a, i * kk, kk, 1, b, 0, 1, kk, row, 0, n, false);
                            for (int j = 0; j < n; j++) {
                                String at = m + "x" + n + "x" + kk + " at " + i + "," + j;
                                assertEquals(Float.floatToIntBits(row[j]), Float.floatToIntBits(c1[i * n + j]), at);
                                assertEquals(Float.floatToIntBits(row[j]), Float.floatToIntBits(c2[i * n + j]), at);
                                double exact = 0;
                                for (int p = 0; p < kk; p++) exact += (double) a[i * kk + p] * b[j * kk + p];
                                assertEquals(exact, c1[i * n + j], 1e-5 * (1 + Math.sqrt(kk)) * 4, at);
                            }
                        }
                    }
                }
            }
        }
    }
}
