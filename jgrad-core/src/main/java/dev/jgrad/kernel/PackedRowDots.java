package dev.jgrad.kernel;

import jdk.incubator.vector.VectorSpecies;

/**
 * X·Wᵀ for inference over a copy of W laid out for {@link BlockedDots} at 512 bits, packed once
 * when a model is frozen for prediction. One sample reads every weight once, so it is bound by
 * how fast W streams from the caches: row by row, sixteen rows at once make sixteen streams 3 KB
 * apart, while packed, eight rows' vectors lie one after another and W is read as one stream
 * (measured side by side on the first layer's W: 5.3-6.4 µs against 8.3-8.5 µs row by row;
 * two or four streams read at once were no faster than sixteen). A batch reads a group of eight
 * rows as one contiguous stretch (25 KB at k = 784), which stays in L1 while the rows of X pass.
 *
 * <p>Layout: W's rows in groups of eight, padded with rows of zeros to a whole number of pairs
 * of groups. A group holds, for each whole vector t of k, its eight rows' vector t one after
 * another, then its rows' remaining steps of k (k mod 16 each), row after row. Every element of C is the
 * same dot product summed in the same order as {@link FewRowDots} sums it on W as it is, so the
 * bits are those of the one-row product ({@link Kernels#rowDots}).
 */
final class PackedRowDots {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    /** Rows of W per pair of groups, the columns of C one sample's kernel computes at once. */
    static final int G = 16;

    private PackedRowDots() {
    }

    /** W (n × k, rows contiguous from wOff) in the packed layout. */
    static float[] pack(float[] w, int wOff, int n, int k) {
        int groups = (n + G - 1) / G, bound = FS.loopBound(k), tail = k - bound;
        float[] packed = new float[groups * G * k];
        for (int row = 0; row < n; row++) {
            int base = row / 8 * 8 * k, e = row % 8, src = wOff + row * k;
            for (int t = 0; t < bound / L; t++) System.arraycopy(w, src + t * L, packed, base + t * 8 * L + e * L, L);
            System.arraycopy(w, src + bound, packed, base + 8 * bound + e * tail, tail);
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
     * Columns of C of the pairs of groups [g0, g1). A batch takes each group of eight rows of W
     * in turn, which stays in L1 while the rows of A pass four at a time; rows of A left over, a
     * few rows, and a last pair narrower than sixteen columns take the pair at once, one row of
     * A at a time.
     */
    private static void groups(int m, int g0, int g1, int n, int k, float[] a, int aOff, int lda, float[] w, float[] c,
                               int cOff, int ldc) {
        int bound = FS.loopBound(k), tail = k - bound;
        for (int g = g0; g < g1; g++) {
            int base = g * G * k, j = g * G, cols = Math.min(G, n - j);
            int full = cols == G ? m / 4 * 4 : 0;
            for (int h = 0; h < G && full > 0; h += 8) {
                // Group h / 8 of the pair; step p past the whole vectors of its row q at tail0 + q·tail + p.
                int gb = base + h * k, tail0 = gb + 8 * bound - bound;
                for (int i = 0; i < full; i += 4) {
                    for (int s = 0; s < 8; s += 4) {
                        BlockedDots.rows4(k, a, aOff + i * lda, lda, w, gb + s * L, L, 8 * L, tail0 + s * tail, tail,
                                c, cOff + i * ldc + j + h + s, ldc);
                    }
                }
            }
            for (int i = full; i < m; i++) {
                BlockedDots.cols16(k, a, aOff + i * lda, w, base, base + 8 * bound - bound, tail, cols, c,
                        cOff + i * ldc + j);
            }
        }
    }
}
