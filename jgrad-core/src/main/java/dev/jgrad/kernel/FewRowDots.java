package dev.jgrad.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorGemm}'s path for a few rows of A against a transposed B (X·Wᵀ on a batch of
 * fewer than six rows, as a short last batch of an epoch): dot products straight from the
 * contiguous rows of A and W, which beats packing all of W for so little use. Each element of C is one dot product, summed the same way whichever part of the
 * columns holds it: vector accumulators over the whole vectors of k, their lanes in lane order,
 * then the remaining steps of k in order.
 */
final class FewRowDots {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;

    private FewRowDots() {
    }

    /**
     * C[i, j] (+)= Σ_p A[i, p]·B[j, p] for columns j0 ≤ j < n, both rows contiguous in p. Where
     * {@link BlockedDots} serves (512 bits, C overwritten): rows in fours by blocks of four
     * columns; the rest four columns at a time, then one.
     * {@code lanes} holds one vector's lanes while they are summed.
     */
    static void product(int m, int j0, int n, int k, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                        float[] c, int cOff, int ldc, boolean accumulate, float[] lanes) {
        int i = 0;
        if (BlockedDots.AVAILABLE && !accumulate) {
            for (; i + 4 <= m; i += 4) {
                int ai = aOff + i * aRs, ci = cOff + i * ldc;
                int j = j0;
                for (; j + 4 <= n; j += 4) {
                    int bj = bOff + j * bCs;
                    BlockedDots.rows4(k, a, ai, aRs, b, bj, bCs, L, bj, bCs, c, ci + j, ldc);
                }
                for (; j < n; j++) {
                    for (int r = 0; r < 4; r++) one(k, a, ai + r * aRs, b, bOff + j * bCs, c, ci + r * ldc + j, false, lanes);
                }
            }
        }
        for (; i < m; i++) {
            int ai = aOff + i * aRs, ci = cOff + i * ldc;
            int j = j0;
            for (; j + 4 <= n; j += 4) four(k, a, ai, b, bOff + j * bCs, bCs, c, ci + j, accumulate, lanes);
            for (; j < n; j++) one(k, a, ai, b, bOff + j * bCs, c, ci + j, accumulate, lanes);
        }
    }

    /** C[ci .. ci+3] (+)= the dot products of A's row at ai with the four rows of B from b0. */
    private static void four(int k, float[] a, int ai, float[] b, int b0, int bCs, float[] c, int ci,
                             boolean accumulate, float[] lanes) {
        int bound = FS.loopBound(k);
        int b1 = b0 + bCs, b2 = b1 + bCs, b3 = b2 + bCs;
        FloatVector s0 = FloatVector.zero(FS), s1 = FloatVector.zero(FS), s2 = FloatVector.zero(FS), s3 = FloatVector.zero(FS);
        int p = 0;
        for (; p < bound; p += L) {
            FloatVector x = FloatVector.fromArray(FS, a, ai + p);
            s0 = x.fma(FloatVector.fromArray(FS, b, b0 + p), s0);
            s1 = x.fma(FloatVector.fromArray(FS, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(FS, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(FS, b, b3 + p), s3);
        }
        float d0 = sum(s0, lanes), d1 = sum(s1, lanes), d2 = sum(s2, lanes), d3 = sum(s3, lanes);
        for (; p < k; p++) {
            float x = a[ai + p];
            d0 = Math.fma(x, b[b0 + p], d0);
            d1 = Math.fma(x, b[b1 + p], d1);
            d2 = Math.fma(x, b[b2 + p], d2);
            d3 = Math.fma(x, b[b3 + p], d3);
        }
        c[ci] = accumulate ? c[ci] + d0 : d0;
        c[ci + 1] = accumulate ? c[ci + 1] + d1 : d1;
        c[ci + 2] = accumulate ? c[ci + 2] + d2 : d2;
        c[ci + 3] = accumulate ? c[ci + 3] + d3 : d3;
    }

    /** C[ci] (+)= the dot product of A's row at ai with B's row at bj. */
    private static void one(int k, float[] a, int ai, float[] b, int bj, float[] c, int ci, boolean accumulate,
                            float[] lanes) {
        int bound = FS.loopBound(k);
        FloatVector s0 = FloatVector.zero(FS);
        int p = 0;
        for (; p < bound; p += L) s0 = FloatVector.fromArray(FS, a, ai + p).fma(FloatVector.fromArray(FS, b, bj + p), s0);
        float d0 = sum(s0, lanes);
        for (; p < k; p++) d0 = Math.fma(a[ai + p], b[bj + p], d0);
        c[ci] = accumulate ? c[ci] + d0 : d0;
    }

    /**
     * The lanes of v summed in lane order. reduceLanes may add in any order, and does differ
     * between interpreted and compiled code, which would make results depend on JIT timing.
     */
    private static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0;
        for (int i = 0; i < L; i++) s += lanes[i];
        return s;
    }
}
