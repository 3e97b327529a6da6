package dev.jgrad.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatExp} on the Vector API: e^x in double lanes, rounded to float, equal to
 * {@code (float) Math.exp(x)} for every float x. Loaded by name, only when the module is readable.
 *
 * <p><b>The double result.</b> For x in [{@value #LO}, {@value #HI}]: n = rint(x / ln 2) (the
 * product rounded to an integer by adding 1.5·2⁵²), r = x − n·ln 2 with ln 2 as a sum of two
 * doubles (two fused multiply-adds, each rounded once: |r − (x − n ln 2)| ≤ 2⁻⁵⁴, |r| ≤ 0.34658),
 * then e^r by its Taylor polynomial of degree 11 in Horner's form with fused multiply-adds, and
 * y = that · 2ⁿ (exact: 2ⁿ is a normal double for n in [−126, 127], and so is y). Relative
 * errors against e^x: the Taylor remainder at most |r|¹²/12!·e^(2|r|) ≤ 2⁻⁴⁶·¹⁸; the twelve
 * roundings of the Horner steps and of the coefficients 1/k! at most 24·2⁻⁵³ = 2⁻⁴⁸·⁴ (each step's
 * rounding relative to a partial sum at most e^|r|, against e^r ≥ e^−|r|); the reduction 2⁻⁵⁴.
 * So |y − e^x| ≤ 2⁻⁴⁵·⁸·e^x, which is at most 2⁵⁴·2⁻⁴⁵·⁸ < 300 doubles away from e^x (the
 * doubles' spacing is at least 2⁻⁵⁴ of the value, the halved spacing below a power of two
 * included), and {@code Math.exp(x)} is within one ulp of e^x (its specification): y and
 * {@code Math.exp(x)} are at most 303 doubles apart, counted in the ordering of their bit
 * patterns.
 *
 * <p><b>The float rounding.</b> Over that range e^x lies between 2⁻¹²⁶ and 2¹²⁷, where float is
 * normal; rounding a double there to float (to nearest, ties to even) changes its result only
 * at a double whose low 29 significand bits are 2²⁸, the midpoint between two floats (the
 * overflow threshold is one too). A lane whose low 29 bits are more than {@value #GUARD} away
 * from 2²⁸ has no such double within 303 of it, so y and {@code Math.exp(x)} round to the same
 * float; a lane closer than that (about 4 in a million) is recomputed as
 * {@code (float) Math.exp(x)}. Lanes outside the range: x below {@value #ZERO_BELOW} (−∞
 * included) give +0 (e^x &lt; 0.973·2⁻¹⁵⁰ there, so {@code Math.exp} rounds to 0 too); NaN,
 * x &gt; {@value #HI} (float overflow from 88.72) and x in [{@value #ZERO_BELOW}, {@value #LO})
 * (subnormal results from −87.34) are recomputed as {@code (float) Math.exp(x)}. Zeros of either
 * sign and subnormal x give r = x and y = 1 exactly, as {@code Math.exp} does.
 *
 * <p>{@code ExpCheck} (jgrad-bench) compares this with {@code (float) Math.exp} over all 2³²
 * float bit patterns.
 */
final class VectorFloatExp implements FloatExp {
    private static final VectorSpecies<Double> DS = VectorWidth.DS;
    /** Floats with as many lanes as DS: half its bits. */
    private static final VectorSpecies<Float> HS = VectorSpecies.of(float.class,
            VectorShape.forBitSize(DS.vectorBitSize() / 2));
    private static final int N = DS.length();
    /**
     * Whether the lanes run at all: at 128 bits the float-to-double conversion takes a 64-bit
     * float vector, which C2 does not compile to vector instructions on x86 (every call then
     * allocated about 700 bytes per element and ran a hundred times slower than the scalar
     * loop), so there the scalar loop runs instead: the same bits.
     */
    private static final boolean LANES = DS.vectorBitSize() >= 256;
    /** Rounds of {@link #warmUp()}: past C2's thresholds. */
    private static final int WARM_UP_ROUNDS = 4000;
    private static final java.util.concurrent.atomic.AtomicBoolean WARM = new java.util.concurrent.atomic.AtomicBoolean();

    /** Lanes computed in double below this bound... */
    static final double LO = -87.0;
    /** ...and above this one. */
    static final double HI = 88.0;
    /** Below this e^x rounds to float 0. */
    static final double ZERO_BELOW = -104.0;
    /** How far (in doubles) a lane's low 29 bits may come to 2²⁸ before it is recomputed: above 303. */
    static final long GUARD = 1024;
    private static final long MIDPOINT = 1L << 28;
    private static final long LOW_BITS = (1L << 29) - 1;

    private static final double INV_LN2 = 0x1.71547652b82fep0;
    /** ln 2 = LN2_HI + LN2_LO to within 2⁻¹¹⁰. */
    private static final double LN2_HI = 0x1.62e42fefa39efp-1;
    private static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** 1.5·2⁵²: adding it rounds a double below 2⁵¹ in magnitude to an integer, held in the low bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);

    public VectorFloatExp() {
        if (DS.vectorBitSize() < 128) {
            throw new UnsupportedOperationException("vectors of " + DS.vectorBitSize() + " bits are too narrow");
        }
    }

    @Override
    public String description() {
        return LANES ? "Vector API exp (" + DS.vectorBitSize() + "-bit double vectors)"
                : "Vector API exp at " + DS.vectorBitSize() + "-bit vectors: the scalar loop";
    }

    /**
     * Until {@link #warmUp()} has run, {@link #exp} takes the scalar loop, which gives the same
     * bits: a JVM that never warms it up (a one-row {@code jgrad predict}, a training run's
     * evaluation) then loads no double or long vector classes and runs no vector code
     * interpreted. Run cold, the first calls cost more than the lanes save: loading and
     * initialising those classes added about 55 ms to a one-row prediction, and the warm-up
     * itself (the lanes run interpreted until C2 has compiled them) takes about 0.6 s of one
     * core, which only a JVM that goes on predicting (an {@code InferenceModel}) pays back.
     */
    private static volatile boolean ready;

    @Override
    public void exp(float[] a, int off, int n) {
        if (ready) {
            lanes(a, off, n);
        } else {
            for (int i = off, end = off + n; i < end; i++) a[i] = (float) Math.exp(a[i]);
        }
    }

    /** {@link #exp} in lanes, whether warmed up or not. */
    void lanes(float[] a, int off, int n) {
        int i = off, end = off + n;
        for (int bound = LANES ? off + (n - n % N) : off; i < bound; i += N) {
            FloatVector xf = FloatVector.fromArray(HS, a, i);
            DoubleVector x = (DoubleVector) xf.convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector y = core(x);
            LongVector low = y.reinterpretAsLongs().and(LOW_BITS);
            VectorMask<Double> near = low.compare(VectorOperators.GE, MIDPOINT - GUARD)
                    .and(low.compare(VectorOperators.LE, MIDPOINT + GUARD)).cast(DS);
            VectorMask<Double> inRange = x.compare(VectorOperators.GE, LO).and(x.compare(VectorOperators.LE, HI));
            VectorMask<Double> zero = x.compare(VectorOperators.LT, ZERO_BELOW);
            VectorMask<Double> fix = inRange.andNot(near).or(zero).not();
            FloatVector f = (FloatVector) y.convertShape(VectorOperators.D2F, HS, 0);
            f.blend(0f, zero.cast(HS)).intoArray(a, i);
            if (fix.anyTrue()) {
                for (long m = fix.toLong(); m != 0; m &= m - 1) {
                    int j = Long.numberOfTrailingZeros(m);
                    a[i + j] = (float) Math.exp(xf.lane(j));
                }
            }
        }
        for (; i < end; i++) a[i] = (float) Math.exp(a[i]);
    }

    /** e^x to within 2⁻⁴⁵·⁸ of its value for x in [LO, HI] (the class comment); anything elsewhere. */
    static DoubleVector core(DoubleVector x) {
        DoubleVector t = x.fma(INV_LN2, SHIFTER);
        DoubleVector k = t.sub(SHIFTER);
        DoubleVector r = k.fma(DoubleVector.broadcast(DS, -LN2_HI), x);
        r = k.fma(DoubleVector.broadcast(DS, -LN2_LO), r);
        DoubleVector p = DoubleVector.broadcast(DS, 1.0 / 39916800);
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 3628800));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 362880));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 40320));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 5040));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 720));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 120));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 24));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0 / 6));
        p = p.fma(r, DoubleVector.broadcast(DS, 0.5));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0));
        p = p.fma(r, DoubleVector.broadcast(DS, 1.0));
        // 2ⁿ from n's bits in t: exponent field n + 1023.
        DoubleVector scale = t.reinterpretAsLongs().add(1023 - SHIFTER_BITS).lanewise(VectorOperators.LSHL, 52)
                .reinterpretAsDoubles();
        return p.mul(scale);
    }

    /** {@link #core} over x[off ..] into y[0 .. n) (n a multiple of the lanes): the double results, for tests. */
    static void core(float[] x, int off, int n, double[] y) {
        for (int i = 0; i < n; i += N) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(HS, x, off + i).convertShape(VectorOperators.F2D, DS, 0);
            core(v).intoArray(y, i);
        }
    }

    /** Lanes per step. */
    static int lanes() {
        return N;
    }

    /**
     * Every branch on lengths that are not a multiple of a vector: lanes in range, below it,
     * zero, NaN and overflowing ones recomputed, and the scalar tail. Once per JVM.
     */
    @Override
    public void warmUp() {
        if (!LANES || !WARM.compareAndSet(false, true)) return;
        float[] src = new float[37], a = new float[src.length];
        for (int i = 0; i < src.length; i++) src[i] = -110f + 6.1f * i;
        src[3] = Float.NaN;
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            System.arraycopy(src, 0, a, 0, src.length);
            lanes(a, 0, a.length);
        }
        ready = true;
    }
}
