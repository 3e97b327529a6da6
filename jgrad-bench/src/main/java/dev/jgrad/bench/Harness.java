package dev.jgrad.bench;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.infer.Predictor;
import dev.jgrad.nn.Activations;
import dev.jgrad.io.Json;
import dev.jgrad.kernel.Kernels;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.WarmUp;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quick measurements of the end-to-end comparison (scripts/bench.py), as JSON lines:
 * {@code gemm SHAPE... --threads T} prints GFLOP/s (median of repeated timed batches after a
 * warm-up), {@code inference --threads T} prints single-sample and batch-128 latency in µs.
 * JMH (GemmBenchmark, InferenceBenchmark) measures the same more rigorously and more slowly.
 */
public final class Harness {
    private Harness() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: Harness gemm|compare SHAPE... [--threads T] | inference [--threads T]");
            System.exit(2);
        }
        int threads = 1;
        List<String> rest = new java.util.ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--threads")) threads = Integer.parseInt(args[++i]);
            else rest.add(args[i]);
        }
        // Compile the kernels as `jgrad train` does before its first step, with every layout's
        // profile: without it the first shape measured decides how C2 compiles the packing, and
        // the layouts measured after it ran through deoptimised, allocating code (Δᵀ·X at 0.79 of
        // OpenBLAS after X·Wᵀ, 0.98 when measured first). -Djgrad.bench.warmUp=false skips it.
        boolean warmUp = Boolean.parseBoolean(System.getProperty("jgrad.bench.warmUp", "true"));
        if (warmUp && !args[0].equals("inference")) WarmUp.run();
        try (Parallel par = Parallel.create(threads)) {
            if (args[0].equals("gemm")) {
                for (String s : rest) gemm(new GemmShape(s), s, par, threads);
            } else if (args[0].equals("compare")) {
                OpenBlas blas = OpenBlas.load().orElseThrow(() -> new IllegalStateException(
                        "OpenBLAS not found: install libopenblas0-pthread or name it with -Djgrad.openblas=PATH"));
                blas.threads(threads);
                // Who runs, on what: the script checks these before it prints any ratio.
                Map<String, Object> setup = new LinkedHashMap<>();
                setup.put("kind", "setup");
                setup.put("jgrad_kernels", Kernels.get().description());
                setup.put("threads", threads);
                setup.put("warm_up", warmUp);
                setup.put("openblas_library", blas.library);
                setup.put("openblas_config", blas.config);
                setup.put("openblas_core", blas.coreName);
                System.out.println(Json.write(setup));
                for (String s : rest) compare(new GemmShape(s), s, par, threads, blas);
            } else {
                inference(threads);
            }
        }
        System.exit(0);
    }

    /** Runs the work for three seconds, long enough for C2 to compile the kernels at full optimisation. */
    static void warmUp(Runnable work) {
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) work.run();
    }

    static void gemm(GemmShape g, String spec, Parallel par, int threads) {
        Kernels k = Kernels.get();
        int reps = Math.max(3, (int) (2e8 / g.flops()));
        warmUp(() -> g.run(k, par));
        double[] t = new double[15];
        for (int r = 0; r < t.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) g.run(k, par);
            t[r] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(t);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", "gemm");
        out.put("shape", spec);
        out.put("threads", threads);
        out.put("gflops", g.flops() / t[t.length / 2] / 1e9);
        out.put("best_gflops", g.flops() / t[0] / 1e9);
        System.out.println(Json.write(out));
    }

    /**
     * jgrad and OpenBLAS on the same operands, alternating: each round times a batch of one, then
     * of the other, so both see the same state of a shared machine. Prints the median GFLOP/s of
     * each and the median of the per-round ratios.
     */
    static void compare(GemmShape g, String spec, Parallel par, int threads, OpenBlas blas) {
        Kernels k = Kernels.get();
        int reps = Math.max(1, (int) (2e7 / g.flops()));
        warmUp(() -> g.run(k, par));
        warmUp(() -> blas.run(g));
        int rounds = Integer.getInteger("jgrad.bench.rounds", 301);
        double[] tj = new double[rounds], tb = new double[rounds], ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            // Alternate which goes first, so neither always follows the other's cache state.
            for (int half = 0; half < 2; half++) {
                boolean jgrad = (half == 0) == (r % 2 == 0);
                // Let the other library's threads stop spinning and sleep (OpenBLAS's do so at
                // once with OPENBLAS_THREAD_TIMEOUT=4, jgrad's after a fraction of a millisecond),
                // then wake this library's own with an untimed call: neither times the other's
                // threads or its own wake-up.
                if (threads > 1) pause();
                if (jgrad) g.run(k, par);
                else blas.run(g);
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    if (jgrad) g.run(k, par);
                    else blas.run(g);
                }
                double s = (System.nanoTime() - t0) / 1e9 / reps;
                if (jgrad) tj[r] = s;
                else tb[r] = s;
            }
            ratio[r] = tb[r] / tj[r];
        }
        Arrays.sort(tj);
        Arrays.sort(tb);
        Arrays.sort(ratio);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", "gemm_compare");
        out.put("shape", spec);
        out.put("threads", threads);
        out.put("jgrad_gflops", g.flops() / tj[rounds / 2] / 1e9);
        out.put("openblas_gflops", g.flops() / tb[rounds / 2] / 1e9);
        out.put("ratio", ratio[rounds / 2]);
        out.put("ratio_q1", ratio[rounds / 4]);
        out.put("ratio_q3", ratio[3 * rounds / 4]);
        // Noise on a shared machine only ever slows a run down, so the fastest rounds are the
        // closest to what each library can do; their ratio is the steadiest figure.
        out.put("best_jgrad_gflops", g.flops() / tj[0] / 1e9);
        out.put("best_openblas_gflops", g.flops() / tb[0] / 1e9);
        System.out.println(Json.write(out));
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void inference(int threads) {
        try (Sequential net = Sequential.builder(784).threads(threads).dense(256, Activations.RELU).dense(128, Activations.RELU).dense(10, Activations.SOFTMAX).build()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("kind", "inference");
            out.put("jgrad_kernels", Kernels.get().description());
            out.put("threads", threads);
            for (int batch : new int[]{1, 128}) {
                Tensor x = Tensor.zeros(DType.F32, batch, 784);
                for (int i = 0; i < x.size(); i++) x.set(i, (i * 31 % 255) / 255.0);
                int reps = batch == 1 ? 2000 : 100;
                warmUp(() -> net.forward(x));
                double[] t = new double[25];
                for (int r = 0; r < t.length; r++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) net.forward(x);
                    t[r] = (System.nanoTime() - t0) / 1e3 / reps;
                }
                Arrays.sort(t);
                out.put("batch_" + batch + "_median_us", t[t.length / 2]);
                // The inference path over the same weights: a predictor's allocation-free call.
                Predictor p = InferenceModel.of(net).predictor();
                float[] xs = new float[batch * 784], ys = new float[batch * 10];
                for (int i = 0; i < xs.length; i++) xs[i] = (float) x.get(i);
                warmUp(() -> p.predict(xs, 0, batch, ys, 0));
                for (int r = 0; r < t.length; r++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) p.predict(xs, 0, batch, ys, 0);
                    t[r] = (System.nanoTime() - t0) / 1e3 / reps;
                }
                Arrays.sort(t);
                out.put("predictor_batch_" + batch + "_median_us", t[t.length / 2]);
            }
            System.out.println(Json.write(out));
        }
    }
}
