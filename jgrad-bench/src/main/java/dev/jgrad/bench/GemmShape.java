package dev.jgrad.bench;

import dev.jgrad.kernel.Kernels;
import dev.jgrad.kernel.Parallel;

import java.util.Random;

/**
 * A GEMM case of the benchmarks: C[m × n] = op(A)·op(B) with k the shared dimension, in one of
 * a dense layer's three layouts: NT (X·Wᵀ, forward), TN (Δᵀ·X, weight gradient), NN (Δ·W, input
 * gradient). Written as "128x256x784:NT" (m x n x k).
 */
final class GemmShape {
    final int m, n, k;
    final String layout;
    final float[] a, b, c;

    GemmShape(String spec) {
        String[] p = spec.split(":");
        String[] d = p[0].split("x");
        m = Integer.parseInt(d[0]);
        n = d.length > 1 ? Integer.parseInt(d[1]) : m;
        k = d.length > 2 ? Integer.parseInt(d[2]) : m;
        layout = p.length > 1 ? p[1] : "NN";
        Random r = new Random(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
    }

    double flops() {
        return 2.0 * m * n * k;
    }

    void run(Kernels kern, Parallel par) {
        switch (layout) {
            case "NT" -> kern.gemm(par, m, n, k, a, 0, k, 1, b, 0, 1, k, c, 0, n, false);
            case "TN" -> kern.gemm(par, m, n, k, a, 0, 1, m, b, 0, n, 1, c, 0, n, false);
            default -> kern.gemm(par, m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, false);
        }
    }
}
