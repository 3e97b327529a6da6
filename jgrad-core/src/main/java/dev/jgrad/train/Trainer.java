package dev.jgrad.train;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.InvalidModelException;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.io.SafeTensors;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.optim.GradientTransforms;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.Schedule;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mini-batch training: per step, forward, loss, backward, penalties, a finiteness check,
 * clipping, one optimizer update; per epoch, validation, the schedule, early stopping and a
 * checkpoint. Everything random draws from generators seeded by the run's seed and saved in
 * checkpoints, and the kernels' results do not depend on the thread count, so a seed fixes the
 * weights bit for bit and a resumed run ends exactly where an uninterrupted one would.
 */
public final class Trainer {
    public static final String CHECKPOINT_KEY = "jgrad_checkpoint";
    public static final String CHECKPOINT_FILE = "last.safetensors";

    private final Sequential net;
    private final Loss loss;
    private final Optimizer optimizer;
    private final double baseLr;
    private final Schedule schedule;
    private final int epochs;
    private final int batchSize;
    private final double clipNorm, clipValue, l1, l2;
    private final Dataset validation;
    private final EarlyStopping early;
    private final List<TrainingListener> listeners;
    private final Path checkpointDir;
    private final Normalizer normalizer;
    private final boolean[] weightMask;

    private final Rng batchRng;
    private int nextEpoch;
    private History history = new History();
    private double best = Double.NaN;
    private int bestEpoch = -1;
    private int wait;
    private Tensor bestParams;
    private List<Tensor> bestBuffers;
    private Path lastCheckpoint;

    private Trainer(Builder b) {
        this.net = b.net;
        this.loss = b.loss;
        this.optimizer = b.optimizer != null ? b.optimizer : new Adam(1e-3);
        this.baseLr = optimizer.learningRate();
        this.schedule = b.schedule != null ? b.schedule : Schedule.constant();
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.clipNorm = b.clipNorm;
        this.clipValue = b.clipValue;
        this.l1 = b.l1;
        this.l2 = b.l2;
        this.validation = b.validation;
        this.early = b.early;
        this.listeners = List.copyOf(b.listeners);
        this.checkpointDir = b.checkpointDir;
        this.normalizer = b.normalizer;
        this.batchRng = new Rng(b.seed);
        this.weightMask = new boolean[net.parameterCount()];
        int at = 0;
        for (Parameter p : net.parameters()) {
            if (p.name().endsWith(".weight") && p.name().startsWith("layers.")) {
                java.util.Arrays.fill(weightMask, at, at + p.value().size(), true);
            }
            at += p.value().size();
        }
    }

    public static Builder builder(Sequential net, Loss loss) {
        return new Builder(net, loss);
    }

