package dev.jgrad.kernel;

import java.lang.invoke.VarHandle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * X·Wᵀ for inference over W packed once, when a model is frozen for prediction, in the layout
 * {@link VectorGemm} packs B into for every product: for each block of k (of
 * {@link VectorGemm#blockDepth} steps, which depends on k alone), zero-padded panels of NR
 * columns, k-major. So a batch runs the GEMM's own loops and tiles without packing W per call,
 * and every element of C is summed as the GEMM's micro-kernels ({@link GemmMicroKernels}) sum
 * it: a chain of fused multiply-adds over each block's steps in order, starting from zero; the
 * first block's sum stored, each later one's added to C. That order depends on neither the
 * row's place in the batch, nor the batch size, nor how rows and panels are split over threads,
 * so a row has the same bits alone or in any batch, and the bits {@link VectorGemm#gemm} gives
 * X·Wᵀ on its packed path (batches of six rows and more in training).
 *
 * <p>A batch takes its rows six at a time straight from X (the whole of X stays in L2 while a
 * panel of W, read from L1, passes every row): packing X would copy it once more for no gain in
 * order. Fewer than six rows left repeat the last, whose sums come out the same twice. A
 * partial last panel (a classifier's ten columns) takes eight rows at a time when it is at most
 * a vector wide, four when wider, so that eight chains of multiply-adds are in flight where one
 * row at a time had two waiting on each other's latency. One sample takes four panels at a
 * time, eight chains in flight, which hides their latency while W streams past once.
 *
 * <p>Layers narrower than a panel at widths where the GEMM computes them as dot products of rows
 * ({@link VectorDots}: eight lanes) keep W as it is and take the same path, for the same bits.
 */
final class PackedGemm {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    private static final int MR = GemmMicroKernels.MR;
    private static final int NR = GemmMicroKernels.NR;
    /** Rows of A {@link #narrow} takes at once. */
    private static final int NARROW_ROWS = 8;
    /** Rows of A {@link #partial4} takes at once. */
    private static final int PARTIAL_ROWS = 4;
    /** Panels of W one sample's kernel reads at once. */
    private static final int PANELS = 4;

    private PackedGemm() {
    }

    /** Whether X·Wᵀ of these sizes runs as {@link VectorDots} (as {@link VectorGemm#gemm} decides it). */
    private static boolean dots(int n, int k) {
        return n < NR && k >= 2 * L && VectorDots.available();
    }

    /** W (n × k, rows contiguous from wOff) as {@link #product} reads it. */
    static float[] pack(float[] w, int wOff, int n, int k) {
        if (dots(n, k)) return java.util.Arrays.copyOfRange(w, wOff, wOff + n * k);
        int nPad = (n + NR - 1) / NR * NR, kcStd = k == 0 ? 0 : VectorGemm.blockDepth(k);
        float[] packed = new float[nPad * k];
        for (int pc = 0; pc < k; pc += kcStd) {
            // Wᵀ's element (p, j) is W's (j, p): B with rows 1 apart and columns k apart.
            GemmPacking.packB(w, wOff + pc, 1, k, Math.min(kcStd, k - pc), n, packed, pc * nPad);
        }
        return packed;
    }

    /**
     * C = A·Wᵀ: A m × k (rows lda apart from aOff), W n × k packed by {@link #pack}, C m × n
     * (rows ldc apart from cOff). Large products are split over the pool by panels of W (and
     * rows of A, when panels are few); any split gives the same bits.
     */
    static void product(Parallel par, int m, int n, int k, float[] a, int aOff, int lda, float[] w, float[] c,
                        int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        long work = (long) m * n * k;
        if (dots(n, k)) {
            // As the GEMM's narrow path: split by pairs of rows when large.
            int parts = work < 2 * VectorGemm.PARALLEL_WORK ? 1 : Math.min(par.threads(), m / 2);
            if (parts <= 1) {
                VectorDots.product(0, m, 0, n, k, a, aOff, lda, w, 0, k, c, cOff, ldc, false, new float[L]);
                return;
            }
            par.run(parts, t -> {
                int i0 = m * t / parts / 2 * 2, i1 = t == parts - 1 ? m : m * (t + 1) / parts / 2 * 2;
                VectorDots.product(i0, i1, 0, n, k, a, aOff, lda, w, 0, k, c, cOff, ldc, false, new float[L]);
            });
            return;
        }
        int panels = (n + NR - 1) / NR;
        if (m == 1) {
            int groups = (panels + PANELS - 1) / PANELS;
            int parts = work < VectorGemm.PARALLEL_WORK / 2 || par.threads() == 1 ? 1 : Math.min(par.threads() * 2, groups);
            if (parts <= 1) {
                row(0, panels, n, k, a, aOff, w, c, cOff);
                return;
            }
            par.run(parts, t -> row(groups * t / parts * PANELS, Math.min(panels, groups * (t + 1) / parts * PANELS),
                    n, k, a, aOff, w, c, cOff));
            return;
        }
        int rowPanels = (m + MR - 1) / MR;
        int threads = work < VectorGemm.PARALLEL_WORK ? 1 : par.threads();
        if (threads == 1) {
            rows(0, m, 0, panels, n, k, a, aOff, lda, w, c, cOff, ldc);
            return;
        }
        // Tiles of one panel by a share of the rows, at least three per thread, claimed as
        // threads come free.
        int rowParts = Math.min(rowPanels, Math.max(1, (3 * threads + panels - 1) / panels));
        par.run(rowParts * panels, t -> {
            int jp = t / rowParts, rp = t % rowParts;
            int i0 = rowPanels * rp / rowParts * MR, i1 = Math.min(m, rowPanels * (rp + 1) / rowParts * MR);
            if (i0 < i1) rows(i0, i1, jp, jp + 1, n, k, a, aOff, lda, w, c, cOff, ldc);
        });
    }

    /** Rows [i0, i1) of C, columns of panels [p0, p1): each panel, block of k by block, through all rows. */
    private static void rows(int i0, int i1, int p0, int p1, int n, int k, float[] a, int aOff, int lda, float[] w,
                             float[] c, int cOff, int ldc) {
        int kcStd = VectorGemm.blockDepth(k), nPad = (n + NR - 1) / NR * NR;
        for (int jp = p0; jp < p1; jp++) {
            int jr = jp * NR, nr = Math.min(NR, n - jr);
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc), bi = pc * nPad + jr * kc;
                if (nr == NR) {
                    for (int i = i0; i < i1; i += MR) {
                        micro(kc, a, aOff + i * lda + pc, lda, Math.min(MR, i1 - i), w, bi, c, cOff + i * ldc + jr, ldc,
                                pc == 0);
                    }
                } else if (nr <= L) {
                    for (int i = i0; i < i1; i += NARROW_ROWS) {
                        narrow(kc, a, aOff + i * lda + pc, lda, Math.min(NARROW_ROWS, i1 - i), w, bi, c,
                                cOff + i * ldc + jr, ldc, nr, pc == 0);
                    }
                } else {
                    for (int i = i0; i < i1; i += PARTIAL_ROWS) {
                        partial4(kc, a, aOff + i * lda + pc, lda, Math.min(PARTIAL_ROWS, i1 - i), w, bi, c,
                                cOff + i * ldc + jr, ldc, nr, pc == 0);
                    }
                }
            }
        }
    }

    /** One row of C (A's row at ai, C's at ci), columns of panels [p0, p1). */
    private static void row(int p0, int p1, int n, int k, float[] a, int ai, float[] w, float[] c, int ci) {
        int kcStd = VectorGemm.blockDepth(k), nPad = (n + NR - 1) / NR * NR;
        int jp = p0;
        for (; jp + PANELS <= p1 && (jp + PANELS) * NR <= n; jp += PANELS) {
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                row4(kc, a, ai + pc, w, pc * nPad + jp * NR * kc, kc * NR, c, ci + jp * NR, pc == 0);
            }
        }
        for (; jp < p1; jp++) {
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                edge(kc, a, ai + pc, w, pc * nPad + jp * NR * kc, c, ci + jp * NR, Math.min(NR, n - jp * NR), pc == 0);
            }
        }
    }

    /**
     * {@link GemmMicroKernels#micro} with A read where it lies: `rows` ≤ MR rows from ai, lda
     * apart (a missing one repeats the last), against the whole packed panel at bi, into C from
     * ci. C's sums are all read before any is written, so a repeated row reads what it will
     * overwrite and writes the same bits twice. Kept as small as the GEMM's kernel: with the
     * masks of a partial panel as well, C1 ran out of virtual registers compiling it, and the
     * kernel stayed in C1's code, a hundred times slower, for as long as it ran.
     */
    private static void micro(int kc, float[] a, int ai, int lda, int rows, float[] bp, int bi, float[] c, int ci,
                              int ldc, boolean overwrite) {
        int last = rows - 1;
        int a0 = ai, a1 = ai + Math.min(1, last) * lda, a2 = ai + Math.min(2, last) * lda;
        int a3 = ai + Math.min(3, last) * lda, a4 = ai + Math.min(4, last) * lda, a5 = ai + Math.min(5, last) * lda;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS), c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bi + p * NR);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bi + p * NR + L);
            FloatVector x = FloatVector.broadcast(FS, a[a0 + p]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a1 + p]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a2 + p]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a3 + p]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a4 + p]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            VarHandle.loadLoadFence();
            x = FloatVector.broadcast(FS, a[a5 + p]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            VarHandle.loadLoadFence();
        }
        int r0 = ci, r1 = ci + Math.min(1, last) * ldc, r2 = ci + Math.min(2, last) * ldc;
        int r3 = ci + Math.min(3, last) * ldc, r4 = ci + Math.min(4, last) * ldc, r5 = ci + Math.min(5, last) * ldc;
        if (!overwrite) {
            c00 = FloatVector.fromArray(FS, c, r0).add(c00);
            c01 = FloatVector.fromArray(FS, c, r0 + L).add(c01);
            c10 = FloatVector.fromArray(FS, c, r1).add(c10);
            c11 = FloatVector.fromArray(FS, c, r1 + L).add(c11);
            c20 = FloatVector.fromArray(FS, c, r2).add(c20);
            c21 = FloatVector.fromArray(FS, c, r2 + L).add(c21);
            c30 = FloatVector.fromArray(FS, c, r3).add(c30);
            c31 = FloatVector.fromArray(FS, c, r3 + L).add(c31);
            c40 = FloatVector.fromArray(FS, c, r4).add(c40);
            c41 = FloatVector.fromArray(FS, c, r4 + L).add(c41);
            c50 = FloatVector.fromArray(FS, c, r5).add(c50);
            c51 = FloatVector.fromArray(FS, c, r5 + L).add(c51);
        }
        c00.intoArray(c, r0);
        c01.intoArray(c, r0 + L);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2);
        c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3);
        c31.intoArray(c, r3 + L);
        c40.intoArray(c, r4);
        c41.intoArray(c, r4 + L);
        c50.intoArray(c, r5);
        c51.intoArray(c, r5 + L);
    }

    /**
     * A partial last panel of at most L columns (nr of them) for up to eight rows of A at once
     * (`rows`, a missing one repeating the last, as in {@link #micro}): one vector of the
     * zero-padded panel per step against eight broadcasts, eight chains in flight where one row
     * at a time had one (a classifier's ten columns at 512 bits). C is read and written under
     * a mask; every element's chain as in {@link #micro}.
     */
    private static void narrow(int kc, float[] a, int ai, int lda, int rows, float[] bp, int bi, float[] c, int ci,
                               int ldc, int nr, boolean overwrite) {
        int last = rows - 1;
        int a0 = ai, a1 = ai + Math.min(1, last) * lda, a2 = ai + Math.min(2, last) * lda;
        int a3 = ai + Math.min(3, last) * lda, a4 = ai + Math.min(4, last) * lda, a5 = ai + Math.min(5, last) * lda;
        int a6 = ai + Math.min(6, last) * lda, a7 = ai + Math.min(7, last) * lda;
        FloatVector s0 = FloatVector.zero(FS), s1 = FloatVector.zero(FS), s2 = FloatVector.zero(FS), s3 = FloatVector.zero(FS);
        FloatVector s4 = FloatVector.zero(FS), s5 = FloatVector.zero(FS), s6 = FloatVector.zero(FS), s7 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector b = FloatVector.fromArray(FS, bp, bi + p * NR);
            s0 = b.fma(FloatVector.broadcast(FS, a[a0 + p]), s0);
            s1 = b.fma(FloatVector.broadcast(FS, a[a1 + p]), s1);
            s2 = b.fma(FloatVector.broadcast(FS, a[a2 + p]), s2);
            s3 = b.fma(FloatVector.broadcast(FS, a[a3 + p]), s3);
            s4 = b.fma(FloatVector.broadcast(FS, a[a4 + p]), s4);
            s5 = b.fma(FloatVector.broadcast(FS, a[a5 + p]), s5);
            s6 = b.fma(FloatVector.broadcast(FS, a[a6 + p]), s6);
            s7 = b.fma(FloatVector.broadcast(FS, a[a7 + p]), s7);
            VarHandle.loadLoadFence();
        }
        VectorMask<Float> m = FS.indexInRange(0, nr);
        int r0 = ci, r1 = ci + Math.min(1, last) * ldc, r2 = ci + Math.min(2, last) * ldc;
        int r3 = ci + Math.min(3, last) * ldc, r4 = ci + Math.min(4, last) * ldc, r5 = ci + Math.min(5, last) * ldc;
        int r6 = ci + Math.min(6, last) * ldc, r7 = ci + Math.min(7, last) * ldc;
        if (!overwrite) {
            s0 = FloatVector.fromArray(FS, c, r0, m).add(s0);
            s1 = FloatVector.fromArray(FS, c, r1, m).add(s1);
            s2 = FloatVector.fromArray(FS, c, r2, m).add(s2);
            s3 = FloatVector.fromArray(FS, c, r3, m).add(s3);
            s4 = FloatVector.fromArray(FS, c, r4, m).add(s4);
            s5 = FloatVector.fromArray(FS, c, r5, m).add(s5);
            s6 = FloatVector.fromArray(FS, c, r6, m).add(s6);
            s7 = FloatVector.fromArray(FS, c, r7, m).add(s7);
        }
        s0.intoArray(c, r0, m);
        s1.intoArray(c, r1, m);
        s2.intoArray(c, r2, m);
        s3.intoArray(c, r3, m);
        s4.intoArray(c, r4, m);
        s5.intoArray(c, r5, m);
        s6.intoArray(c, r6, m);
        s7.intoArray(c, r7, m);
    }

    /**
     * A partial last panel wider than one vector (L < nr < NR) for up to four rows of A at once
     * (`rows`, a missing one repeating the last): two vectors of the panel per step, the second
     * stored under a mask; eight chains in flight. Every element's chain as in {@link #micro}.
     */
    private static void partial4(int kc, float[] a, int ai, int lda, int rows, float[] bp, int bi, float[] c, int ci,
                                 int ldc, int nr, boolean overwrite) {
        int last = rows - 1;
        int a0 = ai, a1 = ai + Math.min(1, last) * lda, a2 = ai + Math.min(2, last) * lda, a3 = ai + Math.min(3, last) * lda;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bi + p * NR);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bi + p * NR + L);
            FloatVector x = FloatVector.broadcast(FS, a[a0 + p]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(FS, a[a1 + p]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(FS, a[a2 + p]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(FS, a[a3 + p]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            VarHandle.loadLoadFence();
        }
        VectorMask<Float> m = FS.indexInRange(L, nr);
        int r0 = ci, r1 = ci + Math.min(1, last) * ldc, r2 = ci + Math.min(2, last) * ldc, r3 = ci + Math.min(3, last) * ldc;
        if (!overwrite) {
            c00 = FloatVector.fromArray(FS, c, r0).add(c00);
            c01 = FloatVector.fromArray(FS, c, r0 + L, m).add(c01);
            c10 = FloatVector.fromArray(FS, c, r1).add(c10);
            c11 = FloatVector.fromArray(FS, c, r1 + L, m).add(c11);
            c20 = FloatVector.fromArray(FS, c, r2).add(c20);
            c21 = FloatVector.fromArray(FS, c, r2 + L, m).add(c21);
            c30 = FloatVector.fromArray(FS, c, r3).add(c30);
            c31 = FloatVector.fromArray(FS, c, r3 + L, m).add(c31);
        }
        c00.intoArray(c, r0);
        c01.intoArray(c, r0 + L, m);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + L, m);
        c20.intoArray(c, r2);
        c21.intoArray(c, r2 + L, m);
        c30.intoArray(c, r3);
        c31.intoArray(c, r3 + L, m);
    }

    /**
     * One row of A (at ai) against the packed panel at bi, nr ≤ NR of its columns written to C
     * from ci: a partial last panel, or one panel left over from {@link #row4}. Each element's
     * chain as in {@link #micro}.
     */
    private static void edge(int kc, float[] a, int ai, float[] bp, int bi, float[] c, int ci, int nr,
                             boolean overwrite) {
        FloatVector s0 = FloatVector.zero(FS), s1 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector x = FloatVector.broadcast(FS, a[ai + p]);
            s0 = FloatVector.fromArray(FS, bp, bi + p * NR).fma(x, s0);
            s1 = FloatVector.fromArray(FS, bp, bi + p * NR + L).fma(x, s1);
        }
        VectorMask<Float> m0 = FS.indexInRange(0, nr), m1 = FS.indexInRange(L, nr);
        if (!overwrite) {
            s0 = FloatVector.fromArray(FS, c, ci, m0).add(s0);
            s1 = FloatVector.fromArray(FS, c, ci + L, m1).add(s1);
        }
        s0.intoArray(c, ci, m0);
        s1.intoArray(c, ci + L, m1);
    }

    /**
     * One row of A (at ai) against four whole packed panels (the first at bi, the next `stride`
     * further each) for one block of k, into C from ci: each element's chain of multiply-adds
     * as in {@link #micro}, eight of them in flight.
     */
    private static void row4(int kc, float[] a, int ai, float[] bp, int bi, int stride, float[] c, int ci,
                             boolean overwrite) {
        int q0 = bi, q1 = bi + stride, q2 = bi + 2 * stride, q3 = bi + 3 * stride;
        FloatVector s00 = FloatVector.zero(FS), s01 = FloatVector.zero(FS), s10 = FloatVector.zero(FS), s11 = FloatVector.zero(FS);
        FloatVector s20 = FloatVector.zero(FS), s21 = FloatVector.zero(FS), s30 = FloatVector.zero(FS), s31 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            FloatVector x = FloatVector.broadcast(FS, a[ai + p]);
            int o = p * NR;
            s00 = FloatVector.fromArray(FS, bp, q0 + o).fma(x, s00);
            s01 = FloatVector.fromArray(FS, bp, q0 + o + L).fma(x, s01);
            s10 = FloatVector.fromArray(FS, bp, q1 + o).fma(x, s10);
            s11 = FloatVector.fromArray(FS, bp, q1 + o + L).fma(x, s11);
            s20 = FloatVector.fromArray(FS, bp, q2 + o).fma(x, s20);
            s21 = FloatVector.fromArray(FS, bp, q2 + o + L).fma(x, s21);
            s30 = FloatVector.fromArray(FS, bp, q3 + o).fma(x, s30);
            s31 = FloatVector.fromArray(FS, bp, q3 + o + L).fma(x, s31);
            VarHandle.loadLoadFence();
        }
        if (!overwrite) {
            s00 = FloatVector.fromArray(FS, c, ci).add(s00);
            s01 = FloatVector.fromArray(FS, c, ci + L).add(s01);
            s10 = FloatVector.fromArray(FS, c, ci + NR).add(s10);
            s11 = FloatVector.fromArray(FS, c, ci + NR + L).add(s11);
            s20 = FloatVector.fromArray(FS, c, ci + 2 * NR).add(s20);
            s21 = FloatVector.fromArray(FS, c, ci + 2 * NR + L).add(s21);
            s30 = FloatVector.fromArray(FS, c, ci + 3 * NR).add(s30);
            s31 = FloatVector.fromArray(FS, c, ci + 3 * NR + L).add(s31);
        }
        s00.intoArray(c, ci);
        s01.intoArray(c, ci + L);
        s10.intoArray(c, ci + NR);
        s11.intoArray(c, ci + NR + L);
        s20.intoArray(c, ci + 2 * NR);
        s21.intoArray(c, ci + 2 * NR + L);
        s30.intoArray(c, ci + 3 * NR);
        s31.intoArray(c, ci + 3 * NR + L);
    }
}
