package dev.jgrad.kernel;

import java.lang.invoke.VarHandle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked dot products at 512 bits, for {@link FewRowDots}: sixteen dot products of
 * rows at once, four rows of A by four rows of B, each in its own vector accumulator over the
 * whole vectors of k. Sixteen independent chains of fused multiply-adds hide their latency, and a
 * block of four by four loads eight vectors per sixteen multiply-adds where one row by four
 * loads five per four.
 *
 * <p>The sixteen accumulators are then summed across lanes together: a transpose (four rounds of
 * two-vector lane selections, exact moves) turns them into sixteen vectors of which the l-th holds
 * lane l of every accumulator, and adding those to zero in order l = 0, 1, …, 15 sums each
 * accumulator's lanes in lane order, starting from 0, as {@link FewRowDots} does one lane at a
 * time, with sixteen lane-wise adds instead of 256 scalar ones. The steps of k past the last whole
 * vector follow one at a time with scalar fused multiply-adds onto the stored sums, in order. So
 * every element is the same dot product summed the same way as in FewRowDots' one-column kernel:
 * the same bits whichever block, or which kernel, computes it.
 *
 * <p>B is addressed by strides (W as the layer keeps it: rows k apart, consecutive vectors of a
 * row L apart): vector t of row q at {@code b0 + q·rowStride + t·blockStride}, and step p ≥ the
 * last whole vector of row q at {@code tail0 + q·tailStride + p}.
 *
 * <p>Written out for sixteen lanes (the transpose's rounds and the number of accumulators are
 * fixed by it); other widths keep FewRowDots' kernels. Vectors stay in locals of the kernel that
 * made them: passed to a method C2 does not inline they would be boxed.
 */
final class BlockedDots {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    /** Whether this width has these kernels. */
    static final boolean AVAILABLE = L == 16;
    /**
     * Lane selections of the transpose's rounds: for rows x and y paired in the round that swaps
     * blocks of s lanes, A_s gives x's new value (x where lane bit s is clear, y's lane l^s where it
     * is set) and B_s y's (x's lane l^s where clear, y where set); indices from L pick y's lanes.
     */
    private static final FloatVector A1 = select(1, true), B1 = select(1, false), A2 = select(2, true),
            B2 = select(2, false), A4 = select(4, true), B4 = select(4, false), A8 = select(8, true),
            B8 = select(8, false);
    /** Lanes 4r … 4r + 3 of a 4 × 4 block's sums: row r of the block. */
    private static final VectorMask<Float> ROW0 = rowMask(0), ROW1 = rowMask(1), ROW2 = rowMask(2), ROW3 = rowMask(3);

    private BlockedDots() {
    }

    private static FloatVector select(int s, boolean first) {
        if (!AVAILABLE) return null;
        float[] idx = new float[L];
        for (int l = 0; l < L; l++) {
            boolean set = (l & s) != 0;
            idx[l] = first ? (set ? L + (l ^ s) : l) : (set ? L + l : l ^ s);
        }
        return FloatVector.fromArray(FS, idx, 0);
    }

    private static VectorMask<Float> rowMask(int r) {
        return AVAILABLE ? VectorMask.fromLong(FS, 0xFL << (4 * r)) : null;
    }

