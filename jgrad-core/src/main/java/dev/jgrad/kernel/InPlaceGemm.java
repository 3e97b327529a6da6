package dev.jgrad.kernel;

import java.lang.invoke.VarHandle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorGemm}'s path for the classifier's products, which reads A, and B where its rows
 * are contiguous, where they are stored instead of packing them: X·Wᵀ with ten columns, Δᵀ·X with
 * ten rows, Δ·W with ten steps of k. At these sizes packing costs as much as the multiply-adds it
 * prepares (each packed value is used once or a few times), and the packed path's 6 × 2L tile
 * multiplies 22 lanes of padding in 32 for a ten-column C.
 *
 * <p>Two kernels, each broadcasting A's values from wherever (aRs, aCs) puts them:
 * {@link #rows6x4} (six rows by four vectors, B read in place from rows bRs apart) takes every
 * whole group of four vectors of columns, whatever m and k (Δᵀ·X's ten rows as two tiles, the
 * second repeating two rows; Δ·W's short k); {@link #narrow} (sixteen rows by one vector) takes
 * the columns past the last group a vector at a time, as X·Wᵀ's ten. Its B, at most L columns,
 * is copied into a zero-padded panel first (Wᵀ's columns are strided, and a partial panel's
 * loads would run past B's rows), and its sums reach C through a buffer. Two kernels, not more:
 * each is a large method for C2 to compile at the start of a run (a ten-rows-by-two-vectors tile
 * for Δᵀ·X, 0.1-0.3 faster there, was a third; see PERFORMANCE.md), and a network compiles
 * them only if it has such a layer: the kernels' warm-up ({@link VectorKernels#warmUp}) never
 * reaches this path, and the first training steps (or {@code jgrad train}'s warm-up copy of the
 * network) reach it at the real widths.
 *
 * <p>Every element of C is summed exactly as the packed micro-kernels ({@link GemmMicroKernels})
 * sum it: k in the same blocks ({@link VectorGemm#blockDepth}), each block one chain of fused
 * multiply-adds from zero in order of k, the first block's sum stored (or added to C when
 * accumulating), each later block's added to C. Reading operands in place changes where values
 * come from, never which are added or in what order, so the bits are those of the packed path.
 * A tile with fewer rows than its kernel repeats its last row (same values, same sums, the same
 * bits stored twice), so the kernels have no branches on the row count, which a JIT-compiled
 * kernel would otherwise meet untaken at first and taken later.
 *
 * <p>Only where vectors are 512 bits or more ({@link #AVAILABLE}): the kernels hold 16 to 24
 * accumulators, past the sixteen registers of AVX2 (AVX-512 has 32).
 */
final class InPlaceGemm {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    /** Whether the Vector API kernels take this path (see the class comment). */
    static final boolean AVAILABLE = L >= 16;
    /** Rows of A up to which a product with B's rows contiguous is read in place whatever k. */
    static final int FEW_ROWS = 10;
    /** Steps of k up to which a product with B's rows contiguous is read in place whatever m. */
    static final int SHORT_K = 16;
    /** Rows of a narrow tile. */
    private static final int NARROW_ROWS = 16;
    /** Rows of a wide tile. */
    private static final int WIDE_ROWS = 6;
    /** Columns of a wide tile. */
    private static final int WIDE_COLUMNS = 4 * L;
    /** Rows in which a split of this path's products over threads is made: whole tiles of both kernels. */
    static final int ROW_GRAIN = 48;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private InPlaceGemm() {
    }

    /** A narrow tile's B panel (one block of k, L columns) and its sums on the way to C: 27 KB a thread. */
    private static final class Buffers {
        final float[] panel = new float[VectorGemm.KC * L];
        final float[] sums = new float[NARROW_ROWS * L];
    }

    /**
     * Whether this path computes C = A·B of these sizes and layout: C at most one vector wide
     * with at least one whole narrow tile of rows (X·Wᵀ), or B's rows contiguous, at least one
     * whole group of four vectors of columns, and either few rows of A (Δᵀ·X) or a short k (Δ·W).
     * The kernels' warm-up multiplies fewer rows and columns than that (its C is eight rows of
     * 4L - 2 columns), so it compiles the packed path only.
     */
    static boolean takes(int m, int n, int k, int bCs) {
        return AVAILABLE && (n <= L ? m >= NARROW_ROWS
                : bCs == 1 && n >= WIDE_COLUMNS && (m <= FEW_ROWS || k <= SHORT_K));
    }

    /**
     * C (+)= A·B for rows m0 ≤ i &lt; m1 of C and all its n columns, operands addressed as
     * {@link Kernels#gemm} says. Every element is summed the same way whichever kernel or range
     * of rows holds it, so any split of the rows gives the same bits.
     */
    static void product(int m0, int m1, int n, int k, float[] a, int aOff, int aRs, int aCs,
                        float[] b, int bOff, int bRs, int bCs, float[] c, int cOff, int ldc, boolean accumulate) {
        Buffers buf = BUFFERS.get();
        int kcStd = VectorGemm.blockDepth(k);
        for (int pc = 0; pc < k; pc += kcStd) {
            int kc = Math.min(kcStd, k - pc);
            boolean overwrite = pc == 0 && !accumulate;
            int ap = aOff + pc * aCs, bp = bOff + pc * bRs;
            int j = 0;
            if (bCs == 1) {
                for (; j + WIDE_COLUMNS <= n; j += WIDE_COLUMNS) {
                    for (int i = m0; i < m1; i += WIDE_ROWS) {
                        rows6x4(kc, a, ap + i * aRs, aRs, aCs, Math.min(WIDE_ROWS, m1 - i), b, bp + j, bRs,
                                c, cOff + i * ldc + j, ldc, overwrite);
                    }
                }
            }
            for (; j < n; j += L) {
                int cols = Math.min(L, n - j);
                packPanel(b, bp + j * bCs, bRs, bCs, kc, cols, buf.panel);
                for (int i = m0; i < m1; i += NARROW_ROWS) {
                    int rows = Math.min(NARROW_ROWS, m1 - i);
                    narrow(kc, a, ap + i * aRs, aRs, aCs, rows, buf.panel, buf.sums);
                    store(buf.sums, rows, cols, c, cOff + i * ldc + j, ldc, overwrite);
                }
            }
        }
    }

    /** kc × cols of B (cols ≤ L) into panel, step p's L values at p·L, the lanes past cols zero. */
    static void packPanel(float[] b, int base, int bRs, int bCs, int kc, int cols, float[] panel) {
        if (bRs == 1) {
            // Wᵀ: each column of B is a row of W, contiguous in k.
            for (int q = 0; q < cols; q++) {
                int src = base + q * bCs;
                for (int p = 0; p < kc; p++) panel[p * L + q] = b[src + p];
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int src = base + p * bRs;
                for (int q = 0; q < cols; q++) panel[p * L + q] = b[src + q * bCs];
            }
        }
        if (cols < L) {
            for (int p = 0; p < kc; p++) java.util.Arrays.fill(panel, p * L + cols, p * L + L, 0f);
        }
    }

    /** A narrow tile's sums into C: stored, or added to what C holds. */
    private static void store(float[] sums, int rows, int cols, float[] c, int ci, int ldc, boolean overwrite) {
        for (int r = 0; r < rows; r++) {
            int s = r * L, d = ci + r * ldc;
            if (overwrite) System.arraycopy(sums, s, c, d, cols);
            else for (int q = 0; q < cols; q++) c[d + q] += sums[s + q];
        }
    }

    /**
     * C[rows × 4L] (+)= Σ_p A(r, p)·B(p, ·) over one block of k: A(r, p) at a[ai + r·aRs + p·aCs],
     * B's step p at b[bi + p·bRs], four vectors. Six rows by four vectors keep twenty-four
     * accumulators, four B vectors and a broadcast in registers, 29 of AVX-512's 32: six
     * broadcasts and four loads per twenty-four multiply-adds, which pays most where a tile does
     * little work between reading and writing C (Δ·W 128×128×10: 0.90-0.93 of OpenBLAS, against
     * 0.70-0.74 with ten rows by two vectors and 0.80-0.90 with four or five rows by four; eight
     * rows by two, six by three, three or two by eight were slower still). The fence after each
     * row keeps C2 from loading the next rows' broadcasts early and running out of registers (as
     * in {@link GemmMicroKernels#micro}). Rows past `rows` repeat the last one.
     */
    static void rows6x4(int kc, float[] a, int ai, int aRs, int aCs, int rows, float[] b, int bi, int bRs,
            float[] c, int ci, int ldc, boolean overwrite) {
        int last = rows - 1;
        int a0 = ai;
        int a1 = ai + Math.min(1, last) * aRs;
        int a2 = ai + Math.min(2, last) * aRs;
        int a3 = ai + Math.min(3, last) * aRs;
        int a4 = ai + Math.min(4, last) * aRs;
        int a5 = ai + Math.min(5, last) * aRs;
        FloatVector s00 = FloatVector.zero(FS);
        FloatVector s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00;
        FloatVector s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00, s40 = s00;
        FloatVector s41 = s00, s42 = s00, s43 = s00, s50 = s00, s51 = s00, s52 = s00, s53 = s00;
        for (int p = 0; p < kc; p++) {
            int bo = bi + p * bRs, ao = p * aCs;
            FloatVector b0 = FloatVector.fromArray(FS, b, bo);
            FloatVector b1 = FloatVector.fromArray(FS, b, bo + 1 * L);
            FloatVector b2 = FloatVector.fromArray(FS, b, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(FS, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(FS, a[a0 + ao]);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            s02 = b2.fma(x, s02);
            s03 = b3.fma(x, s03);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a1 + ao]);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            s12 = b2.fma(x, s12);
            s13 = b3.fma(x, s13);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a2 + ao]);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            s22 = b2.fma(x, s22);
            s23 = b3.fma(x, s23);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a3 + ao]);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
            s32 = b2.fma(x, s32);
            s33 = b3.fma(x, s33);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a4 + ao]);
            s40 = b0.fma(x, s40);
            s41 = b1.fma(x, s41);
            s42 = b2.fma(x, s42);
            s43 = b3.fma(x, s43);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a5 + ao]);
            s50 = b0.fma(x, s50);
            s51 = b1.fma(x, s51);
            s52 = b2.fma(x, s52);
            s53 = b3.fma(x, s53);
            VarHandle.loadLoadFence();
        }
        int c0 = ci;
        int c1 = ci + Math.min(1, last) * ldc;
        int c2 = ci + Math.min(2, last) * ldc;
        int c3 = ci + Math.min(3, last) * ldc;
        int c4 = ci + Math.min(4, last) * ldc;
        int c5 = ci + Math.min(5, last) * ldc;
        if (!overwrite) {
            // Every row of C read before any is written: a repeated row then adds to C once.
            s00 = FloatVector.fromArray(FS, c, c0).add(s00);
            s01 = FloatVector.fromArray(FS, c, c0 + 1 * L).add(s01);
            s02 = FloatVector.fromArray(FS, c, c0 + 2 * L).add(s02);
            s03 = FloatVector.fromArray(FS, c, c0 + 3 * L).add(s03);
            s10 = FloatVector.fromArray(FS, c, c1).add(s10);
            s11 = FloatVector.fromArray(FS, c, c1 + 1 * L).add(s11);
            s12 = FloatVector.fromArray(FS, c, c1 + 2 * L).add(s12);
            s13 = FloatVector.fromArray(FS, c, c1 + 3 * L).add(s13);
            s20 = FloatVector.fromArray(FS, c, c2).add(s20);
            s21 = FloatVector.fromArray(FS, c, c2 + 1 * L).add(s21);
            s22 = FloatVector.fromArray(FS, c, c2 + 2 * L).add(s22);
            s23 = FloatVector.fromArray(FS, c, c2 + 3 * L).add(s23);
            s30 = FloatVector.fromArray(FS, c, c3).add(s30);
            s31 = FloatVector.fromArray(FS, c, c3 + 1 * L).add(s31);
            s32 = FloatVector.fromArray(FS, c, c3 + 2 * L).add(s32);
            s33 = FloatVector.fromArray(FS, c, c3 + 3 * L).add(s33);
            s40 = FloatVector.fromArray(FS, c, c4).add(s40);
            s41 = FloatVector.fromArray(FS, c, c4 + 1 * L).add(s41);
            s42 = FloatVector.fromArray(FS, c, c4 + 2 * L).add(s42);
            s43 = FloatVector.fromArray(FS, c, c4 + 3 * L).add(s43);
            s50 = FloatVector.fromArray(FS, c, c5).add(s50);
            s51 = FloatVector.fromArray(FS, c, c5 + 1 * L).add(s51);
            s52 = FloatVector.fromArray(FS, c, c5 + 2 * L).add(s52);
            s53 = FloatVector.fromArray(FS, c, c5 + 3 * L).add(s53);
        }
        s00.intoArray(c, c0);
        s01.intoArray(c, c0 + 1 * L);
        s02.intoArray(c, c0 + 2 * L);
        s03.intoArray(c, c0 + 3 * L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + 1 * L);
        s12.intoArray(c, c1 + 2 * L);
        s13.intoArray(c, c1 + 3 * L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + 1 * L);
        s22.intoArray(c, c2 + 2 * L);
        s23.intoArray(c, c2 + 3 * L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + 1 * L);
        s32.intoArray(c, c3 + 2 * L);
        s33.intoArray(c, c3 + 3 * L);
        s40.intoArray(c, c4);
        s41.intoArray(c, c4 + 1 * L);
        s42.intoArray(c, c4 + 2 * L);
        s43.intoArray(c, c4 + 3 * L);
        s50.intoArray(c, c5);
        s51.intoArray(c, c5 + 1 * L);
        s52.intoArray(c, c5 + 2 * L);
        s53.intoArray(c, c5 + 3 * L);
    }

    /**
     * sums[r·L …] = Σ_p A(r, p)·panel[p·L …] for sixteen rows over one block of k, A addressed as
     * in {@link #rows6x4}: sixteen accumulators, one B vector, a broadcast. Rows past `rows` repeat
     * the last one; only the first `rows` rows of sums are meant to be read.
     */
    static void narrow(int kc, float[] a, int ai, int aRs, int aCs, int rows, float[] panel, float[] sums) {
        int last = rows - 1;
        int a0 = ai, a1 = ai + Math.min(1, last) * aRs, a2 = ai + Math.min(2, last) * aRs;
        int a3 = ai + Math.min(3, last) * aRs, a4 = ai + Math.min(4, last) * aRs, a5 = ai + Math.min(5, last) * aRs;
        int a6 = ai + Math.min(6, last) * aRs, a7 = ai + Math.min(7, last) * aRs, a8 = ai + Math.min(8, last) * aRs;
        int a9 = ai + Math.min(9, last) * aRs, a10 = ai + Math.min(10, last) * aRs, a11 = ai + Math.min(11, last) * aRs;
        int a12 = ai + Math.min(12, last) * aRs, a13 = ai + Math.min(13, last) * aRs;
        int a14 = ai + Math.min(14, last) * aRs, a15 = ai + Math.min(15, last) * aRs;
        FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector s8 = s0, s9 = s0, s10 = s0, s11 = s0, s12 = s0, s13 = s0, s14 = s0, s15 = s0;
        for (int p = 0; p < kc; p++) {
            int ao = p * aCs;
            FloatVector w = FloatVector.fromArray(FS, panel, p * L);
            s0 = w.fma(FloatVector.broadcast(FS, a[a0 + ao]), s0);
            s1 = w.fma(FloatVector.broadcast(FS, a[a1 + ao]), s1);
            s2 = w.fma(FloatVector.broadcast(FS, a[a2 + ao]), s2);
            s3 = w.fma(FloatVector.broadcast(FS, a[a3 + ao]), s3);
            VarHandle.loadLoadFence();
            s4 = w.fma(FloatVector.broadcast(FS, a[a4 + ao]), s4);
            s5 = w.fma(FloatVector.broadcast(FS, a[a5 + ao]), s5);
            s6 = w.fma(FloatVector.broadcast(FS, a[a6 + ao]), s6);
            s7 = w.fma(FloatVector.broadcast(FS, a[a7 + ao]), s7);
            VarHandle.loadLoadFence();
            s8 = w.fma(FloatVector.broadcast(FS, a[a8 + ao]), s8);
            s9 = w.fma(FloatVector.broadcast(FS, a[a9 + ao]), s9);
            s10 = w.fma(FloatVector.broadcast(FS, a[a10 + ao]), s10);
            s11 = w.fma(FloatVector.broadcast(FS, a[a11 + ao]), s11);
            VarHandle.loadLoadFence();
            s12 = w.fma(FloatVector.broadcast(FS, a[a12 + ao]), s12);
            s13 = w.fma(FloatVector.broadcast(FS, a[a13 + ao]), s13);
            s14 = w.fma(FloatVector.broadcast(FS, a[a14 + ao]), s14);
            s15 = w.fma(FloatVector.broadcast(FS, a[a15 + ao]), s15);
            VarHandle.loadLoadFence();
        }
        s0.intoArray(sums, 0);
        s1.intoArray(sums, L);
        s2.intoArray(sums, 2 * L);
        s3.intoArray(sums, 3 * L);
        s4.intoArray(sums, 4 * L);
        s5.intoArray(sums, 5 * L);
        s6.intoArray(sums, 6 * L);
        s7.intoArray(sums, 7 * L);
        s8.intoArray(sums, 8 * L);
        s9.intoArray(sums, 9 * L);
        s10.intoArray(sums, 10 * L);
        s11.intoArray(sums, 11 * L);
        s12.intoArray(sums, 12 * L);
        s13.intoArray(sums, 13 * L);
        s14.intoArray(sums, 14 * L);
        s15.intoArray(sums, 15 * L);
    }
}
