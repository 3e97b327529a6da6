package dev.jgrad.kernel;

import jdk.incubator.vector.VectorSpecies;

/**
 * X·Wᵀ for inference over a copy of W laid out for {@link BlockedDots} at 512 bits, packed once
 * when a model is frozen for prediction. One sample reads every weight once, so it is bound by
 * how fast W streams from the caches. Sixteen rows read at once, row by row, are sixteen streams
 * 3 KB apart; packed, the sixteen rows' vectors lie one after another, 1 KB per step of the
 * kernel. Measured side by side on the first layer's W (784 × 256), one sample's sixteen-column
 * kernel took 0.70-0.82 of the time row by row, at loads 7-13 (5.3-6.4 against 8.3-8.5 µs at
 * the quietest); four-row blocks, groups of eight and two groups of eight read together were
 * no faster than row by row.
 *
 * <p>Layout: W's rows in groups of sixteen, the last padded with rows of zeros. A group holds,
 * for each whole vector t of k, the sixteen rows' vector t one after another, then the rows'
 * remaining steps of k (k mod 16 each), row after row. Every element of C is the same dot
 * product summed in the same order as {@link FewRowDots} sums it on W as it is, so the bits are
 * those of the one-row product ({@link Kernels#rowDots}).
 */
final class PackedRowDots {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    /** Rows of W per group. */
    static final int G = 16;

    private PackedRowDots() {
    }

    /** W (n × k, rows contiguous from wOff) in the packed layout. */
    static float[] pack(float[] w, int wOff, int n, int k) {
        int groups = (n + G - 1) / G, bound = FS.loopBound(k), tail = k - bound;
        float[] packed = new float[groups * G * k];
        for (int row = 0; row < n; row++) {
            int base = row / G * G * k, e = row % G, src = wOff + row * k;
            for (int t = 0; t < bound / L; t++) System.arraycopy(w, src + t * L, packed, base + t * G * L + e * L, L);
            System.arraycopy(w, src + bound, packed, base + G * bound + e * tail, tail);
        }
        return packed;
    }

    /**
     * C = A·Wᵀ: A m × k (rows lda apart), W n × k packed, C m × n (rows ldc apart). Large
     * products are split over the pool by groups of W's rows (columns of C).
     */
    static void product(Parallel par, int m, int n, int k, float[] a, int aOff, int lda, float[] w, float[] c, int cOff,
                        int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int groups = (n + G - 1) / G;
        int parts = (long) m * n * k < VectorGemm.PARALLEL_WORK / 2 || par.threads() == 1 ? 1
                : Math.min(par.threads() * 2, groups);
        if (parts <= 1) {
            groups(m, 0, groups, n, k, a, aOff, lda, w, c, cOff, ldc);
            return;
        }
        par.run(parts, t -> groups(m, groups * t / parts, groups * (t + 1) / parts, n, k, a, aOff, lda, w, c, cOff, ldc));
    }

    /**
     * Columns of C of the groups [g0, g1). A batch takes eight rows of A at a time (25 KB at
     * k = 784, kept in L1) through the group's four blocks of four rows of W: each block is
     * read from L2 once for both fours of rows of A, the second time from L1. Rows of A left
     * over, a few rows, and a last group narrower than sixteen take the group at once, one row
     * of A at a time.
     */
    private static void groups(int m, int g0, int g1, int n, int k, float[] a, int aOff, int lda, float[] w, float[] c,
                               int cOff, int ldc) {
        int bound = FS.loopBound(k), tail = k - bound;
        for (int g = g0; g < g1; g++) {
            int base = g * G * k, j = g * G, cols = Math.min(G, n - j);
            // Step p past the whole vectors of the group's row q at tail0 + q·tail + p.
            int tail0 = base + G * bound - bound;
            int i = 0;
            if (cols == G) {
                for (; i + 8 <= m; i += 8) {
                    int a0 = aOff + i * lda, c0 = cOff + i * ldc + j;
                    for (int s = 0; s < G; s += 4) {
                        BlockedDots.rows4(k, a, a0, lda, w, base + s * L, L, G * L, tail0 + s * tail, tail, c, c0 + s, ldc);
                        BlockedDots.rows4(k, a, a0 + 4 * lda, lda, w, base + s * L, L, G * L, tail0 + s * tail, tail,
                                c, c0 + 4 * ldc + s, ldc);
                    }
                }
                for (; i + 4 <= m; i += 4) {
                    for (int s = 0; s < G; s += 4) {
                        BlockedDots.rows4(k, a, aOff + i * lda, lda, w, base + s * L, L, G * L, tail0 + s * tail, tail,
                                c, cOff + i * ldc + j + s, ldc);
                    }
                }
            }
            for (; i < m; i++) BlockedDots.cols16(k, a, aOff + i * lda, w, base, tail0, tail, cols, c, cOff + i * ldc + j);
        }
    }
}
