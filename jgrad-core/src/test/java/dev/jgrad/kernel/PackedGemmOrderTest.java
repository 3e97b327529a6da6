package dev.jgrad.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Kernels#gemmPackedNT} over W packed by {@link Kernels#packTransposed}, against a scalar
 * model of the order {@link Kernels#gemm} sums every element of X·Wᵀ in, written here
 * independently of the kernels. For the Vector API kernels: k split into blocks of
 * {@link VectorGemm#blockDepth} steps, each block a chain of fused multiply-adds from zero in
 * order of k, the first block's sum stored and each later one added to it; where the GEMM
 * computes a layer narrower than a panel as dot products of rows (eight lanes), one accumulator
 * per lane over the whole vectors of k, the lanes added pairwise, then the rest of k with fused
 * multiply-adds. For the scalar kernels, one sum in order of k. Bit for bit, for every row of
 * batches of 1-9 and 13 rows at widths on both sides of a panel and of four panels, of every
 * batch from 1 to 300 rows (each remainder of every tile height {@link PackedGemm} uses) at
 * three widths, k with one and two blocks, one thread and two; and equal to
 * {@link Kernels#gemm} itself from six rows on. So a row has the same bits in any batch, and a
 * tiling, layout or split bug (a wrong row, column, panel or step of k) cannot pass.
 */
class PackedGemmOrderTest {
    private static final boolean VECTOR = !(Kernels.get() instanceof ScalarKernels);
    private static final int NR = GemmMicroKernels.NR;

    /** C[i, j] as the documented order computes it, for an output n wide. */
    private static float model(float[] a, int ai, float[] b, int bj, int n, int k) {
        if (!VECTOR) {
            float acc = 0;
            for (int p = 0; p < k; p++) acc += a[ai + p] * b[bj + p];
            return acc;
        }
        int lanes = VectorWidth.L;
        if (lanes == 8 && n < NR && k >= 2 * lanes) {
            int whole = k / lanes * lanes;
            float[] acc = new float[lanes];
            for (int p = 0; p < whole; p++) acc[p % lanes] = Math.fma(a[ai + p], b[bj + p], acc[p % lanes]);
            float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
            for (int p = whole; p < k; p++) s = Math.fma(a[ai + p], b[bj + p], s);
            return s;
        }
        int kc = VectorGemm.blockDepth(k);
        float c = 0;
        for (int pc = 0; pc < k; pc += kc) {
            float s = 0;
            for (int p = pc; p < Math.min(k, pc + kc); p++) s = Math.fma(a[ai + p], b[bj + p], s);
            c = pc == 0 ? s : c + s;
        }
        return c;
    }

    @Test
    void everyElementIsSummedInTheGemmsOrder() {
        Kernels kern = Kernels.get();
        Random rnd = new Random(11);
        int[] ms = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13};
        int[] ks = {1, 3, 15, 16, 17, 33, 65, 100};
        int[] wide = {NR - 1, NR, NR + 1, 2 * NR + 5, 4 * NR, 4 * NR + 3, 5 * NR + 1};
        try (Parallel one = Parallel.create(1); Parallel two = Parallel.create(2)) {
            for (int m : ms) {
                for (int k : ks) {
                    for (int n = 1; n <= 36; n++) check(kern, one, two, rnd, m, n, k);
                    for (int n : wide) check(kern, one, two, rnd, m, n, k);
                }
            }
            // Two blocks of k (and the MLP's first layer), on both sides of a panel.
            for (int m : new int[]{1, 2, 6, 7, 13}) {
                for (int k : new int[]{401, 784, 803}) {
                    for (int n : new int[]{10, NR + 3, 4 * NR + 3, 8 * NR}) check(kern, one, two, rnd, m, n, k);
                }
            }
            // Every batch from 1 to 300 rows: each remainder of the tiles (six rows for whole
            // panels, eight for a partial panel of at most a vector, four for a wider one),
            // on the calling thread and, from about fifty rows on, split over two.
            for (int m = 1; m <= 300; m++) {
                check(kern, one, two, rnd, m, 2 * NR + 3, 37);
                check(kern, one, two, rnd, m, NR + VectorWidth.L + 3, 29);
                check(kern, one, two, rnd, m, 10, 40);
            }
            // Products large enough to be split over the pool: one row, a batch, the MLP's shapes.
            check(kern, one, two, rnd, 1, 256, 784);
            check(kern, one, two, rnd, 131, 37, 129);
            check(kern, one, two, rnd, 128, 256, 784);
            check(kern, one, two, rnd, 128, 10, 128);
        }
    }

    private static void check(Kernels kern, Parallel one, Parallel two, Random rnd, int m, int n, int k) {
        // Rows of A with gaps between them, W at an offset, C's rows with gaps: strides and
        // offsets are part of what a tile gets wrong.
        int lda = k + 3, ldc = n + 2, aOff = 7, wOff = 2, cOff = 5;
        float[] a = new float[aOff + m * lda], w = new float[wOff + n * k];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        // Zeros of both signs: the chains start from +0, so a first product of -0 gives +0.
        if (k > 2) {
            a[aOff] = -0f;
            w[wOff + 1] = -0f;
        }
        float[] packed = kern.packTransposed(w, wOff, n, k);
        float[] c1 = new float[cOff + m * ldc + 3], c2 = c1.clone(), cg = c1.clone();
        java.util.Arrays.fill(c1, Float.NaN);
        java.util.Arrays.fill(c2, Float.NaN);
        kern.gemmPackedNT(one, m, n, k, a, aOff, lda, packed, c1, cOff, ldc);
        kern.gemmPackedNT(two, m, n, k, a, aOff, lda, packed, c2, cOff, ldc);
        // From six rows on (always, for the scalar kernels) the GEMM itself sums in this order.
        boolean gemm = m >= 6 || !VECTOR;
        if (gemm) kern.gemm(two, m, n, k, a, aOff, lda, 1, w, wOff, 1, k, cg, cOff, ldc, false);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int at = cOff + i * ldc + j;
                int want = Float.floatToRawIntBits(model(a, aOff + i * lda, w, wOff + j * k, n, k));
                String where = m + "x" + n + "x" + k + " at " + i + "," + j;
                assertEquals(want, Float.floatToRawIntBits(c1[at]), where + ", one thread");
                assertEquals(want, Float.floatToRawIntBits(c2[at]), where + ", two threads");
                if (gemm) assertEquals(want, Float.floatToRawIntBits(cg[at]), where + ", gemm");
            }
        }
        // Nothing outside C is written: the gaps between its rows and the ends keep their NaN.
        for (int at = 0; at < c1.length; at++) {
            int off = at - cOff;
            boolean inside = off >= 0 && off < m * ldc && off % ldc < n;
            if (!inside) {
                assertEquals(Float.NaN, c1[at], "written outside C at " + at + " (" + m + "x" + n + "x" + k + ")");
                assertEquals(Float.NaN, c2[at], "two threads: written outside C at " + at + " (" + m + "x" + n + "x" + k + ")");
            }
        }
    }
}
