package dev.jgrad.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jgrad.data.Normalizer;
import dev.jgrad.infer.InferenceModel;
import dev.jgrad.infer.Predictor;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.onnx.OnnxExporter;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inference of the Fashion-MNIST MLP (784-256-128-10, ReLU, softmax) in jgrad and, exported by
 * jgrad, in ONNX Runtime's CPU provider, in one process: one sample and a batch of 128. jgrad is
 * timed twice: its inference path ({@link Predictor}, the allocation-free call, the GEMM's
 * kernels over W packed once) and the training network's {@code Sequential.forward} (packed GEMM
 * for a batch, packing W and X on each call). The three
 * take turns round by round (which goes first rotates too) so that all meet the same state of a
 * shared machine. Before timing, the outputs are compared. Prints the machine and the thread
 * settings, then one JSON line per batch size with each one's median µs per call and the medians
 * of the per-round ratios (ONNX Runtime's time over jgrad's: above 1, jgrad is faster).
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *   -cp jgrad-bench/target/jgrad-bench.jar:$HOME/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.22.0/onnxruntime-1.22.0.jar \
 *   dev.jgrad.bench.OnnxComparison [--threads T] [--rounds R] [--ort-spinning on|off]</pre>
 */
public final class OnnxComparison {
    private OnnxComparison() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 1, rounds = 41;
        boolean spin = true;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads")) threads = Integer.parseInt(args[++i]);
            else if (args[i].equals("--rounds")) rounds = Integer.parseInt(args[++i]);
            else if (args[i].equals("--ort-spinning")) spin = args[++i].equals("on");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("kind", "machine");
        machine.put("cpu", Machine.cpuName());
        machine.put("processors", Runtime.getRuntime().availableProcessors());
        machine.put("vector_bits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        machine.put("java", System.getProperty("java.vm.version"));
        machine.put("onnxruntime", env.getVersion());
        machine.put("jgrad_threads", threads);
        machine.put("ort_intra_op_threads", threads);
        machine.put("ort_inter_op_threads", 1);
        machine.put("ort_execution", "sequential, all graph optimisations, intra-op spinning " + (spin ? "on" : "off"));
        machine.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println(Json.write(machine));

        try (Parallel par = Parallel.create(threads);
             Sequential net = Sequential.builder(784).parallel(par).dense(256, Activations.RELU).dense(128, Activations.RELU)
                     .dense(10, Activations.SOFTMAX).seed(1).build()) {
            Model model = new Model(net, Losses.parse("softmax_cross_entropy"),
                    Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 784))), classes(), null);
            byte[] onnx = OnnxExporter.toBytes(model, OnnxExporter.Options.defaults());
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                o.addConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
                try (OrtSession session = env.createSession(onnx, o)) {
                    Predictor predictor = InferenceModel.of(model, par).predictor();
                    for (int batch : new int[]{1, 128}) compare(env, session, net, predictor, batch, threads, rounds);
                }
            }
        }
    }

    private static void compare(OrtEnvironment env, OrtSession session, Sequential net, Predictor predictor, int batch,
                                int threads, int rounds) throws Exception {
        FloatTensor x = new FloatTensor(Shape.of(batch, 784));
        for (int i = 0; i < x.size(); i++) x.set(i, (i * 31 % 255) / 255.0);
        FloatBuffer buf = FloatBuffer.wrap(x.data(), 0, x.size());
        try (OnnxTensor in = OnnxTensor.createTensor(env, buf, new long[]{batch, 784})) {
            Map<String, OnnxTensor> feed = Map.of("input", in);
            double diff = maxDifference(net.forward(x), session, feed);
            float[] answers = new float[batch * 10];
            predictor.predict(x.data(), 0, batch, answers, 0);
            diff = Math.max(diff, maxDifference(new FloatTensor(answers, 0, Shape.of(batch, 10)), session, feed));
            Runnable infer = () -> predictor.predict(x.data(), 0, batch, answers, 0);
            Runnable forward = () -> net.forward(x);
            Runnable ort = () -> {
                try (OrtSession.Result r = session.run(feed)) {
                    if (r.size() != 1) throw new IllegalStateException();
                } catch (ai.onnxruntime.OrtException e) {
                    throw new IllegalStateException(e);
                }
            };
            Runnable[] work = {infer, forward, ort};
            for (Runnable w : work) Harness.warmUp(w);
            int reps = batch == 1 ? 1000 : 40;
            double[][] t = new double[3][rounds];
            double[] ratio = new double[rounds], ratioForward = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                for (int turn = 0; turn < 3; turn++) {
                    int w = (r + turn) % 3;
                    // Let the others' pools go idle, then wake this one's with an untimed call:
                    // none times another's spinning threads or its own wake-up.
                    if (threads > 1) pause();
                    work[w].run();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) work[w].run();
                    t[w][r] = (System.nanoTime() - t0) / 1e3 / reps;
                }
                ratio[r] = t[2][r] / t[0][r];
                ratioForward[r] = t[2][r] / t[1][r];
            }
            for (double[] a : t) Arrays.sort(a);
            Arrays.sort(ratio);
            Arrays.sort(ratioForward);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("kind", "onnx_inference");
            out.put("batch", batch);
            out.put("threads", threads);
            out.put("jgrad_predictor_median_us", t[0][rounds / 2]);
            out.put("jgrad_forward_median_us", t[1][rounds / 2]);
            out.put("ort_median_us", t[2][rounds / 2]);
            out.put("ort_over_predictor", ratio[rounds / 2]);
            out.put("ratio_q1", ratio[rounds / 4]);
            out.put("ratio_q3", ratio[3 * rounds / 4]);
            out.put("ort_over_forward", ratioForward[rounds / 2]);
            out.put("jgrad_predictor_best_us", t[0][0]);
            out.put("jgrad_forward_best_us", t[1][0]);
            out.put("ort_best_us", t[2][0]);
            out.put("max_abs_difference", diff);
            System.out.println(Json.write(out));
        }
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double maxDifference(Tensor y, OrtSession session, Map<String, OnnxTensor> feed) throws Exception {
        try (OrtSession.Result r = session.run(feed)) {
            float[][] o = (float[][]) r.get(0).getValue();
            double worst = 0;
            for (int i = 0; i < o.length; i++) for (int c = 0; c < o[i].length; c++) worst = Math.max(worst, Math.abs(o[i][c] - y.get(i * 10 + c)));
            return worst;
        }
    }

    private static List<String> classes() {
        String[] n = new String[10];
        Arrays.setAll(n, Integer::toString);
        return List.of(n);
    }
}
