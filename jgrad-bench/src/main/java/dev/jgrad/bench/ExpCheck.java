package dev.jgrad.bench;

import dev.jgrad.kernel.FloatExp;
import dev.jgrad.kernel.Kernels;

import java.util.Locale;

/**
 * Checks the chosen {@link FloatExp} against {@code (float) Math.exp(x)} over all 2³² float bit
 * patterns (every NaN payload, both zeros and infinities, every subnormal), comparing raw bits.
 * The floats go through in blocks of 65,536 (a fixed upper half of the bit pattern, every lower
 * half), so each block is a whole number of vectors. Prints the implementation, the number of
 * mismatches (listing the first ten) and the time taken, and exits with status 1 on any mismatch.
 * Run it at each width with {@code -Djgrad.vector.bits=128|256|512}.
 *
 * <p>Usage: {@code ExpCheck [first-block=0] [blocks=65536]}.
 */
public final class ExpCheck {
    private ExpCheck() {
    }

    public static void main(String[] args) {
        int first = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 1 << 16;
        if (first < 0 || blocks < 0 || first + blocks > 1 << 16) throw new IllegalArgumentException("blocks out of 0..65536");
        FloatExp exp = FloatExp.get();
        exp.warmUp(); // until then it takes the scalar loop
        System.out.printf(Locale.ROOT, "%s; %s; %s %s; blocks %d..%d of 65536%n", exp.description(),
                Kernels.get().description(), System.getProperty("java.vm.name"), Runtime.version(), first,
                first + blocks - 1);
        float[] a = new float[1 << 16];
        long mismatches = 0, nanResults = 0;
        long t0 = System.nanoTime();
        for (int hi = first; hi < first + blocks; hi++) {
            for (int lo = 0; lo < a.length; lo++) a[lo] = Float.intBitsToFloat(hi << 16 | lo);
            exp.exp(a, 0, a.length);
            for (int lo = 0; lo < a.length; lo++) {
                float x = Float.intBitsToFloat(hi << 16 | lo);
                float want = (float) Math.exp(x);
                if (want != want) nanResults++;
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(a[lo])) {
                    if (mismatches++ < 10) {
                        System.out.printf(Locale.ROOT, "  mismatch: x = %s (0x%08x): %s (0x%08x), Math.exp gives %s (0x%08x)%n",
                                x, Float.floatToRawIntBits(x), a[lo], Float.floatToRawIntBits(a[lo]), want,
                                Float.floatToRawIntBits(want));
                    }
                }
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%,d floats checked in %.1f s: %d mismatches (%,d of them NaN results compared bit for bit)%n",
                (long) blocks << 16, s, mismatches, nanResults);
        if (mismatches > 0) System.exit(1);
    }
}
