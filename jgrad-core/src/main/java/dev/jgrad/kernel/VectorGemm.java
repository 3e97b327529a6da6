package dev.jgrad.kernel;

import java.lang.invoke.VarHandle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 GEMM on the Vector API, following the Goto/BLIS structure: B is packed into panels NR
 * columns wide, in k-major order, for blocks of KC steps of k (sized to keep a B panel in L1 and
 * an A block in L2); A is packed into MR-row panels, once per product and shared by all threads
 * when it is not huge; a 6 × 2L register-blocked micro-kernel (L = lanes, so 6×16 on AVX2) keeps
 * 12 accumulators and broadcasts one A value at a time against two B vectors. The MLP's widths
 * (784, 256, 128) are whole numbers of 16-column panels, so its products have no column edges.
 * Edges are handled by zero-padded panels, so every element of C is summed in the same order
 * whatever tile it falls in: over k-blocks in order, each block's partial sum added to C.
 * Threads take disjoint ranges of whole panels, or (few panels per thread) pack A and B together
 * first and then take tiles of rows by one panel, so results do not depend on the thread count.
 * A·Bᵀ with both contiguous along k skips packing where it would not pay: a few rows (inference)
 * and fewer columns than one panel (the classifier) run as dot products of rows ({@link VectorDots}).
 */
final class VectorGemm {
    static final VectorSpecies<Float> FS = VectorWidth.FS;
    static final int L = VectorWidth.L;
    static final int MR = 6;
    static final int NR = 2 * L;
    /** Rows of A below which A·Bᵀ runs as dot products of rows rather than packed. */
    private static final int FEW_ROWS = 6;
    /**
     * Steps of k per block, at most: a B panel of 16 columns is then 25 KB, inside L1, and the
     * first layer's 784 splits into two blocks rather than four, so C is read back half as
     * often (X·Wᵀ +4 to +10 % against 256; with 24-column panels 392 steps overflowed L1).
     */
    static final int KC = 400;
    static final int MC = 120;
    /** Columns of B packed at once: a whole number of panels, so the last one fits the buffer. */
    static final int NC = 1024 / NR * NR;
    /** Largest A (elements) packed once up front and shared by all parts. */
    private static final long SHARED_A_LIMIT = 1L << 20;
    /** Multiply-adds a part of a parallel product should hold at least, beyond three parts per thread. */
    private static final long PART_WORK = 1L << 18;
    /** Below this many multiply-adds one thread is faster than a dispatch. */
    private static final long PARALLEL_WORK = 1L << 17;
    /** From this many multiply-adds a parallel product packs, then computes, in two dispatches. */
    private static final long TILED_WORK = 1L << 19;
    /** Largest B (elements, padded) packed whole for a two-phase product. */
    private static final long SHARED_B_LIMIT = 1L << 22;
    /** Multiply-adds per tile a two-phase product aims at (at least four tiles per thread). */
    private static final long TILE_WORK = 1L << 19;
    /** From this many column panels per thread a parallel product keeps one-panel parts. */
    private static final int TILED_PANELS_PER_THREAD = 12;
    /** Row panels of A one packing task takes. */
    private static final int A_PACK_PANELS = 8;
    /**
     * Largest block of packed A (elements) for which a part packs each panel of B just before
     * it uses it: the block stays in L2 across the panels, and the panel is read from L1.
     */
    private static final long PANEL_PACK_A = 64L * 1024;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final ThreadLocal<FloatGemm> CALLS = ThreadLocal.withInitial(FloatGemm::new);

    private VectorGemm() {
    }

    /** Per-thread packing buffers, sized once. */
    private static final class Scratch {
        final float[] ap = new float[(MC + MR) * KC];
        final float[] bp = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    /** The arguments of one float GEMM call, reused per calling thread so dispatch allocates nothing. */
    private static final class FloatGemm implements Parallel.Task {
        int m, n, k, aOff, aRs, aCs, bOff, bRs, bCs, cOff, ldc, parts;
        float[] a, b, c;
        boolean accumulate, splitN, dots, narrow;
        /** A packed once for all parts (see {@link #prepackA}); null when each part packs its own. */
        float[] shared;
        private float[] sharedBuf = new float[0];
        /**
         * The two-phase parallel product (see {@link #tiled}): 1 while its tasks pack A and B,
         * 2 while they compute tiles of C, 0 for the other modes.
         */
        int phase;
        int kcStd, mPad, nPad, aTasks, rowsPerTile, rowTiles;
        private float[] sharedB = new float[0];

