package dev.jgrad.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The packing of {@link VectorGemm}: A into zero-padded panels of MR rows and B into panels of
 * NR columns, both k-major, so the micro-kernels ({@link GemmMicroKernels}) read each as one
 * contiguous stream whatever the layout it was stored in. Row-major A and transposed B (Wᵀ of
 * the forward pass) are turned with 8 × 8 transposes in registers of eight lanes wherever
 * vectors have at least eight (on AVX-512 too: the 256-bit halves of its registers); the other
 * layouts are copied a vector or a value at a time. Packing moves values and
 * never sums them, so the bits of a product do not depend on which path packed it.
 */
final class GemmPacking {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    private static final int MR = GemmMicroKernels.MR;
    private static final int NR = GemmMicroKernels.NR;
    /**
     * The eight lanes the transposes work in: 256 bits whenever the chosen width is at least
     * that, so 512-bit machines transpose as fast as AVX2 ones (their packing of Wᵀ ran one value
     * at a time before, and X·Wᵀ reached 0.82 of OpenBLAS); null below 256 bits.
     */
    private static final VectorSpecies<Float> S8 = L >= 8 ? FloatVector.SPECIES_256 : null;
    /** Whether the 8 × 8 transposes are used. */
    static final boolean TRANSPOSE8 = S8 != null;

    private GemmPacking() {
    }

