package dev.jgrad.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Kernels#rowDots} and the few-row gemm against a scalar model of the order every element
 * of C is summed in, written here independently of the kernels: for the vector kernels, one
 * accumulator per lane over the whole vectors of k (fused multiply-adds), the lanes added to 0 in
 * lane order, then the steps of k past the last whole vector with fused multiply-adds; for the
 * scalar kernels, one sum in order of k. Bit for bit, on every remainder of the kernels' blocks
 * (rows 1-9 against blocks of four, columns 1-36 against blocks of four, eight and sixteen, k
 * around multiples of every width), with one thread and with two, on W as it is and on W packed
 * for inference where the kernels pack it, so that a blocking or layout bug (a wrong lane, row,
 * column or step of k) cannot pass.
 */
class RowDotsOrderTest {
    private static final boolean VECTOR = !(Kernels.get() instanceof ScalarKernels);

    /** C[i, j] as the documented order computes it. */
    private static float model(float[] a, int ai, float[] b, int bj, int k) {
        if (!VECTOR) {
            float acc = 0;
            for (int p = 0; p < k; p++) acc += a[ai + p] * b[bj + p];
            return acc;
        }
        int lanes = VectorWidth.L, whole = k / lanes * lanes;
        float[] acc = new float[lanes];
        for (int p = 0; p < whole; p++) acc[p % lanes] = Math.fma(a[ai + p], b[bj + p], acc[p % lanes]);
        float s = 0;
        for (int l = 0; l < lanes; l++) s += acc[l];
        for (int p = whole; p < k; p++) s = Math.fma(a[ai + p], b[bj + p], s);
        return s;
    }

    @Test
    void everyElementIsSummedInTheDocumentedOrder() {
        Kernels kern = Kernels.get();
        Random rnd = new Random(11);
        int[] ms = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13};
        int[] ks = {1, 3, 4, 5, 8, 15, 16, 17, 31, 33, 48, 63, 65, 100};
        try (Parallel one = Parallel.create(1); Parallel two = Parallel.create(2)) {
            for (int m : ms) {
                for (int n = 1; n <= 36; n++) {
                    for (int k : ks) check(kern, one, two, rnd, m, n, k);
                }
            }
            // The MLP's shapes and a batch large enough to be split over the pool.
            check(kern, one, two, rnd, 1, 256, 784);
            check(kern, one, two, rnd, 7, 130, 256);
            check(kern, one, two, rnd, 131, 37, 129);
        }
    }

    private static void check(Kernels kern, Parallel one, Parallel two, Random rnd, int m, int n, int k) {
        // Rows of A and B with gaps between them, and C at an offset: strides and offsets are
        // part of what a block gets wrong.
        int lda = k + 3, ldb = k + 5, ldc = n + 2, aOff = 7, bOff = 2, cOff = 5;
        float[] a = new float[aOff + m * lda], b = new float[bOff + n * ldb];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        // Zeros of both signs: the lane sum starts from +0, so a sum of -0 lanes is +0.
        if (k > 2) {
            a[aOff] = -0f;
            b[bOff + 1] = -0f;
        }
        float[] c1 = new float[cOff + m * ldc + 3], c2 = c1.clone(), cg = c1.clone();
        java.util.Arrays.fill(c1, Float.NaN);
        java.util.Arrays.fill(c2, Float.NaN);
        java.util.Arrays.fill(cg, Float.NaN);
        kern.rowDots(one, m, n, k, a, aOff, lda, b, bOff, ldb, c1, cOff, ldc);
        kern.rowDots(two, m, n, k, a, aOff, lda, b, bOff, ldb, c2, cOff, ldc);
        boolean fewRows = m < 6;
        if (fewRows) kern.gemm(one, m, n, k, a, aOff, lda, 1, b, bOff, 1, ldb, cg, cOff, ldc, false);
        // W packed for inference (where the kernels pack), C's rows n apart.
        float[] w = new float[n * k];
        for (int j = 0; j < n; j++) System.arraycopy(b, bOff + j * ldb, w, j * k, k);
        float[] packed = kern.packForRowDots(w, 0, n, k);
        float[] cp1 = new float[cOff + m * n + 3], cp2 = cp1.clone();
        java.util.Arrays.fill(cp1, Float.NaN);
        java.util.Arrays.fill(cp2, Float.NaN);
        if (packed != null) {
            kern.rowDotsPacked(one, m, n, k, a, aOff, lda, packed, cp1, cOff);
            kern.rowDotsPacked(two, m, n, k, a, aOff, lda, packed, cp2, cOff);
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int at = cOff + i * ldc + j;
                int want = Float.floatToRawIntBits(model(a, aOff + i * lda, b, bOff + j * ldb, k));
                String where = m + "x" + n + "x" + k + " at " + i + "," + j;
                assertEquals(want, Float.floatToRawIntBits(c1[at]), where + ", one thread");
                assertEquals(want, Float.floatToRawIntBits(c2[at]), where + ", two threads");
                if (fewRows) assertEquals(want, Float.floatToRawIntBits(cg[at]), where + ", gemm");
                if (packed != null) {
                    assertEquals(want, Float.floatToRawIntBits(cp1[cOff + i * n + j]), where + ", packed, one thread");
                    assertEquals(want, Float.floatToRawIntBits(cp2[cOff + i * n + j]), where + ", packed, two threads");
                }
            }
        }
        // Nothing outside C is written: the gaps between its rows and the ends keep their NaN.
        for (int at = 0; at < c1.length; at++) {
            int off = at - cOff;
            boolean inside = off >= 0 && off < m * ldc && off % ldc < n;
            if (!inside) assertEquals(Float.NaN, c1[at], "written outside C at " + at + " (" + m + "x" + n + "x" + k + ")");
        }
        for (int at = 0; at < cp1.length; at++) {
            boolean inside = at >= cOff && at < cOff + m * n;
            if (!inside) assertEquals(Float.NaN, cp1[at], "packed: written outside C at " + at + " (" + m + "x" + n + "x" + k + ")");
        }
    }
}
