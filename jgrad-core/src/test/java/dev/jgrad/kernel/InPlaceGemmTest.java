package dev.jgrad.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The classifier's products read in place ({@link InPlaceGemm}) against a scalar model of the
 * packed GEMM's order, written here independently of the kernels: k in blocks of
 * {@link VectorGemm#blockDepth} steps, each block a chain of fused multiply-adds from +0 in order
 * of k, the first block's sum stored (added to C when accumulating), each later one added to C.
 * Bit for bit, in the three layouts of a dense layer, at the classifier's three shapes (X·Wᵀ
 * 128×10×128, Δᵀ·X 10×128×128, Δ·W 128×128×10) with each of m, n and k taken through 1-17 and
 * 127-130, written and accumulated, on one thread and two, through {@link Kernels#gemm} (which
 * takes the in-place path or the packed one by size and splits large ones over the pool: each
 * must give the model's bits) and through
 * the in-place path directly, whatever the width (the build runs this at 128, 256 and 512 bits).
 * Operands sit at offsets with gaps between rows, and C's gaps must keep their NaN.
 */
class InPlaceGemmTest {
    private static final boolean VECTOR = !(Kernels.get() instanceof ScalarKernels);
    /** A forced width the hardware lacks runs emulated, far slower: only the smaller products then. */
    private static final long MAX_WORK = System.getProperty("jgrad.vector.bits") == null ? Long.MAX_VALUE : 400_000;
    private static final Parallel TWO = Parallel.create(2);

    @AfterAll
    static void close() {
        TWO.close();
    }

    /** m, n, k of the classifier's products, each with one of its sizes replaced by 1-17 and 127-130. */
    static List<int[]> shapes() {
        int[][] bases = {{128, 10, 128}, {10, 128, 128}, {128, 128, 10}};
        List<int[]> out = new ArrayList<>();
        for (int[] base : bases) {
            out.add(base.clone());
            for (int dim = 0; dim < 3; dim++) {
                for (int size = 1; size <= 130; size = size == 17 ? 127 : size + 1) {
                    int[] s = base.clone();
                    s[dim] = size;
                    if ((long) s[0] * s[1] * s[2] <= MAX_WORK) out.add(s);
                }
            }
        }
        return out;
    }

    /** One product's operands, with offsets and gaps between rows, in one of a dense layer's layouts. */
    private record Operands(int m, int n, int k, int layout, float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int bRs, int bCs, float[] c, int cOff, int ldc) {
        /** 0: NN (Δ·W), 1: NT (X·Wᵀ), 2: TN (Δᵀ·X). */
        static Operands of(int m, int n, int k, int layout, Random rnd) {
            int aOff = 3, bOff = 5, cOff = 2, ldc = n + 3;
            // A is m × k (NN, NT) or its transpose k × m (TN) stored row-major with a gap of two.
            int aLd = layout == 2 ? m + 2 : k + 2, aRows = layout == 2 ? k : m;
            int bLd = layout == 1 ? k + 1 : n + 1, bRows = layout == 1 ? n : k;
            float[] a = gaussians(aOff + aRows * aLd, rnd), b = gaussians(bOff + bRows * bLd, rnd);
            // Zeros of both signs: the chains start from +0, so a first product of -0 gives +0.
            a[aOff] = -0f;
            b[bOff] = -0f;
            float[] c = new float[cOff + m * ldc + 4];
            java.util.Arrays.fill(c, Float.NaN);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cOff + i * ldc + j] = (float) rnd.nextGaussian();
            return switch (layout) {
                case 0 -> new Operands(m, n, k, layout, a, aOff, aLd, 1, b, bOff, bLd, 1, c, cOff, ldc);
                case 1 -> new Operands(m, n, k, layout, a, aOff, aLd, 1, b, bOff, 1, bLd, c, cOff, ldc);
                default -> new Operands(m, n, k, layout, a, aOff, 1, aLd, b, bOff, bLd, 1, c, cOff, ldc);
            };
        }

        /** C as the model computes it from this C's values. */
        float[] model(boolean accumulate) {
            float[] want = c.clone();
            int kc = VectorGemm.blockDepth(k);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int at = cOff + i * ldc + j;
                    float sum = want[at];
                    for (int pc = 0; pc < k; pc += kc) {
                        float s = 0;
                        for (int p = pc; p < Math.min(k, pc + kc); p++) {
                            s = Math.fma(a[aOff + i * aRs + p * aCs], b[bOff + p * bRs + j * bCs], s);
                        }
                        sum = pc == 0 && !accumulate ? s : sum + s;
                    }
                    want[at] = sum;
                }
            }
            return want;
        }

        void assertBits(float[] want, float[] got, String how) {
            String shape = m + "x" + n + "x" + k + ":" + new String[]{"NN", "NT", "TN"}[layout] + ", " + how;
            for (int at = 0; at < want.length; at++) {
                // Gaps and ends hold NaN in both, so the check covers "nothing written outside C" too.
                if (Float.floatToRawIntBits(want[at]) != Float.floatToRawIntBits(got[at])) {
                    int off = at - cOff;
                    assertEquals(want[at], got[at], shape + ": at row " + Math.floorDiv(off, ldc) + ", column "
                            + Math.floorMod(off, ldc) + " (offset " + at + ")");
                    assertEquals(Float.floatToRawIntBits(want[at]), Float.floatToRawIntBits(got[at]),
                            shape + ": sign of zero at offset " + at);
                }
            }
        }
    }

    private static float[] gaussians(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /**
     * Through the GEMM's own dispatch, one thread and two: the in-place path where it applies,
     * the packed one elsewhere, the same bits. Products the GEMM sums in another order are left
     * out: X·Wᵀ of fewer than six rows, and at eight lanes one narrower than a panel with k of
     * two vectors or more (dot products of rows, pinned by PackedGemmOrderTest), and the scalar
     * kernels (plain sums).
     */
    @Test
    void theGemmSumsEveryElementInThePackedOrder() {
        if (!VECTOR) return;
        Random rnd = new Random(5);
        try (Parallel one = Parallel.create(1)) {
            List<int[]> shapes = shapes();
            // Large enough to be split over the pool by rows, or (ten rows) too short to be.
            if (MAX_WORK == Long.MAX_VALUE) shapes.addAll(List.of(new int[]{300, 10, 200}, new int[]{400, 100, 16},
                    new int[]{10, 6000, 10}));
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (int layout = 0; layout < 3; layout++) {
                    if (layout == 1 && (m < 6 || VectorWidth.L == 8 && n < GemmMicroKernels.NR && k >= 16)) continue;
                    Operands o = Operands.of(m, n, k, layout, rnd);
                    for (boolean accumulate : new boolean[]{false, true}) {
                        float[] want = o.model(accumulate);
                        for (Parallel par : new Parallel[]{one, TWO}) {
                            float[] got = o.c.clone();
                            Kernels.get().gemm(par, m, n, k, o.a, o.aOff, o.aRs, o.aCs, o.b, o.bOff, o.bRs, o.bCs,
                                    got, o.cOff, o.ldc, accumulate);
                            o.assertBits(want, got, (accumulate ? "accumulated" : "written") + ", "
                                    + par.threads() + " thread(s)");
                        }
                    }
                }
            }
        }
    }

    /**
     * At 512 bits the classifier's three products take the in-place path (what the GEMM
     * benchmarks measure), and the kernels' warm-up's products (eight and L + 8 rows by 4L - 2 columns,
     * eight rows by ten and by 3L) do not: that path is compiled only by networks that
     * reach it.
     */
    @Test
    void theClassifierTakesThePathAndTheWarmUpDoesNot() {
        int l = VectorWidth.L;
        boolean on = InPlaceGemm.AVAILABLE;
        assertEquals(on, InPlaceGemm.takes(128, 10, 128, 128), "X·Wᵀ 128×10×128");
        assertEquals(on, InPlaceGemm.takes(10, 128, 128, 1), "Δᵀ·X 10×128×128");
        assertEquals(on, InPlaceGemm.takes(128, 128, 10, 1), "Δ·W 128×128×10");
        assertEquals(on, InPlaceGemm.takes(96, 10, 128, 128), "X·Wᵀ of a short last batch");
        int m = GemmMicroKernels.MR + 2, n = 2 * GemmMicroKernels.NR - 2;
        int tall = l + GemmMicroKernels.MR + 2;
        for (int k : new int[]{13, 61, 300}) {
            for (int bCs : new int[]{1, k}) {
                assertEquals(false, InPlaceGemm.takes(m, n, k, bCs), m + "x" + n + "x" + k);
                assertEquals(false, InPlaceGemm.takes(tall, n, k, bCs), tall + "x" + n + "x" + k);
                assertEquals(false, InPlaceGemm.takes(m, 10, k, bCs), m + "x10x" + k);
                assertEquals(false, InPlaceGemm.takes(m, GemmMicroKernels.NR + l, k, bCs), m + "x(NR+L)x" + k);
            }
        }
    }

    /** The in-place path itself at every width, over all rows and over a split of them. */
    @Test
    void theInPlaceKernelsSumEveryElementInThePackedOrder() {
        Random rnd = new Random(7);
        for (int[] s : shapes()) {
            int m = s[0], n = s[1], k = s[2];
            for (int layout = 0; layout < 3; layout++) {
                Operands o = Operands.of(m, n, k, layout, rnd);
                for (boolean accumulate : new boolean[]{false, true}) {
                    float[] want = o.model(accumulate);
                    float[] got = o.c.clone();
                    InPlaceGemm.product(0, m, n, k, o.a, o.aOff, o.aRs, o.aCs, o.b, o.bOff, o.bRs, o.bCs,
                            got, o.cOff, o.ldc, accumulate);
                    o.assertBits(want, got, accumulate ? "accumulated" : "written");
                    // Rows split at a point that is no multiple of any tile's height.
                    float[] split = o.c.clone();
                    int mid = m * 3 / 7;
                    InPlaceGemm.product(0, mid, n, k, o.a, o.aOff, o.aRs, o.aCs, o.b, o.bOff, o.bRs, o.bCs,
                            split, o.cOff, o.ldc, accumulate);
                    InPlaceGemm.product(mid, m, n, k, o.a, o.aOff, o.aRs, o.aCs, o.b, o.bOff, o.bRs, o.bCs,
                            split, o.cOff, o.ldc, accumulate);
                    o.assertBits(want, split, (accumulate ? "accumulated" : "written") + ", rows split at " + mid);
                }
            }
        }
    }
}