    public Sequential network() {
        return net;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public History history() {
        return history;
    }

    /** The epoch the next {@link #fit} starts from (0, or where a checkpoint left off). */
    public int nextEpoch() {
        return nextEpoch;
    }

    public History fit(Dataset train) {
        check(train, "training");
        if (validation != null) check(validation, "validation");
        if (early != null && validation == null && !early.monitor().equals("loss")) {
            throw new IllegalArgumentException("early stopping on " + early.monitor() + " needs validation data");
        }
        Batches batches = new Batches(train, batchSize, true, batchRng, net.dtype());
        int count = batches.count();
        for (TrainingListener l : listeners) l.onTrainStart(epochs, count, train.size());
        Tensor params = net.parameterBuffer(), grads = net.gradientBuffer();
        boolean classify = train.isClassification();
        net.zeroGrad();
        for (int epoch = nextEpoch; epoch < epochs; epoch++) {
            for (TrainingListener l : listeners) l.onEpochStart(epoch);
            batches.startEpoch();
            long t0 = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            int seen = 0;
            for (int b = 0; b < count; b++) {
                BatchGather.load(batches, b, net.parallel());
                Tensor x = batches.features(), t = batches.targets();
                optimizer.setLearningRate(baseLr * schedule.factor(epoch, (double) b / count));
                net.forward(x, loss);
                double value = net.backward(loss, t);
                if (!Double.isFinite(value)) {
                    throw new TrainingDivergedException("the loss is " + value, epoch, b, lastCheckpoint);
                }
                GradientTransforms.addPenalties(params, grads, weightMask, l1, l2);
                int bad = TensorOps.firstNonFinite(net.parallel(), grads);
                if (bad >= 0) {
                    throw new TrainingDivergedException("the gradient of " + parameterAt(bad) + " is " + grads.get(bad),
                            epoch, b, lastCheckpoint);
                }
                if (clipValue > 0) GradientTransforms.clipByValue(grads, clipValue);
                if (clipNorm > 0) GradientTransforms.clipByNorm(grads, clipNorm);
                optimizer.step(params, grads, net.parallel());
                // The next backward writes the gradients: nothing to clear, nothing to read back.
                net.discardGradients();
                int rows = x.rows();
                lossSum += value * rows;
                seen += rows;
                if (classify) correct += correct(net.lossInput(loss), t);
                for (TrainingListener l : listeners) l.onBatchEnd(epoch, b, count, value, seen);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Evaluation val = validation != null ? Metrics.evaluate(net, loss, validation, Math.max(batchSize, 256)) : null;
            double trainLoss = lossSum / seen;
            EpochResult r = new EpochResult(epoch, trainLoss, classify ? (double) correct / seen : Double.NaN, val,
                    seconds, seen / seconds, optimizer.learningRate());
            history.add(r);
            schedule.onEpochEnd(epoch, val != null ? val.loss() : trainLoss);
            boolean stop = false;
            if (early != null) {
                double v = val != null ? val.metric(early.monitor()) : trainLoss;
                if (early.improves(v, best)) {
                    best = v;
                    bestEpoch = epoch;
                    wait = 0;
                    if (early.restoreBest()) keepBest();
                } else if (++wait >= early.patience()) {
                    stop = true;
                }
                history.setBestEpoch(bestEpoch);
            }
            nextEpoch = epoch + 1;
            if (checkpointDir != null) writeCheckpoint(train);
            for (TrainingListener l : listeners) l.onEpochEnd(r);
            if (stop) {
                history.setStoppedEarly(true);
                break;
            }
        }
        if (early != null && early.restoreBest() && bestParams != null) {
            params.copyFrom(bestParams);
            for (int i = 0; i < bestBuffers.size(); i++) net.buffers().get(i).value().copyFrom(bestBuffers.get(i));
        }
        for (TrainingListener l : listeners) l.onTrainEnd(history);
        return history;
    }

    private void check(Dataset d, String what) {
        if (d.featureCount() != net.inputSize()) {
            throw new IllegalArgumentException(what + " data " + d.name() + " has " + d.featureCount()
                    + " features, the network takes [B, " + net.inputSize() + "]");
        }
        if (d.outputWidth() != net.outputSize()) {
            throw new IllegalArgumentException(what + " data " + d.name() + " needs " + d.outputWidth() + " outputs ("
                    + (d.isClassification() ? "classes" : "target columns") + "), the network gives [B, " + net.outputSize() + "]");
        }
    }

    private static long correct(Tensor y, Tensor t) {
        long c = 0;
        for (int r = 0; r < y.rows(); r++) if (TensorOps.argmaxRow(y, r) == (int) t.get(r)) c++;
        return c;
    }

    private String parameterAt(int flat) {
        int at = 0;
        for (Parameter p : net.parameters()) {
            int n = p.value().size();
            if (flat < at + n) return p.name() + "[" + (flat - at) + "]";
            at += n;
        }
        return "parameter " + flat;
    }

    private void keepBest() {
        if (bestParams == null) {
            bestParams = net.parameterBuffer().copy();
            bestBuffers = new ArrayList<>();
            for (Parameter b : net.buffers()) bestBuffers.add(b.value().copy());
        } else {
            bestParams.copyFrom(net.parameterBuffer());
            for (int i = 0; i < bestBuffers.size(); i++) bestBuffers.get(i).copyFrom(net.buffers().get(i).value());
        }
    }

    /** Writes {@code last.safetensors} in the checkpoint directory, atomically: a usable model plus the training state. */
    private void writeCheckpoint(Dataset train) {
        Path file = checkpointDir.resolve(CHECKPOINT_FILE);
        Map<String, Tensor> extra = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : optimizer.state().entrySet()) extra.put("optimizer." + e.getKey(), e.getValue());
        if (bestParams != null) {
            extra.put("best.parameters", bestParams);
            for (int i = 0; i < bestBuffers.size(); i++) extra.put("best." + net.buffers().get(i).name(), bestBuffers.get(i));
        }
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("next_epoch", nextEpoch);
        state.put("epochs", epochs);
        state.put("optimizer", optimizer.describe().replaceAll("lr=[^,)]*", "lr=*"));
        state.put("batch_rng", Long.toString(batchRng.state()));
        state.put("network_rng", Long.toString(net.rng().state()));
        state.put("schedule", schedule.state());
        state.put("best", Double.isNaN(best) ? "NaN" : best);
        state.put("best_epoch", bestEpoch);
        state.put("wait", wait);
        List<Object> epochsDone = new ArrayList<>();
        for (EpochResult r : history.epochs()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", r.epoch());
            e.put("train_loss", r.trainLoss());
            e.put("train_accuracy", Double.isNaN(r.trainAccuracy()) ? "NaN" : r.trainAccuracy());
            e.put("seconds", r.seconds());
            e.put("samples_per_second", r.samplesPerSecond());
            e.put("learning_rate", r.learningRate());
            if (r.validation() != null) {
                e.put("val_loss", r.validation().loss());
                e.put("val_accuracy", Double.isNaN(r.validation().accuracy()) ? "NaN" : r.validation().accuracy());
                e.put("val_samples", r.validation().samples());
            }
            epochsDone.add(e);
        }
        state.put("history", epochsDone);
        Model model = new Model(net, loss, normalizer != null ? normalizer
                : Normalizer.fit("none", new FloatTensor(Shape.of(1, net.inputSize()))), train.classNames(), train.imageShape());
        try {
            Files.createDirectories(checkpointDir);
            ModelFile.save(file, model, extra, Map.of(CHECKPOINT_KEY, Json.write(state)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
        lastCheckpoint = file;
        for (TrainingListener l : listeners) l.onCheckpoint(nextEpoch - 1, file);
    }

    /**
     * Continues from a checkpoint written by a run with the same network, optimizer and settings:
     * weights, optimizer moments, schedule, generators, early-stopping state and history are restored.
     */
    @SuppressWarnings("unchecked")
    public void resume(Path checkpoint) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(checkpoint);
        String json = c.metadata().get(CHECKPOINT_KEY);
        if (json == null) throw new InvalidModelException(checkpoint + ": not a checkpoint (no training state in the metadata)");
        Map<String, Object> s = Json.parseObject(json);
        String opt = optimizer.describe().replaceAll("lr=[^,)]*", "lr=*");
        if (!opt.equals(s.get("optimizer"))) {
            throw new InvalidModelException(checkpoint + ": saved with optimizer " + s.get("optimizer") + ", this run uses " + opt);
        }
        for (Parameter p : net.parameters()) copyInto(c, checkpoint, p.name(), p.value());
        for (Parameter p : net.buffers()) copyInto(c, checkpoint, p.name(), p.value());
        Map<String, Tensor> optState = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            if (e.getKey().startsWith("optimizer.")) optState.put(e.getKey().substring(10), e.getValue().to(net.dtype()));
        }
        optState.computeIfPresent("step", (k, v) -> c.tensors().get("optimizer.step"));
        optimizer.loadState(optState);
        nextEpoch = ((Number) s.get("next_epoch")).intValue();
        batchRng.setState(Long.parseLong((String) s.get("batch_rng")));
        net.rng().setState(Long.parseLong((String) s.get("network_rng")));
        List<Object> sched = (List<Object>) s.get("schedule");
        double[] st = new double[sched.size()];
        for (int i = 0; i < st.length; i++) st[i] = number(sched.get(i));
        schedule.loadState(st);
        best = number(s.get("best"));
        bestEpoch = ((Number) s.get("best_epoch")).intValue();
        wait = ((Number) s.get("wait")).intValue();
        if (c.tensors().containsKey("best.parameters")) {
            bestParams = c.tensors().get("best.parameters").to(net.dtype());
            bestBuffers = new ArrayList<>();
            for (Parameter b : net.buffers()) bestBuffers.add(c.require("best." + b.name(), checkpoint).to(net.dtype()));
        }
        history = new History();
        for (Object o : (List<Object>) s.get("history")) {
            Map<String, Object> e = (Map<String, Object>) o;
            Evaluation val = null;
            if (e.containsKey("val_loss")) {
                val = new Evaluation(((Number) e.get("val_samples")).intValue(), number(e.get("val_loss")), number(e.get("val_accuracy")),
                        new int[0][0], new double[0], new double[0], new double[0], Double.NaN, Double.NaN, List.of());
            }
            history.add(new EpochResult(((Number) e.get("epoch")).intValue(), number(e.get("train_loss")),
                    number(e.get("train_accuracy")), val, number(e.get("seconds")), number(e.get("samples_per_second")),
                    number(e.get("learning_rate"))));
        }
        history.setBestEpoch(bestEpoch);
        lastCheckpoint = checkpoint;
    }

    private static double number(Object o) {
        if (o instanceof Number n) return n.doubleValue();
        return Double.parseDouble(String.valueOf(o));
    }

    private static void copyInto(SafeTensors.Contents c, Path file, String name, Tensor into) {
        Tensor t = c.require(name, file);
        if (!t.shape().equals(into.shape())) {
            throw new InvalidModelException(file + ": tensor '" + name + "' has shape " + t.shape() + ", this network needs " + into.shape());
        }
        into.copyFrom(t);
    }

    /** Configures a run; everything but the network and the loss has a default. */
    public static final class Builder {
        private final Sequential net;
        private final Loss loss;
        private Optimizer optimizer;
        private Schedule schedule;
        private int epochs = 10;
        private int batchSize = 128;
        private long seed = 1;
        private double clipNorm, clipValue, l1, l2;
        private Dataset validation;
        private EarlyStopping early;
        private final List<TrainingListener> listeners = new ArrayList<>();
        private Path checkpointDir;
        private Normalizer normalizer;

        private Builder(Sequential net, Loss loss) {
            this.net = net;
            this.loss = loss;
        }

        public Builder optimizer(Optimizer o) { this.optimizer = o; return this; }
        public Builder schedule(Schedule s) { this.schedule = s; return this; }

        public Builder epochs(int e) {
            if (e < 0) throw new IllegalArgumentException("epochs must be ≥ 0, got " + e);
            this.epochs = e;
            return this;
        }

        public Builder batchSize(int b) {
            if (b <= 0) throw new IllegalArgumentException("batch size must be positive, got " + b);
            this.batchSize = b;
            return this;
        }

        /** Seeds the order of samples in each epoch. */
        public Builder seed(long s) { this.seed = s; return this; }
        /** Clips the global gradient norm to this value (0: off). */
        public Builder clipNorm(double v) { this.clipNorm = v; return this; }
        /** Clips each gradient element to ±v (0: off). */
        public Builder clipValue(double v) { this.clipValue = v; return this; }
        /** λ₁‖W‖₁ added to the loss, dense weights only. */
        public Builder l1(double v) { this.l1 = v; return this; }
        /** λ₂‖W‖² added to the loss, dense weights only. */
        public Builder l2(double v) { this.l2 = v; return this; }
        public Builder validation(Dataset d) { this.validation = d; return this; }
        public Builder earlyStopping(EarlyStopping e) { this.early = e; return this; }
        public Builder listener(TrainingListener l) { this.listeners.add(l); return this; }
        /** Writes a checkpoint (model plus training state) to this directory after every epoch. */
        public Builder checkpointDir(Path dir) { this.checkpointDir = dir; return this; }
        /** The normaliser applied to the data, saved into checkpoints so they are usable models. */
        public Builder normalizer(Normalizer n) { this.normalizer = n; return this; }

        public Trainer build() {
            return new Trainer(this);
        }
    }
}