    /**
     * C[ci + r·ldc + q] = Σ_p A[a0 + r·aRs + p]·B(q, p) for the block's rows r and columns q in
     * 0 … 3 (B addressed as the class comment says): four rows of A by four rows of B. It has no
     * path for fewer columns: a branch first taken after C2 compiled the kernel sends it back to
     * the interpreter, where vector code runs a thousand times slower until it is compiled again.
     */
    static void rows4(int k, float[] a, int a0, int aRs, float[] b, int b0, int rowStride, int blockStride,
                      int tail0, int tailStride, float[] c, int ci, int ldc) {
        int a1 = a0 + aRs, a2 = a1 + aRs, a3 = a2 + aRs;
        FloatVector s00 = FloatVector.zero(FS), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int bound = FS.loopBound(k), p = 0;
        for (int o = b0; p < bound; p += L, o += blockStride) {
            FloatVector x0 = FloatVector.fromArray(FS, a, a0 + p), x1 = FloatVector.fromArray(FS, a, a1 + p);
            FloatVector x2 = FloatVector.fromArray(FS, a, a2 + p), x3 = FloatVector.fromArray(FS, a, a3 + p);
            FloatVector w;
            w = FloatVector.fromArray(FS, b, o);
            s00 = x0.fma(w, s00);
            s10 = x1.fma(w, s10);
            s20 = x2.fma(w, s20);
            s30 = x3.fma(w, s30);
            w = FloatVector.fromArray(FS, b, o + 1 * rowStride);
            s01 = x0.fma(w, s01);
            s11 = x1.fma(w, s11);
            s21 = x2.fma(w, s21);
            s31 = x3.fma(w, s31);
            w = FloatVector.fromArray(FS, b, o + 2 * rowStride);
            s02 = x0.fma(w, s02);
            s12 = x1.fma(w, s12);
            s22 = x2.fma(w, s22);
            s32 = x3.fma(w, s32);
            w = FloatVector.fromArray(FS, b, o + 3 * rowStride);
            s03 = x0.fma(w, s03);
            s13 = x1.fma(w, s13);
            s23 = x2.fma(w, s23);
            s33 = x3.fma(w, s33);
            // No instruction on x86; it keeps C2 from loading the next unrolled steps' vectors up
            // front, which spills accumulators (as in VectorDots; measured 10-20 % here).
            VarHandle.loadLoadFence();
        }
        // Lane 4r + q of sums is element (r, q).
        FloatVector t0 = A1.selectFrom(s00, s01), t1 = B1.selectFrom(s00, s01);
        FloatVector t2 = A1.selectFrom(s02, s03), t3 = B1.selectFrom(s02, s03);
        FloatVector t4 = A1.selectFrom(s10, s11), t5 = B1.selectFrom(s10, s11);
        FloatVector t6 = A1.selectFrom(s12, s13), t7 = B1.selectFrom(s12, s13);
        FloatVector t8 = A1.selectFrom(s20, s21), t9 = B1.selectFrom(s20, s21);
        FloatVector t10 = A1.selectFrom(s22, s23), t11 = B1.selectFrom(s22, s23);
        FloatVector t12 = A1.selectFrom(s30, s31), t13 = B1.selectFrom(s30, s31);
        FloatVector t14 = A1.selectFrom(s32, s33), t15 = B1.selectFrom(s32, s33);
        FloatVector u0 = A2.selectFrom(t0, t2), u2 = B2.selectFrom(t0, t2);
        FloatVector u1 = A2.selectFrom(t1, t3), u3 = B2.selectFrom(t1, t3);
        FloatVector u4 = A2.selectFrom(t4, t6), u6 = B2.selectFrom(t4, t6);
        FloatVector u5 = A2.selectFrom(t5, t7), u7 = B2.selectFrom(t5, t7);
        FloatVector u8 = A2.selectFrom(t8, t10), u10 = B2.selectFrom(t8, t10);
        FloatVector u9 = A2.selectFrom(t9, t11), u11 = B2.selectFrom(t9, t11);
        FloatVector u12 = A2.selectFrom(t12, t14), u14 = B2.selectFrom(t12, t14);
        FloatVector u13 = A2.selectFrom(t13, t15), u15 = B2.selectFrom(t13, t15);
        FloatVector y0 = A4.selectFrom(u0, u4), y4 = B4.selectFrom(u0, u4);
        FloatVector y1 = A4.selectFrom(u1, u5), y5 = B4.selectFrom(u1, u5);
        FloatVector y2 = A4.selectFrom(u2, u6), y6 = B4.selectFrom(u2, u6);
        FloatVector y3 = A4.selectFrom(u3, u7), y7 = B4.selectFrom(u3, u7);
        FloatVector y8 = A4.selectFrom(u8, u12), y12 = B4.selectFrom(u8, u12);
        FloatVector y9 = A4.selectFrom(u9, u13), y13 = B4.selectFrom(u9, u13);
        FloatVector y10 = A4.selectFrom(u10, u14), y14 = B4.selectFrom(u10, u14);
        FloatVector y11 = A4.selectFrom(u11, u15), y15 = B4.selectFrom(u11, u15);
        FloatVector q0 = A8.selectFrom(y0, y8), q8 = B8.selectFrom(y0, y8);
        FloatVector q1 = A8.selectFrom(y1, y9), q9 = B8.selectFrom(y1, y9);
        FloatVector q2 = A8.selectFrom(y2, y10), q10 = B8.selectFrom(y2, y10);
        FloatVector q3 = A8.selectFrom(y3, y11), q11 = B8.selectFrom(y3, y11);
        FloatVector q4 = A8.selectFrom(y4, y12), q12 = B8.selectFrom(y4, y12);
        FloatVector q5 = A8.selectFrom(y5, y13), q13 = B8.selectFrom(y5, y13);
        FloatVector q6 = A8.selectFrom(y6, y14), q14 = B8.selectFrom(y6, y14);
        FloatVector q7 = A8.selectFrom(y7, y15), q15 = B8.selectFrom(y7, y15);
        FloatVector sums = FloatVector.zero(FS)
                .add(q0).add(q1).add(q2).add(q3)
                .add(q4).add(q5).add(q6).add(q7)
                .add(q8).add(q9).add(q10).add(q11)
                .add(q12).add(q13).add(q14).add(q15);
        int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        sums.intoArray(c, ci, ROW0);
        sums.intoArray(c, c1 - 4, ROW1);
        sums.intoArray(c, c2 - 8, ROW2);
        sums.intoArray(c, c3 - 12, ROW3);
        for (; p < k; p++) {
            float x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
            for (int q = 0; q < 4; q++) {
                float v = b[tail0 + q * tailStride + p];
                c[ci + q] = Math.fma(x0, v, c[ci + q]);
                c[c1 + q] = Math.fma(x1, v, c[c1 + q]);
                c[c2 + q] = Math.fma(x2, v, c[c2 + q]);
                c[c3 + q] = Math.fma(x3, v, c[c3 + q]);
            }
        }
    }
}
