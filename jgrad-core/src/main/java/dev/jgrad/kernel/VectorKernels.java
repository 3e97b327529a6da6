package dev.jgrad.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API (jdk.incubator.vector), loaded by name from {@link Kernels} only
 * when the module is readable: the float32 GEMM ({@link VectorGemm}) and the passes over rows
 * and whole buffers, each mirroring the scalar reference's arithmetic.
 *
 * <p>float64 is the dtype of exact checks, not of training: its GEMM stays the reference loop.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final VectorSpecies<Double> DS = VectorWidth.DS;
    private static final int L = VectorWidth.L;
    /** Rounds of {@link #warmUp()}: past C2's invocation thresholds for every kernel it calls. */
    private static final int WARM_UP_ROUNDS = 4000;
    /** Rounds of {@link #warmUpPacked()}: past C2's thresholds for the inference kernels. */
    private static final int PACKED_WARM_UP_ROUNDS = 3000;
    private static final java.util.concurrent.atomic.AtomicBoolean PACKED_WARM = new java.util.concurrent.atomic.AtomicBoolean();

    public VectorKernels() {
        if (FS.vectorBitSize() < 128) {
            throw new UnsupportedOperationException("vectors of " + FS.vectorBitSize() + " bits are too narrow");
        }
    }

    /**
     * Small products in the three layouts (full and edge tiles, both packings of B, the
     * transposed A, one and two blocks of k), one-row products, and the passes over rows and
     * buffers, repeated past the JIT's thresholds. Every loop's tail runs too (k, n and lengths
     * are not multiples of a vector), or the compiled code would meet it first in real data and
     * fall back to the interpreter. The first rounds are short: interpreted vector code is slow.
     */
    @Override
    public void warmUp() {
        // Sizes from this width's tile, so every micro-kernel it has runs: a full tile and a
        // short one down, a full panel and an edge across (and a panel one vector wide below).
        // The long k a multiple of eight, as the MLP's widths are (see the 16 below).
        int m = VectorGemm.MR + 2, n = 2 * VectorGemm.NR - 2, kMax = 296, len = 1283;
        int oneVector = VectorGemm.NR + L;
        // Δᵀ·X packs a transposed A a vector of L rows at a time, which needs at least L + MR - 1
        // rows: at 512 bits the eight above never reach it, and the first real Δᵀ·X then sent
        // the packing back to the interpreter, to be recompiled while training ran.
        int tall = L + VectorGemm.MR + 2;
        float[] a = new float[tall * kMax], b = new float[kMax * n], c = new float[tall * n], v = new float[n];
        float[] g = new float[len], narrowRows = new float[m * 10];
        try (Parallel one = Parallel.create(1)) {
            for (int i = 0; i < WARM_UP_ROUNDS; i++) {
                // 13 and 16 at first: the 8 × 8 transposes end a block inside a group and on one.
                int k = i < WARM_UP_ROUNDS / 4 ? (i % 2 == 0 ? 13 : 16) : i % 8 == 0 ? kMax : 61;
                gemm(one, m, n, k, a, 0, k, 1, b, 0, 1, k, c, 0, n, false);   // X·Wᵀ
                gemm(one, m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, true);    // Δ·W
                gemm(one, m, n, k, a, 0, 1, m, b, 0, n, 1, c, 0, n, false);   // Δᵀ·X
                if (tall > m && i % 2 == 0) gemm(one, tall, n, k, a, 0, 1, tall, b, 0, n, 1, c, 0, n, false);
                gemm(one, 1, n, k, a, 0, k, 1, b, 0, 1, k, c, 0, n, false);   // one sample
                gemm(one, m, 10, k, a, 0, k, 1, b, 0, 1, k, c, 0, 10, false); // the classifier's X·Wᵀ
                gemm(one, m, oneVector, k, a, 0, k, 1, b, 0, oneVector, 1, c, 0, oneVector, false); // a last panel one vector wide
                addColumnSums(c, 0, m, n, v, 0);
                addRowVector(c, 0, m, n, v, 0);
                // Rows narrower than a vector too (a classifier's bias), or the first such call
                // in training would meet an untaken branch.
                addColumnSums(narrowRows, 0, m, 10, v, 0);
                addRowVector(narrowRows, 0, m, 10, v, 0);
                firstNonFinite(g, 0, len);
            }
        }
    }

    /**
     * The inference product's kernels, compiled once per JVM: one row and batches (whole tiles of
     * rows and a remainder), whole panels of W and partial last ones (wider and narrower than a
     * vector), one block of k and two (the branch that adds a later block's sums to C), and the
     * narrow layer's path. Run interpreted or by C1
     * vector code is so slow that a model answering at once from many threads made about fifty
     * calls in three seconds before C2 compiled its kernels (a fraction of a second of one core
     * here).
     */
    @Override
    public void warmUpPacked() {
        if (!PACKED_WARM.compareAndSet(false, true)) return;
        // Every float shape's vector, mask and shuffle classes loaded first: one loaded later (by
        // another pass, at another width) would invalidate what C2 assumed of the abstract
        // vector methods it inlined here, and send the kernels back to the interpreter
        // (measured: "marked for deoptimization", then seconds before C2 had them again).
        for (VectorSpecies<Float> s : java.util.List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128,
                FloatVector.SPECIES_256, FloatVector.SPECIES_512, FloatVector.SPECIES_MAX)) {
            FloatVector v = FloatVector.zero(s);
            float[] out = new float[s.length()];
            v.selectFrom(v, v).blend(v, s.maskAll(true)).rearrange(s.iotaShuffle(0, 1, true)).fma(v, v).intoArray(out, 0, s.maskAll(false));
        }
        // Four whole panels and a partial one wider than a vector, a partial one narrower; two
        // blocks of k from VectorGemm.KC + 1 steps; 13 rows: a whole tile and a short one at
        // either tile height.
        int m = 13, n = 4 * VectorGemm.NR + VectorWidth.L + 3, thin = VectorGemm.NR + 3, narrow = 10;
        int kShort = 61, kLong = VectorGemm.KC + 1;
        float[] a = new float[m * kLong], b = new float[n * kLong], c = new float[m * n];
        try (Parallel one = Parallel.create(1)) {
            float[][] packed = {packTransposed(b, 0, n, kShort), packTransposed(b, 0, n, kLong)};
            float[] packedThin = packTransposed(b, 0, thin, kShort), packedNarrow = packTransposed(b, 0, narrow, kShort);
            for (int i = 0; i < PACKED_WARM_UP_ROUNDS; i++) {
                int which = i % 4 == 3 ? 1 : 0, k = which == 1 ? kLong : kShort;
                gemmPackedNT(one, m, n, k, a, 0, k, packed[which], c, 0, n);
                gemmPackedNT(one, 1, n, k, a, 0, k, packed[which], c, 0, n);
                gemmPackedNT(one, m, thin, kShort, a, 0, kShort, packedThin, c, 0, thin);
                gemmPackedNT(one, m, narrow, kShort, a, 0, kShort, packedNarrow, c, 0, narrow);
                gemmPackedNT(one, 1, narrow, kShort, a, 0, kShort, packedNarrow, c, 0, narrow);
            }
        }
    }

    @Override
    public String description() {
        return "Vector API kernels (" + FS.vectorBitSize() + "-bit float vectors, " + VectorGemm.MR + "x" + VectorGemm.NR + " GEMM micro-kernel)";
    }

    @Override
    public void gemm(Parallel par, int m, int n, int k,
                     float[] a, int aOff, int aRs, int aCs,
                     float[] b, int bOff, int bRs, int bCs,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        VectorGemm.gemm(par, m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
    }

    @Override
    public void gemm(Parallel par, int m, int n, int k,
                     double[] a, int aOff, int aRs, int aCs,
                     double[] b, int bOff, int bRs, int bCs,
                     double[] c, int cOff, int ldc, boolean accumulate) {
        ScalarKernels.INSTANCE.gemm(par, m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
    }

    @Override
    public float[] packTransposed(float[] w, int wOff, int n, int k) {
        return PackedGemm.pack(w, wOff, n, k);
    }

    @Override
    public void gemmPackedNT(Parallel par, int m, int n, int k, float[] a, int aOff, int lda, float[] packed,
                             float[] c, int cOff, int ldc) {
        PackedGemm.product(par, m, n, k, a, aOff, lda, packed, c, cOff, ldc);
    }

    @Override
    public void addRowVector(float[] c, int cOff, int m, int n, float[] v, int vOff) {
        if (n < L) {
            // Rows narrower than a vector (a classifier's bias) apart: C2 hoists the vector loop's
            // range checks out of the row loop as if that loop always ran, which fails on the
            // last rows of a tightly sized C when it does not, and recompiles the method.
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cOff + i * n + j] += v[vOff + j];
            return;
        }
        int bound = FS.loopBound(n);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(FS, c, ci + j).add(FloatVector.fromArray(FS, v, vOff + j)).intoArray(c, ci + j);
            }
            for (; j < n; j++) c[ci + j] += v[vOff + j];
        }
    }

    @Override
    public void addRowVector(double[] c, int cOff, int m, int n, double[] v, int vOff) {
        int bound = DS.loopBound(n), l = DS.length();
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            int j = 0;
            for (; j < bound; j += l) {
                DoubleVector.fromArray(DS, c, ci + j).add(DoubleVector.fromArray(DS, v, vOff + j)).intoArray(c, ci + j);
            }
            for (; j < n; j++) c[ci + j] += v[vOff + j];
        }
    }

    @Override
    public void addColumnSums(float[] a, int aOff, int m, int n, float[] out, int outOff) {
        if (n < L) {
            // Apart, as in addRowVector(float[]...), and in the same order: row by row.
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) out[outOff + j] += a[aOff + i * n + j];
            return;
        }
        int bound = FS.loopBound(n);
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * n;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(FS, out, outOff + j).add(FloatVector.fromArray(FS, a, ai + j)).intoArray(out, outOff + j);
            }
            for (; j < n; j++) out[outOff + j] += a[ai + j];
        }
    }

    @Override
    public void addColumnSums(double[] a, int aOff, int m, int n, double[] out, int outOff) {
        int bound = DS.loopBound(n), l = DS.length();
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * n;
            int j = 0;
            for (; j < bound; j += l) {
                DoubleVector.fromArray(DS, out, outOff + j).add(DoubleVector.fromArray(DS, a, ai + j)).intoArray(out, outOff + j);
            }
            for (; j < n; j++) out[outOff + j] += a[ai + j];
        }
    }

    @Override
    public int firstNonFinite(float[] a, int off, int len) {
        // x·0 is NaN exactly when x is NaN or infinite, and a NaN survives any sum: one
        // multiply-add per vector, tested once per block; only a block that fails is searched.
        // Four sums side by side: one waited on each multiply-add's latency (3 cycles a vector).
        int block = 64 * L, i = 0;
        FloatVector zero = FloatVector.zero(FS);
        for (; i + block <= len; i += block) {
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int j = off + i, end = j + block; j < end; j += 4 * L) {
                a0 = FloatVector.fromArray(FS, a, j).fma(zero, a0);
                a1 = FloatVector.fromArray(FS, a, j + L).fma(zero, a1);
                a2 = FloatVector.fromArray(FS, a, j + 2 * L).fma(zero, a2);
                a3 = FloatVector.fromArray(FS, a, j + 3 * L).fma(zero, a3);
            }
            if (a0.add(a1).add(a2.add(a3)).test(VectorOperators.IS_NAN).anyTrue()) break;
        }
        for (; i < len; i++) if (!Float.isFinite(a[off + i])) return i;
        return -1;
    }

    @Override
    public int firstNonFinite(double[] a, int off, int len) {
        int l = DS.length(), block = 64 * l, i = 0;
        DoubleVector zero = DoubleVector.zero(DS);
        for (; i + block <= len; i += block) {
            DoubleVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int j = off + i, end = j + block; j < end; j += 4 * l) {
                a0 = DoubleVector.fromArray(DS, a, j).fma(zero, a0);
                a1 = DoubleVector.fromArray(DS, a, j + l).fma(zero, a1);
                a2 = DoubleVector.fromArray(DS, a, j + 2 * l).fma(zero, a2);
                a3 = DoubleVector.fromArray(DS, a, j + 3 * l).fma(zero, a3);
            }
            if (a0.add(a1).add(a2.add(a3)).test(VectorOperators.IS_NAN).anyTrue()) break;
        }
        for (; i < len; i++) if (!Double.isFinite(a[off + i])) return i;
        return -1;
    }
}
