package dev.jgrad.kernel;

import static dev.jgrad.kernel.GemmMicroKernels.panel;
import static dev.jgrad.kernel.GemmPacking.packA;
import static dev.jgrad.kernel.GemmPacking.packB;
import static dev.jgrad.kernel.GemmPacking.packTransposedA;

/**
 * float32 GEMM on the Vector API, following the Goto/BLIS structure; this class is the plan: which
 * path a product takes, how deep its blocks of k are, and how it is split over the pool. B is
 * packed into panels NR columns wide, in k-major order, for blocks of KC steps of k (sized to keep
 * a B panel in L1 and an A block in L2); A is packed into MR-row panels, once per product and
 * shared by all threads when it is not huge ({@link GemmPacking}); a 6 × 2L register-blocked
 * micro-kernel computes each tile ({@link GemmMicroKernels}). The MLP's widths (784, 256, 128)
 * are whole numbers of 16-column panels, so its products have no column edges. Edges are handled
 * by zero-padded panels, so every element of C is summed in the same order whatever tile it falls
 * in: over k-blocks in order, each block's partial sum added to C. Threads take disjoint ranges of
 * whole panels, or (few panels per thread) pack A and B together first and then take tiles of
 * rows by one panel, so results do not depend on the thread count. A·Bᵀ with both contiguous
 * along k skips packing where it would not pay: a few rows ({@link FewRowDots}) and fewer columns
 * than one panel (the classifier, {@link VectorDots}) run as dot products of rows. Inference
 * packs W once instead and runs this class's order over it ({@link PackedGemm}).
 */
final class VectorGemm {
    static final int L = VectorWidth.L;
    static final int MR = GemmMicroKernels.MR;
    static final int NR = GemmMicroKernels.NR;
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
    static final long PARALLEL_WORK = 1L << 17;
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

    /**
     * Per-thread packing buffers. The packing ones (1.8 MB together) are allocated on a thread's
     * first packed product, not before: a thread that only ever runs dot products (one sample at
     * a time, the classifier) keeps a few hundred bytes.
     */
    private static final class Scratch {
        private float[] ap;
        private float[] bp;
        final float[] tile = new float[MR * NR];

        float[] ap() {
            if (ap == null) ap = new float[(MC + MR) * KC];
            return ap;
        }

        float[] bp() {
            if (bp == null) bp = new float[KC * NC];
            return bp;
        }
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
                FewRowDots.product(m, j0, j1, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, accumulate, SCRATCH.get().tile);
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
         * of k in order, its row panels as {@link GemmPacking#packA} lays them out for the whole height.
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
            // A few rows against a transposed B (X·Wᵀ): dot products straight from
            // the contiguous rows of A and W beat packing all of W for so little use. Large
            // ones are split by columns of C over the pool; each column is still one dot product.
            int parts = (long) m * n * k < PARALLEL_WORK / 2 || par.threads() == 1 ? 1 : Math.min(par.threads(), n / 4);
            if (parts <= 1) {
                FewRowDots.product(m, 0, n, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, accumulate, SCRATCH.get().tile);
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

    private static void block(Scratch s, FloatGemm g, int m0, int m1, int n0, int n1) {
        int k = g.k;
        int kcStd = blockDepth(k);
        int rows = m1 - m0;
        int mBlocks = (rows + MC - 1) / MC;
        int mcStd = Math.min(MC, ((rows + mBlocks - 1) / mBlocks + MR - 1) / MR * MR);
        float[] bp = s.bp();
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
                    packB(g.b, g.bOff + pc * g.bRs + jr * g.bCs, g.bRs, g.bCs, kc, nr, bp, 0);
                    panel(kc, g.shared, pc * mPad + m0 * kc, bp, 0, g.c, g.cOff + m0 * g.ldc + jr, g.ldc, rows, nr,
                            overwrite, s.tile);
                }
            }
            return;
        }
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += kcStd) {
                int kc = Math.min(kcStd, k - pc);
                packB(g.b, g.bOff + pc * g.bRs + jc * g.bCs, g.bRs, g.bCs, kc, nc, bp, 0);
                boolean overwrite = pc == 0 && !g.accumulate;
                for (int ic = m0; ic < m1; ic += mcStd) {
                    int mc = Math.min(mcStd, m1 - ic);
                    // A is packed into MR-row panels (zero-padded), so the micro-kernel reads one
                    // contiguous stream whatever A's layout: shared by all parts when it was packed
                    // up front, otherwise a block at a time by each part.
                    float[] ap;
                    int apOff = 0;
                    if (g.shared != null) {
                        ap = g.shared;
                        apOff = pc * ((g.m + MR - 1) / MR * MR) + ic * kc;
                    } else {
                        ap = s.ap();
                        packA(g.a, g.aOff + ic * g.aRs + pc * g.aCs, g.aRs, g.aCs, mc, kc, ap, 0);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        panel(kc, ap, apOff, bp, jr * kc, g.c, g.cOff + ic * g.ldc + jc + jr, g.ldc, mc, nr,
                                overwrite, s.tile);
                    }
                }
            }
        }
    }
}
