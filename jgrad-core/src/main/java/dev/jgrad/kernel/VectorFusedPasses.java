package dev.jgrad.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused passes on the Vector API (jdk.incubator.vector), loaded by name from
 * {@link FusedPasses} only when the module is readable. Each mirrors the scalar reference's
 * arithmetic operation for operation, so both give the same bits.
 */
final class VectorFusedPasses implements FusedPasses {
    private static final VectorSpecies<Float> FS = VectorWidth.FS;
    private static final int L = VectorWidth.L;
    /** Rounds of {@link #warmUp()}: past C2's invocation thresholds for every pass. */
    private static final int WARM_UP_ROUNDS = 4000;

    @Override
    public String description() {
        return "Vector API fused passes (" + FS.vectorBitSize() + "-bit float vectors)";
    }

    /**
     * Each pass on lengths that are not a multiple of a vector, so the loop tails compile too
     * (or the compiled code would meet them first in real data and fall back to the interpreter).
     */
    @Override
    public void warmUp() {
        int m = 7, n = 30, len = 1283;
        float[] z = new float[m * n], y = new float[m * n], b = new float[n];
        float[] p = new float[len], g = new float[len], s1 = new float[len], s2 = new float[len];
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            biasRelu(z, 0, y, 0, m, n, b, 0);
            reluBackward(z, 0, y, 0, y, 0, m * n);
            adam(p, 0, g, 0, s1, s2, 0, len, 0.9f, 0.999f, 1e-3f, 1f, 1e-8f, 1f, 0f);
        }
    }

    @Override
    public void biasRelu(float[] z, int zOff, float[] y, int yOff, int m, int n, float[] b, int bOff) {
        int bound = FS.loopBound(n);
        FloatVector zero = FloatVector.zero(FS);
        for (int i = 0; i < m; i++) {
            int zi = zOff + i * n, yi = yOff + i * n;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector v = FloatVector.fromArray(FS, z, zi + j).add(FloatVector.fromArray(FS, b, bOff + j));
                v.intoArray(z, zi + j);
                v.max(zero).intoArray(y, yi + j);
            }
            for (; j < n; j++) {
                float v = z[zi + j] + b[bOff + j];
                z[zi + j] = v;
                y[yi + j] = Math.max(v, 0f);
            }
        }
    }

    @Override
    public void reluBackward(float[] z, int zOff, float[] g, int gOff, float[] d, int dOff, int n) {
        int bound = FS.loopBound(n), i = 0;
        FloatVector zero = FloatVector.zero(FS);
        for (; i < bound; i += L) {
            FloatVector zv = FloatVector.fromArray(FS, z, zOff + i);
            zero.blend(FloatVector.fromArray(FS, g, gOff + i), zv.compare(VectorOperators.GT, 0f)).intoArray(d, dOff + i);
        }
        for (; i < n; i++) d[dOff + i] = z[zOff + i] > 0 ? g[gOff + i] : 0f;
    }

    @Override
    public void adam(float[] p, int po, float[] g, int go, float[] m, float[] v, int so, int n,
                     float beta1, float beta2, float stepSize, float bc2Sqrt, float eps, float shrink, float l2) {
        float c1 = 1 - beta1, c2 = 1 - beta2, step = stepSize * bc2Sqrt, epsHat = eps * bc2Sqrt;
        int bound = FS.loopBound(n), i = 0;
        // The same operations in the same order as the scalar loop, so both give the same bits.
        for (; i < bound; i += L) {
            FloatVector pi = FloatVector.fromArray(FS, p, po + i).mul(shrink);
            FloatVector gi = FloatVector.fromArray(FS, g, go + i).add(pi.mul(l2));
            FloatVector mi = FloatVector.fromArray(FS, m, so + i).mul(beta1).add(gi.mul(c1));
            FloatVector vi = FloatVector.fromArray(FS, v, so + i).mul(beta2).add(gi.mul(c2).mul(gi));
            mi.intoArray(m, so + i);
            vi.intoArray(v, so + i);
            pi.sub(mi.mul(step).div(vi.sqrt().add(epsHat))).intoArray(p, po + i);
        }
        // The tail: the reference loop itself, whose arithmetic the vector loop above mirrors.
        ScalarFusedPasses.INSTANCE.adam(p, po + i, g, go + i, m, v, so + i, n - i, beta1, beta2, stepSize, bc2Sqrt, eps, shrink, l2);
    }
}
