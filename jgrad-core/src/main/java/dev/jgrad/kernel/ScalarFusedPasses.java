package dev.jgrad.kernel;

/**
 * The reference fused passes: plain loops, written to be obviously right. They are the oracle
 * the Vector API passes are tested against, and the fallback where the Vector API is not
 * available.
 */
final class ScalarFusedPasses implements FusedPasses {
    static final ScalarFusedPasses INSTANCE = new ScalarFusedPasses();

    @Override
    public String description() {
        return "scalar fused passes";
    }

    @Override
    public void biasRelu(float[] z, int zOff, float[] y, int yOff, int m, int n, float[] b, int bOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float v = z[zOff + i * n + j] + b[bOff + j];
                z[zOff + i * n + j] = v;
                y[yOff + i * n + j] = Math.max(v, 0f);
            }
        }
    }

    @Override
    public void reluBackward(float[] z, int zOff, float[] g, int gOff, float[] d, int dOff, int n) {
        for (int i = 0; i < n; i++) d[dOff + i] = z[zOff + i] > 0 ? g[gOff + i] : 0f;
    }

    @Override
    public void adam(float[] p, int po, float[] g, int go, float[] m, float[] v, int so, int n,
                     float beta1, float beta2, float stepSize, float bc2Sqrt, float eps, float shrink, float l2) {
        // stepSize·m / (√v / bc2Sqrt + eps) as (stepSize·bc2Sqrt)·m / (√v + eps·bc2Sqrt): see FusedPasses.adam.
        float c1 = 1 - beta1, c2 = 1 - beta2, step = stepSize * bc2Sqrt, epsHat = eps * bc2Sqrt;
        for (int i = 0; i < n; i++) {
            float pi = p[po + i] * shrink;
            float gi = g[go + i] + l2 * pi;
            float mi = beta1 * m[so + i] + c1 * gi;
            float vi = beta2 * v[so + i] + c2 * gi * gi;
            m[so + i] = mi;
            v[so + i] = vi;
            p[po + i] = pi - mi * step / ((float) Math.sqrt(vi) + epsHat);
        }
    }
}
