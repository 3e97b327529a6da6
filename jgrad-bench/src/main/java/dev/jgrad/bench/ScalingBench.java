package dev.jgrad.bench;

import dev.jgrad.kernel.Kernels;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.spark.TcpChain;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.train.TrainingStep;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The scaling model of docs/SCALING.md, from measurements on this machine: the compute time of a
 * training step (forward, backward, Adam) as a function of the rows a rank holds, on one thread,
 * for 784-256-128-10 and for a network ten times larger (784-1536-768-10); and the time of a
 * gradient sum between two ranks over loopback TCP as a function of its size. From them it
 * extrapolates throughput to N = 1 … 64 ranks over 1, 10 and 25 GbE links, finds the rows per
 * rank below which a rank spends more time summing than computing, and draws the plot.
 *
 * <p>Times are CPU time of the measuring thread (the fastest of many samples), so that other
 * work on a shared machine does not inflate them; a gradient sum's CPU time on loopback is the
 * cost of moving its bytes through the kernel, not a network's.
 *
 * <p>Usage: {@code ScalingBench OUT_DIR [measured.json]}; writes scaling.json, scaling.md and
 * scaling.svg into OUT_DIR. The optional JSON holds measured Spark points as
 * {@code [[ranks, samples_per_second], ...]} to draw on the plot.
 */
public final class ScalingBench {
    private static final int[] ROWS = {8, 16, 32, 64, 128, 256};
    private static final int[] SIZES = {10_000, 100_000, 235_146, 1_000_000, 2_400_000};
    private static final int CHUNK_BYTES = 1 << 16;
    /** Links: name, usable bytes per second (about 94% of line rate), one-way latency of a hop in seconds. */
    private static final Object[][] LINKS = {{"1 GbE", 117e6, 50e-6}, {"10 GbE", 1.17e9, 20e-6}, {"25 GbE", 2.9e9, 10e-6}};

    /**
     * Times are this thread's CPU time, not wall time: the machine these numbers come from is
     * shared, and CPU time leaves out the time spent waiting for a core.
     */
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private ScalingBench() {
    }