        void set(int m, int n, int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs, int bCs,
                 float[] c, int cOff, int ldc, boolean accumulate) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.a = a;
            this.aOff = aOff;
            this.aRs = aRs;
            this.aCs = aCs;
            this.b = b;
            this.bOff = bOff;
            this.bRs = bRs;
            this.bCs = bCs;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            this.accumulate = accumulate;
        }

        @Override
        public void run(int t) {
            if (phase == 1) {
                packTask(t);
            } else if (phase == 2) {
                tile(t);
            } else if (dots) {
                int j0 = n * t / parts / 4 * 4, j1 = t == parts - 1 ? n : n * (t + 1) / parts / 4 * 4;
                dots(m, j0, j1, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, accumulate);
            } else if (narrow) {
                int i0 = m * t / parts / 2 * 2, i1 = t == parts - 1 ? m : m * (t + 1) / parts / 2 * 2;
                VectorDots.product(i0, i1, 0, n, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, accumulate,
                        SCRATCH.get().tile);
            } else if (splitN) {
                int panels = (n + NR - 1) / NR;
                int n0 = Math.min(n, panels * t / parts * NR), n1 = Math.min(n, panels * (t + 1) / parts * NR);
                if (n0 < n1) block(SCRATCH.get(), this, 0, m, n0, n1);
            } else {
                int panels = (m + MR - 1) / MR;
                int m0 = Math.min(m, panels * t / parts * MR), m1 = Math.min(m, panels * (t + 1) / parts * MR);
                if (m0 < m1) block(SCRATCH.get(), this, m0, m1, 0, n);
            }
        }

        void release() {
            a = b = c = shared = null;
            phase = 0;
            dots = narrow = false;
        }

        /**
         * A parallel product in two dispatches. First its tasks pack A (row panels, a few at a
         * time) and B (one column panel each) for every block of k into shared buffers, so
         * neither is packed twice and the caller does not pack A alone while the workers wait.
         * Then tiles of C, a block of rows by one column panel, are claimed as threads come
         * free: small enough that a thread slowed by a busy core leaves little to wait for at
         * the end. Each tile sums its elements in the same order as the one-thread product
         * (over k-blocks in order), so the bits do not depend on the pool.
         */
        void tiled(Parallel par, int threads) {
            kcStd = blockDepth(k);
            int mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
            mPad = mPanels * MR;
            nPad = nPanels * NR;
            if (sharedBuf.length < mPad * k) sharedBuf = new float[mPad * k];
            if (sharedB.length < nPad * k) sharedB = new float[nPad * k];
            shared = sharedBuf;
            aTasks = (mPanels + A_PACK_PANELS - 1) / A_PACK_PANELS;
            long target = Math.max(4L * threads, (long) m * n * k / TILE_WORK);
            rowTiles = (int) Math.min(mPanels, Math.max(1, (target + nPanels - 1) / nPanels));
            rowsPerTile = (mPanels + rowTiles - 1) / rowTiles * MR;
            rowTiles = (m + rowsPerTile - 1) / rowsPerTile;
            phase = 1;
            par.run(aTasks + nPanels, this);
            phase = 2;
            par.run(rowTiles * nPanels, this);
        }

        /** Phase 1: task t packs A_PACK_PANELS row panels of A, or (after those) one column panel of B. */
        private void packTask(int t) {
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                if (t < aTasks) {
                    int r0 = t * A_PACK_PANELS * MR;
                    packRowsOfA(r0, Math.min(m, r0 + A_PACK_PANELS * MR) - r0, pc, kc, mPad);
                } else {
                    int j0 = (t - aTasks) * NR;
                    packB(b, bOff + pc * bRs + j0 * bCs, bRs, bCs, kc, Math.min(NR, n - j0), sharedB, pc * nPad + j0 * kc);
                }
            }
        }

