package dev.jgrad.kernel;

import org.junit.jupiter.api.Test;

import static dev.jgrad.kernel.KernelsTest.SIZES;
import static dev.jgrad.kernel.KernelsTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chosen fused passes against the scalar reference, bit for bit, on awkward sizes. Run again
 * by the build with 128- and 512-bit vectors forced.
 */
class FusedPassesTest {
    static final FusedPasses VEC = FusedPasses.get();
    static final FusedPasses REF = FusedPasses.scalar();

    @Test
    void vectorPassesAreChosenWithTheVectorKernels() {
        assertTrue(VEC.description().startsWith("Vector API"), VEC.description());
        String bits = System.getProperty("jgrad.vector.bits");
        if (bits != null) assertTrue(VEC.description().contains(bits + "-bit"), VEC.description());
    }

    @Test
    void fusedAdamMatchesTheReferenceBitForBit() {
        for (int n : SIZES) {
            float[] p = random(n, 11), g = random(n, 12), m = random(n, 13), v = random(n, 14);
            for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]);
            float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
            REF.adam(p, 0, g, 0, m, v, 0, n, 0.9f, 0.999f, 0.01f, 0.03f, 1e-8f, 0.999f, 0.01f);
            VEC.adam(p2, 0, g, 0, m2, v2, 0, n, 0.9f, 0.999f, 0.01f, 0.03f, 1e-8f, 0.999f, 0.01f);
            assertArrayEquals(p, p2, "parameters, n=" + n);
            assertArrayEquals(m, m2);
            assertArrayEquals(v, v2);
        }
    }

    @Test
    void reluPassesMatchTheReference() {
        for (int m : new int[]{1, 3, 13}) {
            for (int n : SIZES) {
                float[] z = random(m * n, 21), b = random(n, 22), y1 = new float[m * n], y2 = new float[m * n];
                float[] z2 = z.clone();
                REF.biasRelu(z, 0, y1, 0, m, n, b, 0);
                VEC.biasRelu(z2, 0, y2, 0, m, n, b, 0);
                assertArrayEquals(z, z2);
                assertArrayEquals(y1, y2);
                for (float v : y1) assertTrue(v >= 0);
                float[] g = random(m * n, 23), d1 = new float[m * n], d2 = new float[m * n];
                REF.reluBackward(z, 0, g, 0, d1, 0, m * n);
                VEC.reluBackward(z, 0, g, 0, d2, 0, m * n);
                assertArrayEquals(d1, d2);
                for (int i = 0; i < m * n; i++) assertEquals(z[i] > 0 ? g[i] : 0f, d1[i]);
            }
        }
    }

    @Test
    void warmUpRunsEveryPassAtThisVectorWidthAndChangesNothing() {
        float[] p = random(1000, 31), g = random(1000, 32), before = p.clone(), after = p.clone();
        VEC.adam(before, 0, g, 0, new float[1000], new float[1000], 0, 1000, 0.9f, 0.999f, 1e-3f, 0.5f, 1e-8f, 1f, 0f);
        VEC.warmUp();
        VEC.adam(after, 0, g, 0, new float[1000], new float[1000], 0, 1000, 0.9f, 0.999f, 1e-3f, 0.5f, 1e-8f, 1f, 0f);
        assertArrayEquals(before, after);
    }
}