    /** Step compute time t(rows) = a + b·rows for one network, fitted by least squares. */
    record Compute(String name, int params, double a, double b, double[] measured) {
        double step(double rows) {
            return a + b * rows;
        }
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "docs");
        String points = args.length > 1 ? Files.readString(Path.of(args[1])) : "[]";
        Files.createDirectories(out);
        Compute small = compute("784-256-128-10", new int[]{256, 128});
        Compute large = compute("784-1536-768-10", new int[]{1536, 768});
        double[] sumSeconds = new double[SIZES.length];
        for (int i = 0; i < SIZES.length; i++) sumSeconds[i] = loopbackSum(SIZES[i]);
        // t_sum(P) = alpha + beta·4P on loopback, two ranks.
        double[] ab = fit(Arrays.stream(SIZES).mapToDouble(s -> 4.0 * s).toArray(), sumSeconds);
        // On two ranks the passes overlap (each rank sends 4P bytes while it receives 4P), so a sum
        // costs one transfer of the buffer: the loopback's speed in the model's terms is 1/beta.
        double loopBytesPerSecond = 1 / ab[1];
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Measured on %s, %d cores, %s; load average %s.%n%n",
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), Kernels.get().description(), load()));
        md.append("| network | parameters | step compute a + b·rows (1 thread, fit on rows ≥ 32) | measured at rows ").append(Arrays.toString(ROWS)).append(" (ms) |\n|---|---|---|---|\n");
        for (Compute c : List.of(small, large)) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.3f ms + %.4f ms·rows | %s |%n", c.name, c.params, c.a * 1e3, c.b * 1e3,
                    Arrays.toString(Arrays.stream(c.measured).map(v -> Math.round(v * 1e5) / 1e2).toArray())));
        }
        md.append(String.format(Locale.ROOT, "%nGradient sum between 2 ranks over loopback TCP: %s floats → %s ms; fit %.3f ms + %.3f ns/byte "
                        + "(%.2f GB/s through each rank).%n%n", Arrays.toString(SIZES),
                Arrays.toString(Arrays.stream(sumSeconds).map(v -> Math.round(v * 1e5) / 1e2).toArray()), ab[0] * 1e3, ab[1] * 1e9,
                loopBytesPerSecond / 1e9));
        md.append("Extrapolated samples/s at a global batch of 128 (strong scaling, as measured) and, in brackets, at 128 rows per rank (weak scaling):\n\n");
        md.append("| network | link | N=1 | 2 | 4 | 8 | 16 | 32 | 64 | rows per rank below which summing takes longer than computing |\n|---|---|---|---|---|---|---|---|---|---|\n");
        StringBuilder json = new StringBuilder("{\"compute\": [");
        List<double[]> curves = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Compute c : List.of(small, large)) {
            for (Object[] link : LINKS) {
                String name = (String) link[0];
                double w = (Double) link[1], lat = (Double) link[2];
                StringBuilder row = new StringBuilder("| " + c.name + " | " + name + " |");
                double[] curve = new double[7];
                for (int k = 0; k <= 6; k++) {
                    int n = 1 << k;
                    double strong = 128 / step(c, n, 128, w, lat);
                    double weak = 128.0 * n / step(c, n, 128.0 * n, w, lat);
                    curve[k] = strong;
                    row.append(String.format(Locale.ROOT, " %,.0f (%,.0f) |", strong, weak));
                }
                row.append(String.format(Locale.ROOT, " %s at N=2, %s at N=8, %s at N=64 |", breakEven(c, 2, w, lat),
                        breakEven(c, 8, w, lat), breakEven(c, 64, w, lat)));
                md.append(row).append('\n');
                curves.add(curve);
                names.add(c.name + ", " + name);
            }
            double[] curve = new double[7];
            for (int k = 0; k <= 6; k++) curve[k] = 128 / step(c, 1 << k, 128, loopBytesPerSecond, Math.max(0, ab[0]) / 2);
            curves.add(curve);
            names.add(c.name + ", loopback (measured)");
        }
        json.append(String.format(Locale.ROOT, "{\"name\": \"%s\", \"a\": %g, \"b\": %g}, {\"name\": \"%s\", \"a\": %g, \"b\": %g}], "
                        + "\"sum_alpha\": %g, \"sum_beta_per_byte\": %g, \"sum_sizes\": %s, \"sum_seconds\": %s}",
                small.name, small.a, small.b, large.name, large.a, large.b, ab[0], ab[1], Arrays.toString(SIZES), Arrays.toString(sumSeconds)));
        Files.writeString(out.resolve("scaling.md"), md);
        Files.writeString(out.resolve("scaling.json"), json);
        Files.writeString(out.resolve("scaling.svg"), svg(curves, names, points));
        System.out.print(md);
    }

    /** Rows per rank at which a step's compute equals its gradient sum (50% parallel efficiency). */
    static String breakEven(Compute c, int n, double bytesPerSecond, double latency) {
        double rows = (sum(c.params, n, bytesPerSecond, latency) - c.a) / c.b;
        return rows < 1 ? "any" : String.format(Locale.ROOT, "%,.0f", rows);
    }

    /** Seconds of one step of N ranks on a global batch: the slowest rank's rows, then the sum. */
    static double step(Compute c, int n, double globalBatch, double bytesPerSecond, double latency) {
        double rows = n == 1 ? globalBatch : expectedMaxShare(globalBatch, n);
        return c.step(rows) + (n == 1 ? 0 : sum(c.params, n, bytesPerSecond, latency));
    }

    /**
     * The gradient sum of {@link TcpChain} over N ranks: a pass down the chain and a pass round
     * the ring, N−1 hops each, streamed in chunks of 64 KiB and overlapping (the total of a chunk
     * starts back as soon as the last rank has it). The links 0→1 … N−3→N−2 carry the buffer
     * twice (once each pass), so for N ≥ 3 a sum is bound by two transfers; on two ranks each
     * direction carries it once, so it takes one. Then the pipeline's fill: 2N−3 chunk hops.
     */
    static double sum(int params, int n, double bytesPerSecond, double latency) {
        if (n == 1) return 0;
        double bytes = 4.0 * params, chunk = Math.min(CHUNK_BYTES, bytes);
        double perChunk = chunk / bytesPerSecond;
        return (n == 2 ? 1 : 2) * bytes / bytesPerSecond + (2 * n - 3) * perChunk + 2 * (n - 1) * latency;
    }

    /** The expected largest share of a batch of B rows over N equal partitions (normal approximation of the binomial). */
    static double expectedMaxShare(double batch, int n) {
        double mean = batch / n, sd = Math.sqrt(batch * (1.0 / n) * (1 - 1.0 / n));
        // E[max of n standard normals], by Monte Carlo once per n.
        Random r = new Random(n);
        double s = 0;
        int trials = 4000;
        for (int t = 0; t < trials; t++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) m = Math.max(m, r.nextGaussian());
            s += m;
        }
        return Math.min(batch, mean + sd * s / trials);
    }

    private static Compute compute(String name, int[] hidden) {
        double[] t = new double[ROWS.length];
        int params;
        Sequential.builder(784);
        var b = Sequential.builder(784).seed(1).threads(1);
        for (int h : hidden) b.dense(h, Activations.RELU);
        b.dense(10, Activations.SOFTMAX);
        try (Sequential net = b.build()) {
            params = net.parameterCount();
            Adam adam = new Adam(1e-3);
            TrainingStep step = new TrainingStep(net, Losses.SOFTMAX_CROSS_ENTROPY, adam, List.of());
            Random r = new Random(1);
            // Compile everything first: on a loaded machine the JIT compiler itself is starved.
            FloatTensor wx = new FloatTensor(Shape.of(64, 784)), wy = new FloatTensor(Shape.of(64, 1));
            long warm = System.nanoTime() + 4_000_000_000L;
            for (int w = 0; w < 300 && System.nanoTime() < warm; w++) step.run(wx, wy, 0, w);
            for (int i = 0; i < ROWS.length; i++) {
                int rows = ROWS[i];
                FloatTensor x = new FloatTensor(Shape.of(rows, 784)), y = new FloatTensor(Shape.of(rows, 1));
                for (int j = 0; j < x.size(); j++) x.set(j, r.nextFloat());
                for (int j = 0; j < rows; j++) y.set(j, r.nextInt(10));
                // Each batch size has code paths of its own (few-row kernels) for the JIT to compile.
                long warmSize = System.nanoTime() + 1_500_000_000L;
                for (int w = 0; w < 60 || (w < 400 && System.nanoTime() < warmSize); w++) step.run(x, y, 0, w);
                List<Double> samples = new ArrayList<>();
                long end = System.nanoTime() + 2_500_000_000L;
                while (samples.size() < 10 || (System.nanoTime() < end && samples.size() < 500)) {
                    long t0 = CPU.getCurrentThreadCpuTime();
                    step.run(x, y, 0, 0);
                    samples.add((CPU.getCurrentThreadCpuTime() - t0) / 1e9);
                }
                t[i] = fastest(samples);
            }
        }
        // The fit uses 32 rows and more: below that the few-row kernels take over, which this
        // machine measures slower per step than 32 rows; the table shows the measured values.
        double[] ab = fit(Arrays.stream(ROWS).skip(2).asDoubleStream().toArray(), Arrays.copyOfRange(t, 2, t.length));
        return new Compute(name, params, ab[0], ab[1], t);
    }

    private static double loopbackSum(int floats) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        ServerSocket s0 = TcpChain.listen(lo, 4), s1 = TcpChain.listen(lo, 4);
        List<InetSocketAddress> at = List.of(new InetSocketAddress(lo, s0.getLocalPort()), new InetSocketAddress(lo, s1.getLocalPort()));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Double>> f = new ArrayList<>();
            for (int rank = 0; rank < 2; rank++) {
                int me = rank;
                ServerSocket server = rank == 0 ? s0 : s1;
                f.add(pool.submit(() -> {
                    try (TcpChain c = TcpChain.connect(me, at, server, 1, 5000, 30_000)) {
                        float[] a = new float[floats];
                        List<Double> samples = new ArrayList<>(), wall = new ArrayList<>();
                        for (int i = 0; i < 60; i++) {
                            Arrays.fill(a, 1f);
                            long t0 = CPU.getCurrentThreadCpuTime(), w0 = System.nanoTime();
                            c.sum(a, 0, floats);
                            if (i >= 10) {
                                samples.add((CPU.getCurrentThreadCpuTime() - t0) / 1e9);
                                wall.add((System.nanoTime() - w0) / 1e9);
                            }
                        }
                        // Wall time too (not used by the model): on loopback it includes waiting for the
                        // other rank's thread to be scheduled, which the load inflates.
                        wall.sort(null);
                        System.out.printf(Locale.ROOT, "sum of %,d floats, rank %d: CPU %.3f ms, wall fastest %.3f ms, median %.3f ms%n",
                                floats, me, fastest(samples) * 1e3, wall.getFirst() * 1e3, wall.get(wall.size() / 2) * 1e3);
                        return fastest(samples);
                    }
                }));
            }
            return Math.max(f.get(0).get(), f.get(1).get());
        } finally {
            pool.shutdownNow();
            s0.close();
            s1.close();
        }
    }

    /**
     * The fastest sample: on a machine shared with other work, the others only ever add time, so
     * the minimum is the best estimate of the cost itself (medians are printed by the Spark runs).
     */
    private static double fastest(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    /** Least squares y = a + b·x. */
    private static double[] fit(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElse(0), my = Arrays.stream(y).average().orElse(0), sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double b = sxy / sxx;
        return new double[]{my - b * mx, b};
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Samples/s against ranks on log-log axes, one line per network and link, measured points as dots. */
    private static String svg(List<double[]> curves, List<String> names, String points) {
        int w = 820, h = 480, left = 70, right = 300, top = 30, bottom = 50;
        double ymin = 100, ymax = 1e6;
        for (double[] c : curves) for (double v : c) ymax = Math.max(ymax, v);
        double lymin = Math.log10(ymin), lymax = Math.ceil(Math.log10(ymax));
        java.util.function.DoubleUnaryOperator px = k -> left + k / 6.0 * (w - left - right);
        java.util.function.DoubleUnaryOperator py = v -> top + (lymax - Math.log10(Math.max(v, ymin))) / (lymax - lymin) * (h - top - bottom);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n", w, h));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">Training throughput at global batch 128 (model; dots measured on Spark)</text>%n", left));
        for (int k = 0; k <= 6; k++) {
            double x = px.applyAsDouble(k);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
                    x, top, x, h - bottom, x, h - bottom + 15, 1 << k));
        }
        for (double e = lymin; e <= lymax; e++) {
            double y = py.applyAsDouble(Math.pow(10, e));
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>%n",
                    left, y, w - right, y, left - 5, y + 4, (int) e));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">ranks N</text>%n", (left + w - right) / 2, h - 12));
        s.append(String.format(Locale.ROOT, "<text x=\"15\" y=\"%d\" transform=\"rotate(-90 15 %d)\" text-anchor=\"middle\">samples/s</text>%n", h / 2, h / 2));
        String[] colors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f"};
        for (int i = 0; i < curves.size(); i++) {
            StringBuilder d = new StringBuilder();
            // Loopback joins ranks of one machine: its line stops at the two ranks measured.
            int last = names.get(i).contains("loopback") ? 1 : 6;
            for (int k = 0; k <= last; k++) d.append(k == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px.applyAsDouble(k), py.applyAsDouble(curves.get(i)[k])));
            String dash = i >= 4 ? " stroke-dasharray=\"6 3\"" : "";
            s.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s/>%n", d, colors[i], dash));
            double ly = top + 10 + i * 18;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.8\"%s/><text x=\"%d\" y=\"%.1f\">%s</text>%n",
                    w - right + 10, ly, w - right + 35, ly, colors[i], dash, w - right + 40, ly + 4, names.get(i)));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[\\s*(\\d+)\\s*,\\s*([0-9.eE+-]+)\\s*]").matcher(points);
        while (m.find()) {
            int n = Integer.parseInt(m.group(1));
            double v = Double.parseDouble(m.group(2));
            double k = Math.log(n) / Math.log(2);
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"black\"/>%n", px.applyAsDouble(k), py.applyAsDouble(v)));
        }
        double ly = top + 10 + curves.size() * 18;
        s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%.1f\" r=\"5\" fill=\"black\"/><text x=\"%d\" y=\"%.1f\">measured, 784-256-128-10 on Spark</text>%n",
                w - right + 22, ly, w - right + 40, ly + 4));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\">solid: 784-256-128-10</text><text x=\"%d\" y=\"%.1f\">dashed: 784-1536-768-10</text>%n",
                w - right + 10, ly + 24, w - right + 10, ly + 40));
        return s.append("</svg>\n").toString();
    }
}