        /** Phase 2: tile t, rows [m0, m1) of column panel t / rowTiles, over all blocks of k. */
        private void tile(int t) {
            int jr = t / rowTiles * NR, m0 = t % rowTiles * rowsPerTile, m1 = Math.min(m, m0 + rowsPerTile);
            int nr = Math.min(NR, n - jr);
            float[] tileBuf = SCRATCH.get().tile;
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                boolean overwrite = pc == 0 && !accumulate;
                int bi = pc * nPad + jr * kc;
                panel(kc, sharedBuf, pc * mPad + m0 * kc, sharedB, bi, c, cOff + m0 * ldc + jr, ldc, m1 - m0, nr,
                        overwrite, tileBuf);
            }
        }

        /**
         * Packs all of A before the parts start: every part of a column split needs all of it,
         * and packing it in each part repeated the work once per part. Layout: for each block
         * of k in order, its row panels as {@link #packA} lays them out for the whole height.
         */
        void prepackA() {
            int mPad = (m + MR - 1) / MR * MR;
            if (sharedBuf.length < mPad * k) sharedBuf = new float[mPad * k];
            int kcStd = blockDepth(k);
            for (int pc = 0; pc < k; pc += kcStd) packRowsOfA(0, m, pc, Math.min(kcStd, k - pc), mPad);
            shared = sharedBuf;
        }

        /**
         * Packs rows [r0, r0 + rows) of A's block of k starting at pc (kc deep) into the shared
         * buffer, where the block's panels for all mPad rows start at pc·mPad; r0 is a whole panel.
         */
        private void packRowsOfA(int r0, int rows, int pc, int kc, int mPad) {
            int dst = pc * mPad + r0 * kc;
            if (aRs == 1) packTransposedA(a, aOff + r0 + pc * aCs, aCs, rows, kc, sharedBuf, dst);
            else packA(a, aOff + r0 * aRs + pc * aCs, aRs, aCs, rows, kc, sharedBuf, dst);
        }
    }

    /**
     * Steps of k per block: k split into as few blocks of at most KC as it needs, of equal depth
     * (the last no deeper), so no block is a sliver.
     */
    static int blockDepth(int k) {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /** C (+)= A·B in float32; A, B and C addressed by offsets and strides as {@link Kernels#gemm} says. */
    static void gemm(Parallel par, int m, int n, int k,
                     float[] a, int aOff, int aRs, int aCs,
                     float[] b, int bOff, int bRs, int bCs,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        FloatGemm g = CALLS.get();
        if (m < FEW_ROWS && aCs == 1 && bRs == 1) {
            // A few rows against a transposed B (inference, X·Wᵀ): dot products straight from
            // the contiguous rows of A and W beat packing all of W for so little use. Large
            // ones are split by columns of C over the pool; each column is still one dot product.
            int parts = (long) m * n * k < PARALLEL_WORK / 2 || par.threads() == 1 ? 1 : Math.min(par.threads(), n / 4);
            if (parts <= 1) {
                dots(m, 0, n, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, accumulate);
                return;
            }
            g.set(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
            g.dots = true;
            g.parts = parts;
            try {
                par.run(parts, g);
            } finally {
                g.release();
            }
            return;
        }
        if (n < NR && k >= 2 * L && aCs == 1 && bRs == 1 && VectorDots.available()) {
            // Fewer columns than one panel (the classifier's X·Wᵀ): the packed micro-kernel would
            // mostly multiply padding, so dot products of rows, split by pairs of rows when large.
            g.set(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
            g.narrow = true;
            g.parts = (long) m * n * k < 2 * PARALLEL_WORK ? 1 : Math.min(par.threads(), m / 2);
            try {
                if (g.parts > 1) par.run(g.parts, g);
                else VectorDots.product(0, m, 0, n, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, accumulate,
                        SCRATCH.get().tile);
            } finally {
                g.release();
            }
            return;
        }
        g.set(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
        int mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
        int threads = (long) m * n * k < PARALLEL_WORK ? 1 : par.threads();
        // Few column panels per thread: one-panel parts would leave threads idle at the end and
        // the caller packing A alone; tiles that split rows too even it out. With many panels,
        // one-panel parts balance well and keep each packed panel of B in the cache of the thread
        // that packed it (measured: two-phase 8 % slower at 33 panels, up to 13 % faster at 6-22).
        if (threads > 1 && nPanels < TILED_PANELS_PER_THREAD * threads && (long) m * n * k >= TILED_WORK
                && (long) m * k <= SHARED_A_LIMIT && (long) nPanels * NR * k <= SHARED_B_LIMIT) {
            try {
                g.tiled(par, threads);
            } finally {
                g.release();
            }
            return;
        }
        if ((long) m * k <= SHARED_A_LIMIT) g.prepackA();
        // Split the columns when there are enough of them: each part then packs only its own share
        // of B (A is packed once, above). Narrow outputs (the classifier layer) split rows.
        g.splitN = nPanels >= threads || nPanels >= mPanels;
        // Many parts, claimed as threads come free, even out a busy core and keep the wait at
        // the end short: as many as there are panels while each still holds PART_WORK
        // multiply-adds, and at least three per thread. Each part's tile of C is fixed, so the
        // bits do not depend on who runs it.
        int panels = g.splitN ? nPanels : mPanels;
        long byWork = (long) m * n * k / PART_WORK;
        g.parts = threads == 1 ? 1 : (int) Math.max(1, Math.min(panels, Math.max(3L * threads, byWork)));
        try {
            par.run(g.parts, g);
        } finally {
            g.release();
        }
    }

    /** C[i, j] (+)= Σ_p A[i, p]·B[j, p] for columns j0 ≤ j < n, both rows contiguous in p; four columns at a time. */
    private static void dots(int m, int j0, int n, int k, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        int bound = FS.loopBound(k);
        float[] lanes = SCRATCH.get().tile;
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * aRs;
            int j = j0;
            for (; j + 4 <= n; j += 4) {
                int b0 = bOff + j * bCs, b1 = b0 + bCs, b2 = b1 + bCs, b3 = b2 + bCs;
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
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + d0 : d0;
                c[ci + 1] = accumulate ? c[ci + 1] + d1 : d1;
                c[ci + 2] = accumulate ? c[ci + 2] + d2 : d2;
                c[ci + 3] = accumulate ? c[ci + 3] + d3 : d3;
            }
            for (; j < n; j++) {
                int bj = bOff + j * bCs;
                FloatVector s0 = FloatVector.zero(FS);
                int p = 0;
                for (; p < bound; p += L) s0 = FloatVector.fromArray(FS, a, ai + p).fma(FloatVector.fromArray(FS, b, bj + p), s0);
                float d0 = sum(s0, lanes);
                for (; p < k; p++) d0 = Math.fma(a[ai + p], b[bj + p], d0);
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + d0 : d0;
            }
        }
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

    private static void block(Scratch s, FloatGemm g, int m0, int m1, int n0, int n1) {
        int k = g.k;
        int kcStd = blockDepth(k);
        int rows = m1 - m0;
        int mBlocks = (rows + MC - 1) / MC;
        int mcStd = Math.min(MC, ((rows + mBlocks - 1) / mBlocks + MR - 1) / MR * MR);
        if (g.shared != null && (long) rows * kcStd <= PANEL_PACK_A) {
            // A few rows (the batch): packing all of B's block first wrote it past L2 and read it
            // back once per block of rows; one panel at a time it never leaves L1. Same order of
            // summation as below, so the same bits.
            int mPad = (g.m + MR - 1) / MR * MR;
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                boolean overwrite = pc == 0 && !g.accumulate;
                for (int jr = n0; jr < n1; jr += NR) {
                    int nr = Math.min(NR, n1 - jr);
                    packB(g.b, g.bOff + pc * g.bRs + jr * g.bCs, g.bRs, g.bCs, kc, nr, s.bp, 0);
                    panel(kc, g.shared, pc * mPad + m0 * kc, s.bp, 0, g.c, g.cOff + m0 * g.ldc + jr, g.ldc, rows, nr,
                            overwrite, s.tile);
                }
            }
            return;
        }
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                packB(g.b, g.bOff + pc * g.bRs + jc * g.bCs, g.bRs, g.bCs, kc, nc, s.bp, 0);
                boolean overwrite = pc == 0 && !g.accumulate;
                for (int ic = m0; ic < m1; ic += mcStd) {
                    int mc = Math.min(mcStd, m1 - ic);
                    // A is packed into MR-row panels (zero-padded), so the micro-kernel reads one
                    // contiguous stream whatever A's layout: shared by all parts when it was packed
                    // up front, otherwise a block at a time by each part.
                    float[] ap = s.ap;
                    int apOff = 0;
                    if (g.shared != null) {
                        ap = g.shared;
                        apOff = pc * ((g.m + MR - 1) / MR * MR) + ic * kc;
                    } else {
                        packA(g.a, g.aOff + ic * g.aRs + pc * g.aCs, g.aRs, g.aCs, mc, kc, s.ap, 0);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        panel(kc, ap, apOff, s.bp, jr * kc, g.c, g.cOff + ic * g.ldc + jc + jr, g.ldc, mc, nr,
                                overwrite, s.tile);
                    }
                }
            }
        }
    }

    /**
     * One packed panel of B (nr ≤ NR columns, at bi) against `rows` rows of packed A (their first
     * panel at ai) for one block of k, into C from ci down: full tiles by the micro-kernel, the
     * last partial row panel or a narrow panel through {@link #edge}.
     */
    private static void panel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, int rows, int nr,
                              boolean overwrite, float[] tile) {
        for (int ir = 0; ir < rows; ir += MR, ai += MR * kc, ci += MR * ldc) {
            int mr = Math.min(MR, rows - ir);
            if (mr == MR && nr == NR) micro(kc, ap, ai, bp, bi, c, ci, ldc, overwrite);
            else if (mr == MR && nr == L) microNarrow(kc, ap, ai, bp, bi, c, ci, ldc, overwrite);
            else edge(kc, ap, ai, bp, bi, c, ci, ldc, mr, nr, overwrite, tile);
        }
    }

    /** Packs kc × nc of B into panels of NR columns: panel at column jr starts at at + jr*kc, row p at +p*NR. */
    private static void packB(float[] b, int base, int bRs, int bCs, int kc, int nc, float[] bp, int at) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int dst = at + jr * kc;
            if (bCs == 1 && nr == NR) {
                for (int p = 0, src = base + jr, d = dst; p < kc; p++, src += bRs, d += NR) {
                    FloatVector.fromArray(FS, b, src).intoArray(bp, d);
                    FloatVector.fromArray(FS, b, src + L).intoArray(bp, d + L);
                }
            } else if (bRs == 1 && nr == NR && L == 8) {
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
    static final jdk.incubator.vector.VectorShuffle<Float> SWAP1 = shuffle8(1, 0, 3, 2, 5, 4, 7, 6),
            SWAP2 = shuffle8(2, 3, 0, 1, 6, 7, 4, 5), SWAP4 = shuffle8(4, 5, 6, 7, 0, 1, 2, 3);
    static final jdk.incubator.vector.VectorMask<Float> ODD1 = mask8(0b10101010), ODD2 = mask8(0b11001100),
            ODD4 = mask8(0b11110000);

    private static jdk.incubator.vector.VectorShuffle<Float> shuffle8(int... lanes) {
        return L == 8 ? FS.shuffleFromArray(lanes, 0) : null;
    }

    private static jdk.incubator.vector.VectorMask<Float> mask8(int bits) {
        if (L != 8) return null;
        boolean[] set = new boolean[8];
        for (int i = 0; i < 8; i++) set[i] = (bits >> i & 1) != 0;
        return jdk.incubator.vector.VectorMask.fromArray(FS, set, 0);
    }

    /**
     * A full panel of transposed B with 8-lane vectors: NR stored rows (contiguous in k) become kc
     * rows of NR, eight rows by eight steps of k at a time, transposed in registers.
     */
    private static void transposePanel8(float[] b, int src, int bCs, int kc, float[] bp, int dst) {
        // Eight stored rows at a time along the whole block: eight streams for the prefetcher
        // rather than NR (measured 15 % faster).
        int kc8 = kc & ~7;
        for (int jj = 0; jj < NR; jj += 8) {
            for (int p = 0; p < kc8; p += 8) {
                int s = src + jj * bCs + p;
                FloatVector r0 = FloatVector.fromArray(FS, b, s), r1 = FloatVector.fromArray(FS, b, s + bCs);
                FloatVector r2 = FloatVector.fromArray(FS, b, s + 2 * bCs), r3 = FloatVector.fromArray(FS, b, s + 3 * bCs);
                FloatVector r4 = FloatVector.fromArray(FS, b, s + 4 * bCs), r5 = FloatVector.fromArray(FS, b, s + 5 * bCs);
                FloatVector r6 = FloatVector.fromArray(FS, b, s + 6 * bCs), r7 = FloatVector.fromArray(FS, b, s + 7 * bCs);
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
                // Rows (0,4) (1,5) (2,6) (3,7) swap halves, straight into the panel.
                int d = dst + p * NR + jj;
                u0.blend(u4.rearrange(SWAP4), ODD4).intoArray(bp, d);
                u1.blend(u5.rearrange(SWAP4), ODD4).intoArray(bp, d + NR);
                u2.blend(u6.rearrange(SWAP4), ODD4).intoArray(bp, d + 2 * NR);
                u3.blend(u7.rearrange(SWAP4), ODD4).intoArray(bp, d + 3 * NR);
                u0.rearrange(SWAP4).blend(u4, ODD4).intoArray(bp, d + 4 * NR);
                u1.rearrange(SWAP4).blend(u5, ODD4).intoArray(bp, d + 5 * NR);
                u2.rearrange(SWAP4).blend(u6, ODD4).intoArray(bp, d + 6 * NR);
                u3.rearrange(SWAP4).blend(u7, ODD4).intoArray(bp, d + 7 * NR);
            }
        }
        for (int p = kc8; p < kc; p++) {
            for (int jj = 0; jj < NR; jj++) bp[dst + p * NR + jj] = b[src + jj * bCs + p];
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
    private static void packTransposedA(float[] a, int base, int aCs, int m, int kc, float[] ap, int dst) {
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
                for (int ii = 0; ii < MR; ii++) ap[d + ii] = full + ii < m ? a[src + full + ii] : 0f;
            }
        }
    }

    /** Packs mc × kc of A into panels of MR rows, zero-padded: panel at row ir starts at at + ir*kc, step p at +p*MR. */
    private static void packA(float[] a, int base, int aRs, int aCs, int mc, int kc, float[] ap, int at) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = at + ir * kc;
            if (mr == MR && aCs == 1 && L == 8) {
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

    private static final jdk.incubator.vector.VectorMask<Float> FIRST6 = L == 8 ? FS.indexInRange(0, 6) : null;

    /**
     * A full panel of row-major A with 8-lane vectors: six rows of kc steps become kc steps of six
     * values, eight steps at a time transposed in registers as in {@link #transposePanel8} (two
     * rows of zeros make the eighth). Step p's eight lanes are stored at 6p; the two extra lanes
     * land on step p + 1's place and are overwritten by it, except after the panel's last step,
     * where only six are stored.
     */
    private static void transposeRows6(float[] a, int src, int aRs, int kc, float[] ap, int dst) {
        int kc8 = kc & ~7;
        FloatVector zero = FloatVector.zero(FS);
        for (int p = 0; p < kc8; p += 8) {
            int s = src + p;
            FloatVector r0 = FloatVector.fromArray(FS, a, s), r1 = FloatVector.fromArray(FS, a, s + aRs);
            FloatVector r2 = FloatVector.fromArray(FS, a, s + 2 * aRs), r3 = FloatVector.fromArray(FS, a, s + 3 * aRs);
            FloatVector r4 = FloatVector.fromArray(FS, a, s + 4 * aRs), r5 = FloatVector.fromArray(FS, a, s + 5 * aRs);
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
    private static void micro(int kc, float[] a, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean overwrite) {
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
