package dev.jgrad.kernel;

import java.lang.invoke.VarHandle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 C (+)= A·Bᵀ as dot products of rows, for A and B both contiguous along k (X·Wᵀ with W
 * stored as the layer keeps it). It packs nothing, which pays where a packed product would
 * waste its work: a few rows of A (inference), or fewer columns of C than one panel of the
 * packed micro-kernel is wide (the classifier layer's ten).
 *
 * <p>Eight dot products run at once, two rows by four columns (four by two where that repeats no
 * column), each in a vector accumulator over k; the eight are then summed across lanes together in three rounds of block swaps, one vector
 * out. Every element is summed the same way, whichever tile holds it: an accumulator over the
 * whole vectors of k, its lanes pairwise ((0+1)+(2+3))+((4+5)+(6+7)), then the steps of k past
 * the last whole vector in order. So its bits depend on neither the tiling nor the thread count,
 * and interpreted and compiled code agree (lane-wise fused multiply-adds and adds, exact
 * rearranges).
 */
final class VectorDots {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    private static final VectorShuffle<Float> S1 = GemmPacking.SWAP1, S2 = GemmPacking.SWAP2, S4 = GemmPacking.SWAP4;
    private static final VectorMask<Float> O1 = GemmPacking.ODD1, O2 = GemmPacking.ODD2, O4 = GemmPacking.ODD4;

    private VectorDots() {
    }

    /** Whether this width has the kernel below (the lane swaps are written for eight lanes). */
    static boolean available() {
        return L == 8;
    }

    /**
     * C[i, j] (+)= Σ_p A[i, p]·B[j, p] for rows i0 ≤ i < i1 and columns j0 ≤ j < j1; row i of A
     * starts at aOff + i·aRs, row j of B at bOff + j·bRs, both contiguous in p.
     */
    static void product(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRs, float[] b, int bOff,
                        int bRs, float[] c, int cOff, int ldc, boolean accumulate, float[] lanes) {
        if ((j1 - j0) % 4 != 0 && (j1 - j0) % 2 == 0) {
            // An even width that four does not divide (the classifier's ten): tiles of four rows by
            // two columns, so no column is computed twice. The same kernel serves, with the roles
            // of A and B swapped and C written transposed (a product of two floats does not depend
            // on their order, so neither do the bits).
            for (int i = i0; i < i1; i += 4) {
                int rows = Math.min(4, i1 - i);
                for (int j = j0; j < j1; j += 2) {
                    int cols = Math.min(2, j1 - j);
                    tile(cols, rows, k, b, bOff + j * bRs, bOff + (j + cols - 1) * bRs, a, aOff + i * aRs, aRs,
                            c, cOff + i * ldc + j, 1, ldc, accumulate, lanes);
                }
            }
            return;
        }
        for (int i = i0; i < i1; i += 2) {
            int rows = Math.min(2, i1 - i);
            for (int j = j0; j < j1; j += 4) {
                tile(rows, Math.min(4, j1 - j), k, a, aOff + i * aRs, aOff + (i + rows - 1) * aRs, b, bOff + j * bRs, bRs,
                        c, cOff + i * ldc + j, ldc, 1, accumulate, lanes);
            }
        }
    }

    /**
     * The dot products of rows a0 and a1 of a (a1 = a0 for one row) with `cols` ≤ 4 rows of b from
     * bFirst, bRs apart (a missing one repeats the last), into C at ci: element (r, q) at
     * ci + r·rs + q·cs. One kernel for every tile: a separate one-row kernel was too large for C1
     * to compile (out of registers), which left it in slow code until C2 got to it, 100 times
     * slower in one run; a repeated row costs little, as b's loads are shared.
     */
    private static void tile(int rows, int cols, int k, float[] a, int a0, int a1, float[] b, int bFirst, int bRs,
                             float[] c, int ci, int rs, int cs, boolean accumulate, float[] lanes) {
        int b0 = bFirst, b1 = bFirst + Math.min(1, cols - 1) * bRs;
        int b2 = bFirst + Math.min(2, cols - 1) * bRs, b3 = bFirst + Math.min(3, cols - 1) * bRs;
        FloatVector s00 = FloatVector.zero(FS), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        int bound = FS.loopBound(k), p = 0;
        for (; p < bound; p += L) {
            FloatVector x0 = FloatVector.fromArray(FS, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(FS, a, a1 + p);
            FloatVector w = FloatVector.fromArray(FS, b, b0 + p);
            s00 = x0.fma(w, s00);
            s10 = x1.fma(w, s10);
            w = FloatVector.fromArray(FS, b, b1 + p);
            s01 = x0.fma(w, s01);
            s11 = x1.fma(w, s11);
            w = FloatVector.fromArray(FS, b, b2 + p);
            s02 = x0.fma(w, s02);
            s12 = x1.fma(w, s12);
            w = FloatVector.fromArray(FS, b, b3 + p);
            s03 = x0.fma(w, s03);
            s13 = x1.fma(w, s13);
            // No instruction on x86; it keeps C2's unrolled copies from loading every step's
            // rows up front, which spilled half the accumulators to the stack (measured 3x slower).
            VarHandle.loadLoadFence();
        }
        // The eight sums across lanes, written out (see the note at the end).
        FloatVector t01 = s00.blend(s01.rearrange(S1), O1).add(s00.rearrange(S1).blend(s01, O1));
        FloatVector t23 = s02.blend(s03.rearrange(S1), O1).add(s02.rearrange(S1).blend(s03, O1));
        FloatVector t45 = s10.blend(s11.rearrange(S1), O1).add(s10.rearrange(S1).blend(s11, O1));
        FloatVector t67 = s12.blend(s13.rearrange(S1), O1).add(s12.rearrange(S1).blend(s13, O1));
        FloatVector u0 = t01.blend(t23.rearrange(S2), O2).add(t01.rearrange(S2).blend(t23, O2));
        FloatVector u1 = t45.blend(t67.rearrange(S2), O2).add(t45.rearrange(S2).blend(t67, O2));
        FloatVector s = u0.blend(u1.rearrange(S4), O4).add(u0.rearrange(S4).blend(u1, O4));
        s.intoArray(lanes, 0);
        // The rest of k, past the last whole vector, one step at a time onto each sum.
        for (; p < k; p++) {
            float x0 = a[a0 + p], x1 = a[a1 + p], w0 = b[b0 + p], w1 = b[b1 + p], w2 = b[b2 + p], w3 = b[b3 + p];
            lanes[0] = Math.fma(x0, w0, lanes[0]);
            lanes[1] = Math.fma(x0, w1, lanes[1]);
            lanes[2] = Math.fma(x0, w2, lanes[2]);
            lanes[3] = Math.fma(x0, w3, lanes[3]);
            lanes[4] = Math.fma(x1, w0, lanes[4]);
            lanes[5] = Math.fma(x1, w1, lanes[5]);
            lanes[6] = Math.fma(x1, w2, lanes[6]);
            lanes[7] = Math.fma(x1, w3, lanes[7]);
        }
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                int at = ci + r * rs + q * cs;
                c[at] = accumulate ? c[at] + lanes[4 * r + q] : lanes[4 * r + q];
            }
        }
    }

    // The sums across lanes: lane q of the result is the sum of the lanes of v_q. Three rounds in
    // which pairs of vectors swap blocks of 1, 2, then 4 lanes and add (VectorGemm's 8 × 8
    // transpose, with adds): for a pair (x, y), a lane without the round's bit gets
    // x_l + x_(l^s), one with it y_(l^s) + y_l, so each round halves the vectors and doubles the
    // part of each sum a lane holds. Written out in each tile, not in a helper: vectors passed to a
    // method C2 does not inline are boxed, and the kernel then allocates and runs ten times slower.
}
