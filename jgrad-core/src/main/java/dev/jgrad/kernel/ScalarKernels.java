package dev.jgrad.kernel;

/**
 * The reference kernels: plain loops, no blocking, written to be obviously right. They are the
 * oracle the Vector API kernels are tested against, the float64 path of exact checks, and the
 * fallback where the Vector API is not available. Each output row belongs to one task, so the
 * result does not depend on the thread count.
 */
final class ScalarKernels implements Kernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    /** Below this many multiply-adds a parallel dispatch costs more than it saves. */
    private static final long PARALLEL_WORK = 1 << 15;

    @Override
    public String description() {
        return "scalar kernels";
    }

    private static int tasks(Parallel par, int m, long work) {
        return work < PARALLEL_WORK ? 1 : Math.min(m, par.threads() * 4);
    }

    @Override
    public void gemm(Parallel par, int m, int n, int k,
                     float[] a, int aOff, int aRs, int aCs,
                     float[] b, int bOff, int bRs, int bCs,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        int tasks = tasks(par, m, (long) m * n * k);
        par.run(tasks, t -> {
            int i0 = (int) ((long) m * t / tasks), i1 = (int) ((long) m * (t + 1) / tasks);
            for (int i = i0; i < i1; i++) {
                int ci = cOff + i * ldc;
                if (bCs == 1) {
                    // B's rows are contiguous: accumulate the row of C as a sum of scaled rows of B.
                    if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0f);
                    for (int p = 0; p < k; p++) {
                        float aip = a[aOff + i * aRs + p * aCs];
                        int bp = bOff + p * bRs;
                        for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        float acc = 0;
                        for (int p = 0; p < k; p++) acc += a[aOff + i * aRs + p * aCs] * b[bOff + p * bRs + j * bCs];
                        c[ci + j] = accumulate ? c[ci + j] + acc : acc;
                    }
                }
            }
        });
    }

    @Override
    public void gemm(Parallel par, int m, int n, int k,
                     double[] a, int aOff, int aRs, int aCs,
                     double[] b, int bOff, int bRs, int bCs,
                     double[] c, int cOff, int ldc, boolean accumulate) {
        int tasks = tasks(par, m, (long) m * n * k);
        par.run(tasks, t -> {
            int i0 = (int) ((long) m * t / tasks), i1 = (int) ((long) m * (t + 1) / tasks);
            for (int i = i0; i < i1; i++) {
                int ci = cOff + i * ldc;
                if (bCs == 1) {
                    if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0.0);
                    for (int p = 0; p < k; p++) {
                        double aip = a[aOff + i * aRs + p * aCs];
                        int bp = bOff + p * bRs;
                        for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        double acc = 0;
                        for (int p = 0; p < k; p++) acc += a[aOff + i * aRs + p * aCs] * b[bOff + p * bRs + j * bCs];
                        c[ci + j] = accumulate ? c[ci + j] + acc : acc;
                    }
                }
            }
        });
    }

    @Override
    public void addRowVector(float[] c, int cOff, int m, int n, float[] v, int vOff) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            for (int j = 0; j < n; j++) c[ci + j] += v[vOff + j];
        }
    }

    @Override
    public void addRowVector(double[] c, int cOff, int m, int n, double[] v, int vOff) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            for (int j = 0; j < n; j++) c[ci + j] += v[vOff + j];
        }
    }

    @Override
    public void addColumnSums(float[] a, int aOff, int m, int n, float[] out, int outOff) {
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * n;
            for (int j = 0; j < n; j++) out[outOff + j] += a[ai + j];
        }
    }

    @Override
    public void addColumnSums(double[] a, int aOff, int m, int n, double[] out, int outOff) {
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * n;
            for (int j = 0; j < n; j++) out[outOff + j] += a[ai + j];
        }
    }

    @Override
    public int firstNonFinite(float[] a, int off, int len) {
        for (int i = 0; i < len; i++) if (!Float.isFinite(a[off + i])) return i;
        return -1;
    }

    @Override
    public int firstNonFinite(double[] a, int off, int len) {
        for (int i = 0; i < len; i++) if (!Double.isFinite(a[off + i])) return i;
        return -1;
    }
}
