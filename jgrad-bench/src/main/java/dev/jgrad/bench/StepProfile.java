package dev.jgrad.bench;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.kernel.Kernels;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.kernel.WarmUp;
import dev.jgrad.nn.ActivatedLayer;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a training step's time goes, phase by phase, at one and at two threads in the same
 * process: {@code StepProfile DATA_DIR [ROUNDS]} trains Fashion-MNIST's 784-256-128-10 relu
 * network (Adam 1e-3, batch 128) on one pool and then the other, a few hundred steps at a time,
 * alternating, and prints per phase the median over rounds of its mean µs per step as one JSON
 * line per thread count. The phases are the public calls a {@code TrainingStep} makes, taken
 * apart: the batch gather, the input check, each layer's forward, the loss, each layer's
 * backward, the gradient check, Adam. Timing each phase adds a clock read and ends any overlap
 * between phases, so the sum is a little above the step's time when it runs whole (printed too,
 * as {@code whole_step}, from rounds of uninterrupted steps, run as the {@code Trainer} runs them:
 * on two threads the next batch's gather overlaps the classifier and the loss, see
 * {@code Sequential.forwardBackward}; {@code whole_step_gather_first}: the same with the gather at
 * the start of each step, as before that overlap).
 */
public final class StepProfile {
    private StepProfile() {
    }

