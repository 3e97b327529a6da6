package dev.jgrad.kernel;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector exp against {@code (float) Math.exp} bit for bit: the edge cases, a few million
 * sampled floats, and the lanes whose rounding it leaves to {@code Math.exp}. Run again by the
 * build at each forced vector width; the vector class is tested directly in the scalar run too.
 * {@code ExpCheck} (jgrad-bench) covers all 2³² floats.
 */
class FloatExpTest {
    static final VectorFloatExp VEC = new VectorFloatExp();

    /** The lanes run only once warmed up (before, exp takes the scalar loop): so every test here reaches them. */
    @BeforeAll
    static void warmUp() {
        VEC.warmUp();
    }

    static float reference(float x) {
        return (float) Math.exp(x);
    }

    /** Runs {@code exp} over xs at offset 3 of a longer array, with sentinels either side untouched. */
    static void assertSameBits(FloatExp e, float[] xs) {
        float[] a = new float[xs.length + 5];
        a[0] = a[1] = a[2] = 7f;
        a[a.length - 2] = a[a.length - 1] = 9f;
        System.arraycopy(xs, 0, a, 3, xs.length);
        e.exp(a, 3, xs.length);
        for (int i = 0; i < xs.length; i++) {
            int want = Float.floatToRawIntBits(reference(xs[i])), got = Float.floatToRawIntBits(a[3 + i]);
            if (want != got) {
                fail(e.description() + ": exp(" + xs[i] + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(xs[i]))
                        + ") gave " + a[3 + i] + ", (float) Math.exp gives " + reference(xs[i]));
            }
        }
        assertEquals(7f, a[2]);
        assertEquals(9f, a[a.length - 2]);
    }

    static float[] edgeCases() {
        List<Float> v = new ArrayList<>();
        float[] base = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001),
                1f, -1f, 0.5f, -0.5f, 1e-8f, -1e-8f, 1e-30f, -1e-30f,
                (float) VectorFloatExp.LO, (float) VectorFloatExp.HI, (float) VectorFloatExp.ZERO_BELOW,
                -87.33654f, -87.33655f, -103.97207f, -103.97208f, -103.279f, 88.72283f, 88.72284f, 88.7229f, 89f,
                -100f, -120f, -150f, 100f, 1000f, -1e10f, 1e10f};
        for (float b : base) {
            v.add(b);
            v.add(Math.nextUp(b));
            v.add(Math.nextDown(b));
        }
        // Where n = rint(x / ln 2) changes: k·ln 2 and (k + ½)·ln 2 and their neighbours.
        for (int k = -151; k <= 128; k++) {
            for (double h : new double[]{0, 0.5}) {
                float x = (float) ((k + h) * Math.log(2));
                v.add(x);
                v.add(Math.nextUp(x));
                v.add(Math.nextDown(x));
            }
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    @Test
    void theChosenExpIsTheVectorOneWithTheVectorKernels() {
        FloatExp chosen = FloatExp.get();
        if ("scalar".equalsIgnoreCase(System.getProperty("jgrad.kernels"))) {
            assertEquals("scalar exp", chosen.description());
        } else {
            assertTrue(chosen.description().startsWith("Vector API"), chosen.description());
            String bits = System.getProperty("jgrad.vector.bits");
            if (bits != null) assertTrue(chosen.description().contains(bits + "-bit"), chosen.description());
        }
    }

    @Test
    void edgeCasesGiveMathExpsBits() {
        float[] xs = edgeCases();
        assertSameBits(VEC, xs);
        assertSameBits(FloatExp.get(), xs);
        // Every length and offset, so each lane position and the scalar tail see each case.
        for (int len = 0; len <= 2 * VectorFloatExp.lanes() + 1; len++) {
            for (int start = 0; start + len <= xs.length; start += 7) {
                assertSameBits(VEC, java.util.Arrays.copyOfRange(xs, start, start + len));
            }
        }
    }

    @Test
    void sampledFloatsGiveMathExpsBits() {
        SplittableRandom rnd = new SplittableRandom(20261203);
        int n = 1 << 20;
        float[] bits = new float[n], wide = new float[n], softmax = new float[n];
        for (int i = 0; i < n; i++) {
            bits[i] = Float.intBitsToFloat(rnd.nextInt());
            wide[i] = (float) rnd.nextDouble(-110, 95);
            softmax[i] = (float) -rnd.nextDouble(0, 30);
        }
        assertSameBits(VEC, bits);
        assertSameBits(VEC, wide);
        assertSameBits(VEC, softmax);
        assertSameBits(FloatExp.get(), wide);
    }

    /**
     * Once compiled, the vector exp allocates nothing, its recomputed lanes included (softmax runs
     * it on every call): rounds of calls until one measures zero bytes, which C2's code gives.
     */
    @Test
    void aWarmExpAllocatesNothing() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        float[] src = new float[1283], a = new float[src.length];
        for (int i = 0; i < src.length; i++) src[i] = -30f + i * 0.03f;
        src[5] = Float.NaN;
        src[9] = -95f;
        src[11] = 100f;
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 40 && least > 0; round++) {
            for (int i = 0; i < 5000; i++) {
                System.arraycopy(src, 0, a, 0, a.length);
                VEC.exp(a, 0, a.length);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1000; i++) {
                System.arraycopy(src, 0, a, 0, a.length);
                VEC.exp(a, 0, a.length);
            }
            least = Math.min(least, mx.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0, least, "bytes allocated by 1,000 warm calls");
    }

    /**
     * The class comment's bound, observed: in range, the double result is within 303 doubles of
     * {@code Math.exp}; and lanes near a float midpoint exist and are right.
     */
    @Test
    void theDoubleResultKeepsItsBoundAndLanesNearAMidpointAreRecomputed() {
        int lanes = VectorFloatExp.lanes(), n = 1 << 16;
        float[] x = new float[n];
        double[] y = new double[n];
        long worst = 0;
        List<Float> nearMidpoint = new ArrayList<>();
        float start = (float) VectorFloatExp.LO;
        for (int chunk = 0; chunk < 48 && start < VectorFloatExp.HI; chunk++) {
            // Consecutive floats from a point spread over the range, a lane-multiple at a time.
            for (int i = 0; i < n; i++) x[i] = Float.intBitsToFloat(Float.floatToRawIntBits(start) + (start < 0 ? -i : i));
            VectorFloatExp.core(x, 0, n / lanes * lanes, y);
            for (int i = 0; i < n; i++) {
                if (!(x[i] >= VectorFloatExp.LO && x[i] <= VectorFloatExp.HI)) continue;
                long d = Math.abs(Double.doubleToRawLongBits(y[i]) - Double.doubleToRawLongBits(Math.exp(x[i])));
                worst = Math.max(worst, d);
                long low = Double.doubleToRawLongBits(y[i]) & ((1L << 29) - 1);
                if (Math.abs(low - (1L << 28)) <= VectorFloatExp.GUARD) nearMidpoint.add(x[i]);
            }
            start = start + (float) ((VectorFloatExp.HI - VectorFloatExp.LO) / 48);
        }
        assertTrue(worst <= 303, "the double result strayed " + worst + " doubles from Math.exp");
        assertTrue(!nearMidpoint.isEmpty(), "no lane near a midpoint among the samples");
        float[] xs = new float[nearMidpoint.size()];
        for (int i = 0; i < xs.length; i++) xs[i] = nearMidpoint.get(i);
        assertSameBits(VEC, xs);
        assertSameBits(FloatExp.get(), xs);
    }
}
