package dev.jgrad.kernel;

/** The reference e^x over float32 arrays: the expression {@link FloatExp} promises, in a loop. */
final class ScalarFloatExp implements FloatExp {
    static final ScalarFloatExp INSTANCE = new ScalarFloatExp();

    @Override
    public String description() {
        return "scalar exp";
    }

    @Override
    public void exp(float[] a, int off, int n) {
        for (int i = off, end = off + n; i < end; i++) a[i] = (float) Math.exp(a[i]);
    }
}