    private static final String[] PHASES = {"gather", "input_check", "fwd0", "fwd1", "fwd2", "loss",
            "bwd2", "bwd1", "bwd0", "grad_check", "adam"};

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: StepProfile DATA_DIR [ROUNDS]");
            System.exit(2);
        }
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Dataset train = IdxReader.readDirectory(Path.of(args[0])).train();
        train = Normalizer.fit(Normalizer.Kind.PIXELS, train.features()).apply(train);
        WarmUp.run();
        int[] threadCounts = {1, 2};
        Run[] runs = new Run[threadCounts.length];
        for (int i = 0; i < runs.length; i++) runs[i] = new Run(train, threadCounts[i]);
        for (Run r : runs) r.steps(2000, true);   // past C2's thresholds on every path
        for (int round = 0; round < rounds; round++) {
            for (Run r : runs) {
                r.round(round, rounds);
            }
        }
        for (Run r : runs) {
            r.print();
            r.net.close();
        }
        System.exit(0);
    }

    private static final class Run {
        final int threads;
        final Sequential net;
        final Loss loss = Losses.SOFTMAX_CROSS_ENTROPY;
        final Adam adam = new Adam(1e-3);
        final Batches batches;
        final Parallel par;
        /** Taken once: asking the network for its gradients after zeroGrad() clears them for real. */
        final Tensor params, grads;
        final double[][] perRound;
        final double[] whole;
        /** Whole steps with the gather at the start of the step, not ahead: what the gather ahead saves. */
        final double[] plain;
        /** The whole steps of this round gather ahead (on a pool). */
        boolean gatherAhead = true;
        int b;

        Run(Dataset train, int threads) {
            this.threads = threads;
            this.net = Sequential.builder(784).seed(1).threads(threads).dense(256, Activations.RELU)
                    .dense(128, Activations.RELU).dense(10, Activations.SOFTMAX).build();
            this.par = net.parallel();
            this.params = net.parameterBuffer();
            this.grads = net.gradientBuffer();
            this.batches = new Batches(train, 128, true, new Rng(1), DType.F32);
            this.perRound = new double[PHASES.length][];
            this.whole = new double[64];
            this.plain = new double[64];
            batches.startEpoch();
            net.zeroGrad();
        }

        double[] acc = new double[PHASES.length];
        int roundsDone;

        void round(int round, int rounds) {
            if (perRound[0] == null) for (int p = 0; p < PHASES.length; p++) perRound[p] = new double[rounds];
            Arrays.fill(acc, 0);
            int n = 300;
            steps(n, true);
            for (int p = 0; p < PHASES.length; p++) perRound[p][round] = acc[p] / n / 1e3;
            long t0 = System.nanoTime();
            steps(n, false);
            whole[round] = (System.nanoTime() - t0) / 1e3 / n;
            gatherAhead = false;
            t0 = System.nanoTime();
            steps(n, false);
            plain[round] = (System.nanoTime() - t0) / 1e3 / n;
            gatherAhead = true;
            roundsDone = round + 1;
        }

        void steps(int n, boolean timed) {
            for (int s = 0; s < n; s++) step(timed);
        }

        private void gather() {
            int rows = batches.select(b);
            if (threads == 1) {
                batches.gatherFeatures(0, rows);
            } else {
                par.run(threads, t -> {
                    int r0 = rows * t / threads, r1 = rows * (t + 1) / threads;
                    batches.gatherFeatures(r0, r1);
                });
            }
        }

        /** Batch b was selected and gathered ahead by the last whole step. */
        boolean pending;
        /** Gathers the batch selected ahead, in AHEAD parts (as the Trainer does). */
        final Parallel.Task ahead = this::gatherAhead;
        int aheadRows;
        static final int AHEAD = 8;

        private void gatherAhead(int i) {
            batches.gatherNextFeatures(aheadRows * i / AHEAD, aheadRows * (i + 1) / AHEAD);
        }

        /**
         * A step as the Trainer runs it: on a pool, the next batch is gathered during the
         * stretch one thread computes alone (the classifier and the loss).
         */
        private void wholeStep() {
            if (pending) batches.advance();
            else gather();
            b++;
            Tensor x = batches.features(), target = batches.targets();
            pending = gatherAhead && threads > 1 && b < batches.count() - 1;
            if (pending) {
                aheadRows = batches.selectNext(b);
                net.forwardBackward(x, loss, target, ahead, AHEAD);
            } else {
                net.forward(x, loss);
                net.backward(loss, target);
            }
            TensorOps.firstNonFinite(par, grads);
            adam.step(params, grads, par);
            net.zeroGrad();
        }

        void step(boolean timed) {
            if (b == batches.count() - 1) {   // full batches only
                b = 0;
                batches.startEpoch();
                pending = false;
            }
            if (!timed) {
                wholeStep();
                return;
            }
            pending = false;
            List<Layer> layers = net.layers();
            long t = System.nanoTime(), u;
            gather();
            b++;
            Tensor x = batches.features(), target = batches.targets();
            u = System.nanoTime(); acc[0] += u - t; t = u;
            TensorOps.firstNonFinite(par, x);
            u = System.nanoTime(); acc[1] += u - t; t = u;
            Tensor h = layers.get(0).forward(x, true);
            u = System.nanoTime(); acc[2] += u - t; t = u;
            h = layers.get(1).forward(h, true);
            u = System.nanoTime(); acc[3] += u - t; t = u;
            ActivatedLayer last = (ActivatedLayer) layers.get(2);
            Tensor z = last.forwardPreActivation(h, true);
            u = System.nanoTime(); acc[4] += u - t; t = u;
            if (lossGrad == null) lossGrad = Tensor.zeros(DType.F32, z.shape());
            t = System.nanoTime();
            loss.forwardBackward(z, target, lossGrad);
            u = System.nanoTime(); acc[5] += u - t; t = u;
            Tensor d = last.backwardFromDelta(lossGrad, true, false);
            u = System.nanoTime(); acc[6] += u - t; t = u;
            d = layers.get(1).backward(d, true, false);
            u = System.nanoTime(); acc[7] += u - t; t = u;
            layers.get(0).backward(d, false, false);
            u = System.nanoTime(); acc[8] += u - t; t = u;
            TensorOps.firstNonFinite(par, grads);
            u = System.nanoTime(); acc[9] += u - t; t = u;
            adam.step(params, grads, par);
            u = System.nanoTime(); acc[10] += u - t;
        }

        Tensor lossGrad;

        void print() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("kind", "step_profile");
            out.put("jgrad_kernels", Kernels.get().description());
            out.put("threads", threads);
            double sum = 0;
            for (int p = 0; p < PHASES.length; p++) {
                double m = median(Arrays.copyOf(perRound[p], roundsDone));
                sum += m;
                out.put(PHASES[p] + "_us", Math.round(m * 10) / 10.0);
            }
            out.put("sum_of_phases_us", Math.round(sum * 10) / 10.0);
            out.put("whole_step_us", Math.round(median(Arrays.copyOf(whole, roundsDone)) * 10) / 10.0);
            out.put("whole_step_gather_first_us", Math.round(median(Arrays.copyOf(plain, roundsDone)) * 10) / 10.0);
            System.out.println(Json.write(out));
        }

        private static double median(double[] v) {
            Arrays.sort(v);
            return v[v.length / 2];
        }
    }
}
