package dev.jgrad.kernel;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chosen kernels against the scalar reference, on awkward sizes, in the three layouts of a
 * dense layer. Run again by the build with 128- and 512-bit vectors forced.
 */
class KernelsTest {
    static final int[] SIZES = {1, 3, 7, 13, 31, 64, 207, 1000};
    static final Kernels VEC = Kernels.get();
    static final Kernels REF = Kernels.scalar();
    static final Parallel TWO = Parallel.create(2);

    @AfterAll
    static void close() {
        TWO.close();
    }

    @Test
    void vectorKernelsAreChosenWhenTheModuleIsPresent() {
        // The build runs every JVM with --add-modules jdk.incubator.vector.
        assertTrue(VEC.description().startsWith("Vector API"), VEC.description());
        String bits = System.getProperty("jgrad.vector.bits");
        if (bits != null) assertTrue(VEC.description().contains(bits + "-bit"), VEC.description());
    }

    /** A forced width the hardware lacks runs emulated, far slower: smaller products then. */
    static final long MAX_WORK = System.getProperty("jgrad.vector.bits") == null ? 2_000_000 : 120_000;

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int m : SIZES) for (int n : SIZES) for (int k : SIZES) {
            // Keep the product affordable for the reference loop; still covers every size on every axis.
            if ((long) m * n * k <= MAX_WORK) b.add(Arguments.of(m, n, k));
        }
        return b.build();
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** Layout 0: NN, 1: NT (B transposed), 2: TN (A transposed). */
    static void run(Kernels k, Parallel par, int layout, int m, int n, int kk, float[] a, float[] b, float[] c, boolean acc) {
        switch (layout) {
            case 0 -> k.gemm(par, m, n, kk, a, 0, kk, 1, b, 0, n, 1, c, 0, n, acc);
            case 1 -> k.gemm(par, m, n, kk, a, 0, kk, 1, b, 0, 1, kk, c, 0, n, acc);
            default -> k.gemm(par, m, n, kk, a, 0, 1, m, b, 0, n, 1, c, 0, n, acc);
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @MethodSource("shapes")
    void gemmMatchesReferenceInAllThreeLayouts(int m, int n, int k) {
        matchesReferenceInAllThreeLayouts(m, n, k, 1);
    }

    /** C (+)= A·B by the chosen kernels against the reference, in each layout, written and accumulated. */
    static void matchesReferenceInAllThreeLayouts(int m, int n, int k, long seed) {
        float[] a = random(m * k, seed), b = random(k * n, seed + 1), c0 = random(m * n, seed + 2);
        for (int layout = 0; layout < 3; layout++) {
            for (boolean acc : new boolean[]{false, true}) {
                float[] want = c0.clone(), got = c0.clone();
                run(REF, TWO, layout, m, n, k, a, b, want, acc);
                run(VEC, TWO, layout, m, n, k, a, b, got, acc);
                // Each term is at most 1 in magnitude: float rounding grows at most like k·eps.
                float tol = 4e-7f * (k + 4);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], tol, m + "x" + n + "x" + k + " layout " + layout + " acc " + acc
                            + " at " + i);
                }
            }
        }
    }

    @Test
    void everyEdgeOfTheMicroKernelMatchesTheReference() {
        // Rows: every remainder of a row panel, one and two panels. Columns: around one vector
        // and one panel, so the narrow and the short kernels and the buffered edge all run.
        // Depths: below, at and past 8 steps, where the register transposes switch to a tail.
        int lanes = VectorGemm.L, panel = VectorGemm.NR;
        int[] ns = java.util.stream.IntStream.of(1, lanes - 1, lanes, lanes + 1, panel - 1, panel, panel + 1,
                panel + lanes, 2 * panel + 1).filter(n -> n > 0).distinct().toArray();
        int[] ks = {1, 7, 8, 9, 16, 17};
        for (int m = 1; m <= 2 * VectorGemm.MR + 1; m++) {
            for (int n : ns) {
                for (int k : ks) matchesReferenceInAllThreeLayouts(m, n, k, 41);
            }
        }
    }

    @Property(tries = 40)
    void gemmResultDoesNotDependOnThreadCount(@ForAll @IntRange(min = 1, max = 200) int m,
                                              @ForAll @IntRange(min = 1, max = 200) int n,
                                              @ForAll @IntRange(min = 1, max = 400) int k) {
        float[] a = random(m * k, m), b = random(k * n, n);
        for (int layout = 0; layout < 3; layout++) {
            float[] one = new float[m * n], two = new float[m * n];
            try (Parallel single = Parallel.create(1)) {
                run(VEC, single, layout, m, n, k, a, b, one, false);
            }
            run(VEC, TWO, layout, m, n, k, a, b, two, false);
            assertArrayEquals(one, two, "layout " + layout);
        }
    }

    @Test
    void wideAndDeepProductsCrossEveryBlockBoundary() {
        // n beyond one packed block of columns, k beyond one block of depth, on one thread and two;
        // the last is a transposed A too large to pack once for all parts, so each part packs its own.
        int[][] cases = {{7, 1100, 300}, {4, 1030, 5}, {30, 2100, 40}, {1030, 7, 1100}};
        for (int[] c : cases) {
            int m = c[0], n = c[1], k = c[2];
            float[] a = random(m * k, 31), b = random(k * n, 32);
            for (int layout = 0; layout < 3; layout++) {
                float[] want = new float[m * n], one = new float[m * n], two = new float[m * n];
                run(REF, TWO, layout, m, n, k, a, b, want, false);
                try (Parallel single = Parallel.create(1)) {
                    run(VEC, single, layout, m, n, k, a, b, one, false);
                }
                run(VEC, TWO, layout, m, n, k, a, b, two, false);
                for (int i = 0; i < want.length; i++) assertEquals(want[i], one[i], 4e-7f * (k + 4), "layout " + layout + " at " + i);
                assertArrayEquals(one, two);
            }
        }
    }

    @Test
    void narrowTransposedProductsDoNotDependOnHowRowsAreSplit() {
        // X·Wᵀ with fewer columns than a packed panel (the classifier) runs as dot products of
        // rows, two by four at a time (four by two for even widths four does not divide): each
        // element must come out the same whichever tile or thread holds it, so rows computed in
        // two calls (split at an odd row) give the same bits. A window of C (offset, leading
        // dimension) and accumulation on top; few rows too.
        int[] ms = {1, 2, 5, 7, 128, 301}, ns = {1, 3, 6, 10, 14, 15}, ks = {16, 37, 128, 300};
        for (int m : ms) for (int n : ns) for (int k : ks) {
            int ldc = n + 3, cOff = 2 * ldc + 1;
            float[] a = random(5 + m * k, m + 7L * k), b = random(3 + n * k, n), c0 = random((m + 3) * ldc, 9);
            for (boolean acc : new boolean[]{false, true}) {
                float[] want = c0.clone(), one = c0.clone(), two = c0.clone(), split = c0.clone();
                REF.gemm(TWO, m, n, k, a, 5, k, 1, b, 3, 1, k, want, cOff, ldc, acc);
                try (Parallel single = Parallel.create(1)) {
                    VEC.gemm(single, m, n, k, a, 5, k, 1, b, 3, 1, k, one, cOff, ldc, acc);
                }
                VEC.gemm(TWO, m, n, k, a, 5, k, 1, b, 3, 1, k, two, cOff, ldc, acc);
                String what = m + "x" + n + "x" + k + " acc " + acc;
                for (int i = 0; i < want.length; i++) assertEquals(want[i], two[i], 4e-7f * (k + 4), what + " at " + i);
                assertArrayEquals(one, two, what);
                if (m >= 13) {
                    VEC.gemm(TWO, 7, n, k, a, 5, k, 1, b, 3, 1, k, split, cOff, ldc, acc);
                    VEC.gemm(TWO, m - 7, n, k, a, 5 + 7 * k, k, 1, b, 3, 1, k, split, cOff + 7 * ldc, ldc, acc);
                    assertArrayEquals(two, split, what + ": rows split at 7");
                }
                if (n % 4 == 2) {
                    // The first columns again as a product of their own, a multiple of four wide
                    // and so tiled the other way: the same bits.
                    int w = n - 2;
                    float[] narrow = c0.clone();
                    VEC.gemm(TWO, m, w, k, a, 5, k, 1, b, 3, 1, k, narrow, cOff, ldc, acc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < w; j++) {
                            int at = cOff + i * ldc + j;
                            assertEquals(two[at], narrow[at], 0f, what + ": as " + w + " columns at " + i + "," + j);
                        }
                    }
                }
            }
        }
        // Large enough to split rows over the pool.
        int m = 3001, n = 10, k = 128;
        float[] a = random(m * k, 51), b = random(n * k, 52), one = new float[m * n], two = new float[m * n];
        try (Parallel single = Parallel.create(1)) {
            VEC.gemm(single, m, n, k, a, 0, k, 1, b, 0, 1, k, one, 0, n, false);
        }
        VEC.gemm(TWO, m, n, k, a, 0, k, 1, b, 0, 1, k, two, 0, n, false);
        assertArrayEquals(one, two);
    }

    @Test
    void gemmHonoursOffsetsAndLeadingDimension() {
        // C is a 3x4 window at (1, 2) of a 5x9 matrix; A and B start at offsets.
        int m = 3, n = 4, k = 5, ldc = 9;
        float[] a = random(7 + m * k, 4), b = random(11 + k * n, 5);
        float[] want = new float[5 * ldc], got = new float[5 * ldc];
        REF.gemm(TWO, m, n, k, a, 7, k, 1, b, 11, n, 1, want, ldc + 2, ldc, false);
        VEC.gemm(TWO, m, n, k, a, 7, k, 1, b, 11, n, 1, got, ldc + 2, ldc, false);
        assertArrayEquals(want, got, 1e-5f);
        for (int i = 0; i < want.length; i++) {
            int r = i / ldc, col = i % ldc;
            if (r < 1 || r > 3 || col < 2 || col > 5) assertEquals(0f, got[i], "outside the window at " + i);
        }
    }

    @Test
    void largeProductsHonourOffsetsLeadingDimensionAndAccumulation() {
        // Large enough for the two-phase parallel product (packed A and B shared, tiles of C), with
        // C a 100x90 window at (3, 5) of a 110x101 matrix and A, B starting at offsets.
        int m = 100, n = 90, k = 70, ldc = 101, cOff = 3 * ldc + 5;
        float[] a = random(9 + m * k, 41), b = random(13 + k * n, 42), c0 = random(110 * ldc, 43);
        for (int layout = 0; layout < 3; layout++) {
            int aRs = layout == 2 ? 1 : k, aCs = layout == 2 ? m : 1, bRs = layout == 1 ? 1 : n, bCs = layout == 1 ? k : 1;
            for (boolean acc : new boolean[]{false, true}) {
                float[] want = c0.clone(), one = c0.clone(), two = c0.clone();
                REF.gemm(TWO, m, n, k, a, 9, aRs, aCs, b, 13, bRs, bCs, want, cOff, ldc, acc);
                try (Parallel single = Parallel.create(1)) {
                    VEC.gemm(single, m, n, k, a, 9, aRs, aCs, b, 13, bRs, bCs, one, cOff, ldc, acc);
                }
                VEC.gemm(TWO, m, n, k, a, 9, aRs, aCs, b, 13, bRs, bCs, two, cOff, ldc, acc);
                for (int i = 0; i < want.length; i++) {
                    int r = i / ldc, col = i % ldc;
                    boolean inside = r >= 3 && r < 3 + m && col >= 5 && col < 5 + n;
                    if (inside) assertEquals(want[i], two[i], 4e-7f * (k + 4), "layout " + layout + " acc " + acc + " at " + i);
                    else assertEquals(c0[i], two[i], 0f, "outside the window at " + i);
                }
                assertArrayEquals(one, two, "layout " + layout + " acc " + acc);
            }
        }
    }

    @Test
    void warmUpRunsEveryKernelAtThisVectorWidthAndChangesNothing() {
        float[] a = random(40 * 30, 51), b = random(30 * 50, 52), before = new float[40 * 50], after = new float[40 * 50];
        VEC.gemm(TWO, 40, 50, 30, a, 0, 30, 1, b, 0, 50, 1, before, 0, 50, false);
        VEC.warmUp();
        VEC.gemm(TWO, 40, 50, 30, a, 0, 30, 1, b, 0, 50, 1, after, 0, 50, false);
        assertArrayEquals(before, after);
    }

    @Test
    void gemmWithZeroDepthClearsOrKeeps() {
        float[] c = {1, 2, 3, 4};
        VEC.gemm(TWO, 2, 2, 0, new float[0], 0, 0, 1, new float[0], 0, 2, 1, c, 0, 2, true);
        assertArrayEquals(new float[]{1, 2, 3, 4}, c);
        VEC.gemm(TWO, 2, 2, 0, new float[0], 0, 0, 1, new float[0], 0, 2, 1, c, 0, 2, false);
        assertArrayEquals(new float[4], c);
    }

    @Test
    void doubleGemmMatchesAHandComputedProduct() {
        double[] a = {1, 2, 3, 4, 5, 6};          // 2x3
        double[] b = {7, 8, 9, 10, 11, 12};       // 3x2
        double[] c = new double[4];
        VEC.gemm(TWO, 2, 2, 3, a, 0, 3, 1, b, 0, 2, 1, c, 0, 2, false);
        assertArrayEquals(new double[]{58, 64, 139, 154}, c);
    }

    @Test
    void rowVectorsColumnSumsAndFiniteChecksMatchReference() {
        for (int m : SIZES) {
            for (int n : SIZES) {
                if ((long) m * n > 300_000) continue;
                float[] c = random(m * n, 6), v = random(n, 7);
                float[] want = c.clone(), got = c.clone();
                REF.addRowVector(want, 0, m, n, v, 0);
                VEC.addRowVector(got, 0, m, n, v, 0);
                assertArrayEquals(want, got);
                float[] sWant = random(n, 8), sGot = sWant.clone();
                REF.addColumnSums(c, 0, m, n, sWant, 0);
                VEC.addColumnSums(c, 0, m, n, sGot, 0);
                assertArrayEquals(sWant, sGot);

                double[] dc = new double[m * n], dv = new double[n];
                for (int i = 0; i < dc.length; i++) dc[i] = c[i];
                for (int i = 0; i < n; i++) dv[i] = v[i];
                double[] dWant = dc.clone(), dGot = dc.clone();
                REF.addRowVector(dWant, 0, m, n, dv, 0);
                VEC.addRowVector(dGot, 0, m, n, dv, 0);
                assertArrayEquals(dWant, dGot);
                double[] dsWant = new double[n], dsGot = new double[n];
                REF.addColumnSums(dc, 0, m, n, dsWant, 0);
                VEC.addColumnSums(dc, 0, m, n, dsGot, 0);
                assertArrayEquals(dsWant, dsGot);
            }
            float[] f = random(m, 9);
            assertEquals(-1, VEC.firstNonFinite(f, 0, m));
            f[m - 1] = Float.POSITIVE_INFINITY;
            assertEquals(m - 1, VEC.firstNonFinite(f, 0, m));
            f[m / 2] = Float.NaN;
            assertEquals(m / 2, VEC.firstNonFinite(f, 0, m));
            double[] d = new double[m];
            assertEquals(-1, VEC.firstNonFinite(d, 0, m));
            d[m - 1] = Double.NaN;
            assertEquals(m - 1, VEC.firstNonFinite(d, 0, m));
            assertEquals(m - 1, REF.firstNonFinite(d, 0, m));
        }
    }

    @Test
    void firstNonFiniteFindsTheFirstBadValueInAnyBlock() {
        // The vector search tests whole blocks at once; bad values at block edges, in the tail,
        // after an offset, and several in one block must still give the first index.
        for (int len : new int[]{511, 512, 513, 2047, 4099}) {
            for (int at : new int[]{0, 1, 255, 256, 511, 512, len / 2, len - 1}) {
                if (at >= len) continue;
                for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float[] f = random(len + 3, 21);
                    f[3 + at] = bad;
                    if (at + 7 < len) f[3 + at + 7] = Float.NaN;
                    assertEquals(at, VEC.firstNonFinite(f, 3, len), "float, length " + len + ", bad at " + at);
                    double[] d = new double[len + 5];
                    d[5 + at] = bad;
                    assertEquals(at, VEC.firstNonFinite(d, 5, len), "double, length " + len + ", bad at " + at);
                }
            }
            assertEquals(-1, VEC.firstNonFinite(random(len, 22), 0, len));
            float[] huge = new float[len];
            java.util.Arrays.fill(huge, Float.MAX_VALUE);
            assertEquals(-1, VEC.firstNonFinite(huge, 0, len), "the largest finite values are finite");
        }
    }
}
