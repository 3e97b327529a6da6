package dev.jgrad.kernel;

import java.lang.invoke.VarHandle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernels of {@link VectorGemm}: C (+)= A·B for one tile of MR rows by NR = 2L
 * columns (L = lanes, so 6 × 16 on AVX2) over one block of k, from a packed panel of A
 * ({@link GemmPacking}: MR values per step) and one of B (NR per step). A 6 × 2L kernel keeps
 * twelve accumulators and broadcasts one A value at a time against two B vectors; a last panel
 * of B one vector wide and a last panel of A of at most three rows have kernels of their own,
 * and any other edge goes through a zero-padded tile. Each sums every element of C in the same
 * order (over the steps of k, then added to C), so a tile's bits do not depend on where it falls.
 */
final class GemmMicroKernels {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    /** Rows of a tile: six broadcasts against two B vectors fill AVX2's sixteen registers but one. */
    static final int MR = 6;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * L;

    private GemmMicroKernels() {
    }

    /**
     * One packed panel of B (nr ≤ NR columns, at bi) against `rows` rows of packed A (their first
     * panel at ai) for one block of k, into C from ci down: full tiles by the micro-kernel, the
     * last partial row panel or a narrow panel through {@link #edge}.
     */
    static void panel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, int rows, int nr,
                      boolean overwrite, float[] tile) {
        for (int ir = 0; ir < rows; ir += MR, ai += MR * kc, ci += MR * ldc) {
            int mr = Math.min(MR, rows - ir);
            if (mr == MR && nr == NR) micro(kc, ap, ai, bp, bi, c, ci, ldc, overwrite);
            else if (mr == MR && nr == L) microNarrow(kc, ap, ai, bp, bi, c, ci, ldc, overwrite);
            else edge(kc, ap, ai, bp, bi, c, ci, ldc, mr, nr, overwrite, tile);
        }
    }

    /**
     * An edge tile: the valid part of C goes through an MR × NR buffer so a micro-kernel, with
     * the same summation order, serves it too: the one that covers its rows and columns with the
     * fewest multiply-adds of padding.
     */
    private static void edge(int kc, float[] a, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                             int mr, int nr, boolean overwrite, float[] tile) {
        if (!overwrite) {
            for (int r = 0; r < mr; r++) System.arraycopy(c, ci + r * ldc, tile, r * NR, nr);
        }
        if (mr <= MR / 2) microShort(kc, a, ai, bp, bi, tile, 0, NR, overwrite);
        else if (nr <= L) microNarrow(kc, a, ai, bp, bi, tile, 0, NR, overwrite);
        else micro(kc, a, ai, bp, bi, tile, 0, NR, overwrite);
        for (int r = 0; r < mr; r++) System.arraycopy(tile, r * NR, c, ci + r * ldc, nr);
    }

    /**
     * C[6 × 2L] (+)= Σ_p a_p b_pᵀ over one packed A panel (k-major, MR values per step) and one
     * packed B panel. Six rows by two vectors keep twelve accumulators, two B vectors and one
     * broadcast in registers, 15 of AVX2's 16, with two B loads and six broadcasts per twelve
     * multiply-adds. The fence after each row emits no instruction on x86 but keeps C2 from
     * loading the next rows' broadcasts early, which needs more registers than AVX2 has and
     * spilled accumulators to the stack (measured: half speed without them, 3-5 % faster with
     * them than the 3 × 3L kernel this replaced). Every index is base + p·stride of the one
     * counter, so C2 proves all bounds once before the loop.
     */
    static void micro(int kc, float[] a, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS), c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bi + p * NR);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bi + p * NR + L);
            FloatVector x = FloatVector.broadcast(FS, a[ai + p * MR]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[ai + p * MR + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[ai + p * MR + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[ai + p * MR + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[ai + p * MR + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[ai + p * MR + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            VarHandle.loadLoadFence();
        }
        if (!overwrite) {
            c00 = FloatVector.fromArray(FS, c, ci).add(c00);
            c01 = FloatVector.fromArray(FS, c, ci + L).add(c01);
            c10 = FloatVector.fromArray(FS, c, ci + ldc).add(c10);
            c11 = FloatVector.fromArray(FS, c, ci + ldc + L).add(c11);
            c20 = FloatVector.fromArray(FS, c, ci + 2 * ldc).add(c20);
            c21 = FloatVector.fromArray(FS, c, ci + 2 * ldc + L).add(c21);
            c30 = FloatVector.fromArray(FS, c, ci + 3 * ldc).add(c30);
            c31 = FloatVector.fromArray(FS, c, ci + 3 * ldc + L).add(c31);
            c40 = FloatVector.fromArray(FS, c, ci + 4 * ldc).add(c40);
            c41 = FloatVector.fromArray(FS, c, ci + 4 * ldc + L).add(c41);
            c50 = FloatVector.fromArray(FS, c, ci + 5 * ldc).add(c50);
            c51 = FloatVector.fromArray(FS, c, ci + 5 * ldc + L).add(c51);
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + L);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + L);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + L);
    }

    /**
     * The micro-kernel for a last panel of B at most L columns wide (its packed panel still NR
     * wide, the rest zero): the same sums in the same order for the columns it has, without the
     * multiply-adds of padding.
     */
    private static void microNarrow(int kc, float[] a, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                                    boolean overwrite) {
        FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS), c2 = FloatVector.zero(FS);
        FloatVector c3 = FloatVector.zero(FS), c4 = FloatVector.zero(FS), c5 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bi + p * NR);
            c0 = b0.fma(FloatVector.broadcast(FS, a[ai + p * MR]), c0);
            c1 = b0.fma(FloatVector.broadcast(FS, a[ai + p * MR + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(FS, a[ai + p * MR + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(FS, a[ai + p * MR + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(FS, a[ai + p * MR + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(FS, a[ai + p * MR + 5]), c5);
            VarHandle.loadLoadFence();
        }
        if (!overwrite) {
            c0 = FloatVector.fromArray(FS, c, ci).add(c0);
            c1 = FloatVector.fromArray(FS, c, ci + ldc).add(c1);
            c2 = FloatVector.fromArray(FS, c, ci + 2 * ldc).add(c2);
            c3 = FloatVector.fromArray(FS, c, ci + 3 * ldc).add(c3);
            c4 = FloatVector.fromArray(FS, c, ci + 4 * ldc).add(c4);
            c5 = FloatVector.fromArray(FS, c, ci + 5 * ldc).add(c5);
        }
        c0.intoArray(c, ci);
        c1.intoArray(c, ci + ldc);
        c2.intoArray(c, ci + 2 * ldc);
        c3.intoArray(c, ci + 3 * ldc);
        c4.intoArray(c, ci + 4 * ldc);
        c5.intoArray(c, ci + 5 * ldc);
    }

    /**
     * The micro-kernel for the last row panel of A when it holds at most MR / 2 rows (a batch of
     * 128 leaves two): the first three rows of the panel against the whole width of B.
     */
    private static void microShort(int kc, float[] a, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                                   boolean overwrite) {
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c10 = FloatVector.zero(FS);
        FloatVector c11 = FloatVector.zero(FS), c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bi + p * NR);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bi + p * NR + L);
            FloatVector x = FloatVector.broadcast(FS, a[ai + p * MR]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(FS, a[ai + p * MR + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(FS, a[ai + p * MR + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            VarHandle.loadLoadFence();
        }
        if (!overwrite) {
            c00 = FloatVector.fromArray(FS, c, ci).add(c00);
            c01 = FloatVector.fromArray(FS, c, ci + L).add(c01);
            c10 = FloatVector.fromArray(FS, c, ci + ldc).add(c10);
            c11 = FloatVector.fromArray(FS, c, ci + ldc + L).add(c11);
            c20 = FloatVector.fromArray(FS, c, ci + 2 * ldc).add(c20);
            c21 = FloatVector.fromArray(FS, c, ci + 2 * ldc + L).add(c21);
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
    }
}