    /** Packs kc × nc of B into panels of NR columns: panel at column jr starts at at + jr*kc, row p at +p*NR. */
    static void packB(float[] b, int base, int bRs, int bCs, int kc, int nc, float[] bp, int at) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int dst = at + jr * kc;
            if (bCs == 1 && nr == NR) {
                for (int p = 0, src = base + jr, d = dst; p < kc; p++, src += bRs, d += NR) {
                    FloatVector.fromArray(FS, b, src).intoArray(bp, d);
                    FloatVector.fromArray(FS, b, src + L).intoArray(bp, d + L);
                }
            } else if (bRs == 1 && nr == NR && TRANSPOSE8) {
                transposePanel8(b, base + jr * bCs, bCs, kc, bp, dst);
            } else if (bRs == 1) {
                // B is a transposed row-major matrix (the X·Wᵀ case): each column is contiguous.
                for (int jj = 0; jj < NR; jj++) {
                    if (jj < nr) {
                        int src = base + (jr + jj) * bCs;
                        for (int p = 0; p < kc; p++) bp[dst + p * NR + jj] = b[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) bp[dst + p * NR + jj] = 0f;
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = base + p * bRs + jr * bCs;
                    for (int jj = 0; jj < NR; jj++) bp[dst + p * NR + jj] = jj < nr ? b[src + jj * bCs] : 0f;
                }
            }
        }
    }

    // An 8 × 8 transpose as three rounds of 2 × 2 block swaps (blocks of 1, 2, then 4 lanes): each
    // pair of rows trades blocks through one single-input permute and one blend per output row.
    // One permute per round (swap neighbouring blocks) serves both rows of a pair. Two-input
    // rearranges did the same in 24 steps of two permutes and a blend each, a third slower.
    static final VectorShuffle<Float> SWAP1 = shuffle8(1, 0, 3, 2, 5, 4, 7, 6),
            SWAP2 = shuffle8(2, 3, 0, 1, 6, 7, 4, 5), SWAP4 = shuffle8(4, 5, 6, 7, 0, 1, 2, 3);
    static final VectorMask<Float> ODD1 = mask8(0b10101010), ODD2 = mask8(0b11001100),
            ODD4 = mask8(0b11110000);

    private static VectorShuffle<Float> shuffle8(int... lanes) {
        return L >= 8 ? FloatVector.SPECIES_256.shuffleFromArray(lanes, 0) : null;
    }

    private static VectorMask<Float> mask8(int bits) {
        if (L < 8) return null;
        boolean[] set = new boolean[8];
        for (int i = 0; i < 8; i++) set[i] = (bits >> i & 1) != 0;
        return VectorMask.fromArray(FloatVector.SPECIES_256, set, 0);
    }

    /**
     * A full panel of transposed B, in vectors of eight lanes: NR stored rows (contiguous in k)
     * become kc rows of NR, eight rows by eight steps of k at a time, transposed in registers.
     */
    private static void transposePanel8(float[] b, int src, int bCs, int kc, float[] bp, int dst) {
        // Eight stored rows at a time along the whole block: eight streams for the prefetcher
        // rather than NR (measured 15 % faster).
        int kc8 = kc & ~7;
        for (int jj = 0; jj < NR; jj += 8) transpose8(b, src + jj * bCs, bCs, kc8, bp, dst + jj, NR);
        for (int p = kc8; p < kc; p++) {
            for (int jj = 0; jj < NR; jj++) bp[dst + p * NR + jj] = b[src + jj * bCs + p];
        }
    }

    /**
     * Eight rows of x (row r at src + r·stride, contiguous in p) for steps p < kc8 (a multiple
     * of eight) into out, step p's eight values at dst + p·outStride.
     */
    private static void transpose8(float[] x, int src, int stride, int kc8, float[] out, int dst, int outStride) {
        for (int p = 0; p < kc8; p += 8) {
            int s = src + p;
            FloatVector r0 = FloatVector.fromArray(S8, x, s), r1 = FloatVector.fromArray(S8, x, s + stride);
            FloatVector r2 = FloatVector.fromArray(S8, x, s + 2 * stride), r3 = FloatVector.fromArray(S8, x, s + 3 * stride);
            FloatVector r4 = FloatVector.fromArray(S8, x, s + 4 * stride), r5 = FloatVector.fromArray(S8, x, s + 5 * stride);
            FloatVector r6 = FloatVector.fromArray(S8, x, s + 6 * stride), r7 = FloatVector.fromArray(S8, x, s + 7 * stride);
            // Rows (0,1) (2,3) (4,5) (6,7) swap single lanes.
            FloatVector t0 = r0.blend(r1.rearrange(SWAP1), ODD1), t1 = r0.rearrange(SWAP1).blend(r1, ODD1);
            FloatVector t2 = r2.blend(r3.rearrange(SWAP1), ODD1), t3 = r2.rearrange(SWAP1).blend(r3, ODD1);
            FloatVector t4 = r4.blend(r5.rearrange(SWAP1), ODD1), t5 = r4.rearrange(SWAP1).blend(r5, ODD1);
            FloatVector t6 = r6.blend(r7.rearrange(SWAP1), ODD1), t7 = r6.rearrange(SWAP1).blend(r7, ODD1);
            // Rows (0,2) (1,3) (4,6) (5,7) swap pairs of lanes.
            FloatVector u0 = t0.blend(t2.rearrange(SWAP2), ODD2), u2 = t0.rearrange(SWAP2).blend(t2, ODD2);
            FloatVector u1 = t1.blend(t3.rearrange(SWAP2), ODD2), u3 = t1.rearrange(SWAP2).blend(t3, ODD2);
            FloatVector u4 = t4.blend(t6.rearrange(SWAP2), ODD2), u6 = t4.rearrange(SWAP2).blend(t6, ODD2);
            FloatVector u5 = t5.blend(t7.rearrange(SWAP2), ODD2), u7 = t5.rearrange(SWAP2).blend(t7, ODD2);
            // Rows (0,4) (1,5) (2,6) (3,7) swap halves, straight into place.
            int d = dst + p * outStride;
            u0.blend(u4.rearrange(SWAP4), ODD4).intoArray(out, d);
            u1.blend(u5.rearrange(SWAP4), ODD4).intoArray(out, d + outStride);
            u2.blend(u6.rearrange(SWAP4), ODD4).intoArray(out, d + 2 * outStride);
            u3.blend(u7.rearrange(SWAP4), ODD4).intoArray(out, d + 3 * outStride);
            u0.rearrange(SWAP4).blend(u4, ODD4).intoArray(out, d + 4 * outStride);
            u1.rearrange(SWAP4).blend(u5, ODD4).intoArray(out, d + 5 * outStride);
            u2.rearrange(SWAP4).blend(u6, ODD4).intoArray(out, d + 6 * outStride);
            u3.rearrange(SWAP4).blend(u7, ODD4).intoArray(out, d + 7 * outStride);
        }
    }

    /**
     * Packs m × kc of a transposed A (element (i, p) at base + i + p·aCs) into zero-padded
     * panels of MR rows at dst: panel at row ir starts at dst + ir·kc, step p at +p·MR. It walks
     * the stored rows (contiguous in i) and deals MR values at a time to each panel, where a
     * panel-at-a-time walk would read one cache line per MR values. A panel's MR values of one
     * step are contiguous at both ends, so they go as one vector of L ≥ MR lanes; the extra lanes
     * land on the panel's next steps, which are written after them, so the last steps of the
     * block (where they would land on the next panel) go one value at a time.
     */
    static void packTransposedA(float[] a, int base, int aCs, int m, int kc, float[] ap, int dst) {
        int full = m / MR * MR;
        int vectorSteps = L >= MR ? kc - (L - 1) / MR : 0;
        int vectorRows = Math.min(full, m - L + 1);
        for (int p = 0; p < kc; p++) {
            int src = base + p * aCs, d = dst + p * MR, ir = 0;
            if (p < vectorSteps) {
                for (; ir < vectorRows; ir += MR, d += MR * kc) FloatVector.fromArray(FS, a, src + ir).intoArray(ap, d);
            }
            for (; ir < full; ir += MR, d += MR * kc) {
                ap[d] = a[src + ir];
                ap[d + 1] = a[src + ir + 1];
                ap[d + 2] = a[src + ir + 2];
                ap[d + 3] = a[src + ir + 3];
                ap[d + 4] = a[src + ir + 4];
                ap[d + 5] = a[src + ir + 5];
            }
            if (full < m) {
                // Two loops rather than one with a test per value: C2 hoisted the range check of
                // a[src + full + ii] for all MR values out of the loop, which failed on the last
                // rows of a tightly sized A (the real Δ), and sent the method back to the
                // interpreter and to C2 again once training started.
                int ii = 0;
                for (; ii < m - full; ii++) ap[d + ii] = a[src + full + ii];
                for (; ii < MR; ii++) ap[d + ii] = 0f;
            }
        }
    }

    /** Packs mc × kc of A into panels of MR rows, zero-padded: panel at row ir starts at at + ir*kc, step p at +p*MR. */
    static void packA(float[] a, int base, int aRs, int aCs, int mc, int kc, float[] ap, int at) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = at + ir * kc;
            if (mr == MR && aCs == 1 && TRANSPOSE8) {
                transposeRows6(a, base + ir * aRs, aRs, kc, ap, dst);
                continue;
            }
            if (mr == MR) {
                // Full panels: the six rows read side by side. Every index is linear in the one
                // counter, so C2 checks the bounds once, not per element.
                int s0 = base + ir * aRs;
                for (int p = 0; p < kc; p++) {
                    int src = s0 + p * aCs, d = dst + MR * p;
                    ap[d] = a[src];
                    ap[d + 1] = a[src + aRs];
                    ap[d + 2] = a[src + 2 * aRs];
                    ap[d + 3] = a[src + 3 * aRs];
                    ap[d + 4] = a[src + 4 * aRs];
                    ap[d + 5] = a[src + 5 * aRs];
                }
                continue;
            }
            for (int p = 0; p < kc; p++) {
                int src = base + p * aCs + ir * aRs;
                for (int ii = 0; ii < MR; ii++) ap[dst + p * MR + ii] = ii < mr ? a[src + ii * aRs] : 0f;
            }
        }
    }

    private static final VectorMask<Float> FIRST6 = TRANSPOSE8 ? S8.indexInRange(0, 6) : null;

    /**
     * A full panel of six rows of row-major A, in vectors of eight lanes: six rows of kc steps become kc steps of six
     * values, eight steps at a time transposed in registers as in {@link #transposePanel8} (two
     * rows of zeros make the eighth). Step p's eight lanes are stored at 6p; the two extra lanes
     * land on step p + 1's place and are overwritten by it, except after the panel's last step,
     * where only six are stored.
     */
    private static void transposeRows6(float[] a, int src, int aRs, int kc, float[] ap, int dst) {
        int kc8 = kc & ~7;
        FloatVector zero = FloatVector.zero(S8);
        for (int p = 0; p < kc8; p += 8) {
            int s = src + p;
            FloatVector r0 = FloatVector.fromArray(S8, a, s), r1 = FloatVector.fromArray(S8, a, s + aRs);
            FloatVector r2 = FloatVector.fromArray(S8, a, s + 2 * aRs), r3 = FloatVector.fromArray(S8, a, s + 3 * aRs);
            FloatVector r4 = FloatVector.fromArray(S8, a, s + 4 * aRs), r5 = FloatVector.fromArray(S8, a, s + 5 * aRs);
            FloatVector t0 = r0.blend(r1.rearrange(SWAP1), ODD1), t1 = r0.rearrange(SWAP1).blend(r1, ODD1);
            FloatVector t2 = r2.blend(r3.rearrange(SWAP1), ODD1), t3 = r2.rearrange(SWAP1).blend(r3, ODD1);
            FloatVector t4 = r4.blend(r5.rearrange(SWAP1), ODD1), t5 = r4.rearrange(SWAP1).blend(r5, ODD1);
            FloatVector u0 = t0.blend(t2.rearrange(SWAP2), ODD2), u2 = t0.rearrange(SWAP2).blend(t2, ODD2);
            FloatVector u1 = t1.blend(t3.rearrange(SWAP2), ODD2), u3 = t1.rearrange(SWAP2).blend(t3, ODD2);
            FloatVector u4 = t4.blend(zero, ODD2), u6 = t4.rearrange(SWAP2).blend(zero, ODD2);
            FloatVector u5 = t5.blend(zero, ODD2), u7 = t5.rearrange(SWAP2).blend(zero, ODD2);
            int d = dst + 6 * p;
            u0.blend(u4.rearrange(SWAP4), ODD4).intoArray(ap, d);
            u1.blend(u5.rearrange(SWAP4), ODD4).intoArray(ap, d + 6);
            u2.blend(u6.rearrange(SWAP4), ODD4).intoArray(ap, d + 12);
            u3.blend(u7.rearrange(SWAP4), ODD4).intoArray(ap, d + 18);
            u0.rearrange(SWAP4).blend(u4, ODD4).intoArray(ap, d + 24);
            u1.rearrange(SWAP4).blend(u5, ODD4).intoArray(ap, d + 30);
            u2.rearrange(SWAP4).blend(u6, ODD4).intoArray(ap, d + 36);
            FloatVector last = u3.rearrange(SWAP4).blend(u7, ODD4);
            if (p + 8 < kc) last.intoArray(ap, d + 42);
            else last.intoArray(ap, d + 42, FIRST6);
        }
        for (int p = kc8; p < kc; p++) {
            for (int r = 0; r < 6; r++) ap[dst + 6 * p + r] = a[src + r * aRs + p];
        }
    }
}
