package dev.jgrad.train;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.CheckpointFile;
import dev.jgrad.io.Model;
import dev.jgrad.io.TrainingState;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.Schedule;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mini-batch training. Per batch, a {@link TrainingStep}: forward, backward, the gradient hooks
 * (the user's, then penalties, the divergence guard and clipping), one optimizer update. Per
 * epoch: validation, the schedule, then the listeners (early stopping, checkpoints, the user's).
 * Everything random draws from generators seeded by the run's seed and saved in checkpoints,
 * and the kernels' results do not depend on the thread count, so a seed fixes the weights bit
 * for bit and a resumed run ends exactly where an uninterrupted one would.
 */
public final class Trainer {
    /** The file a run writes in its checkpoint directory. */
    public static final String CHECKPOINT_FILE = CheckpointFile.FILE;

    private final Sequential net;
    private final Loss loss;
    private final Optimizer optimizer;
    private final double baseLr;
    private final Schedule schedule;
    private final int epochs;
    private final int batchSize;
    private final Dataset validation;
    private final Normalizer normalizer;
    private final Rng batchRng;
    private final History history = new History();
    private final DivergenceGuard guard = new DivergenceGuard();
    private final EarlyStopper early;
    private final List<GradientHook> hooks = new ArrayList<>();
    /** The trainer's own listeners first (early stopping, then checkpoints, then the guard), then the user's. */
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final EarlyStopping earlyConfig;

    private int nextEpoch;
    private Dataset training;

    private Trainer(Builder b) {
        this.net = b.net;
        this.loss = b.loss;
        this.optimizer = b.optimizer != null ? b.optimizer : new Adam(1e-3);
        this.baseLr = optimizer.learningRate();
        this.schedule = b.schedule != null ? b.schedule : Schedule.constant();
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.validation = b.validation;
        this.normalizer = b.normalizer;
        this.batchRng = new Rng(b.seed);
        this.earlyConfig = b.early;
        this.early = b.early != null ? new EarlyStopper(b.early, net, history) : null;
        // The user's hooks see the gradient first (a distributed all-reduce must precede the rest).
        hooks.addAll(b.hooks);
        if (b.l1 > 0 || b.l2 > 0) hooks.add(new Penalties(net, b.l1, b.l2));
        hooks.add(guard);
        if (b.clipValue > 0) hooks.add(GradientClipping.byValue(b.clipValue));
        if (b.clipNorm > 0) hooks.add(GradientClipping.byNorm(b.clipNorm));
        if (early != null) listeners.add(early);
        if (b.checkpointDir != null) listeners.add(new Checkpointer(b.checkpointDir, this));
        listeners.add(guard);
        listeners.addAll(b.listeners);
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
        if (earlyConfig != null && validation == null && earlyConfig.monitor() != Metric.LOSS) {
            throw new IllegalArgumentException("early stopping on " + earlyConfig.monitor().spec() + " needs validation data");
        }
        training = train;
        Batches batches = new Batches(train, batchSize, true, batchRng, net.dtype());
        int count = batches.count();
        for (TrainingListener l : listeners) l.onTrainStart(epochs, count, train.size());
        TrainingStep step = new TrainingStep(net, loss, optimizer, hooks);
        boolean classify = train.isClassification();
        boolean ahead = net.parallel() != null && net.parallel().threads() > 1;
        for (int epoch = nextEpoch; epoch < epochs; epoch++) {
            for (TrainingListener l : listeners) l.onEpochStart(epoch);
            batches.startEpoch();
            long t0 = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            int seen = 0;
            boolean gathered = false;
            for (int b = 0; b < count; b++) {
                if (gathered) batches.advance();
                else BatchGather.load(batches, b, net.parallel());
                Tensor x = batches.features(), t = batches.targets();
                optimizer.setLearningRate(baseLr * schedule.factor(epoch, (double) b / count));
                // On a pool, the next batch of this epoch is gathered into the other buffer
                // during the stretch of the step that one thread computes alone; a copy is a copy,
                // so the bits are those of a gather at the start of the next step.
                gathered = ahead && b + 1 < count;
                double value;
                if (gathered) {
                    BatchGather next = BatchGather.ahead(batches, b + 1);
                    try {
                        value = step.run(x, t, epoch, b, next, next.tasks());
                    } finally {
                        next.release();
                    }
                } else {
                    value = step.run(x, t, epoch, b);
                }
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
            nextEpoch = epoch + 1;
            boolean stop = false;
            for (TrainingListener l : listeners) {
                l.onEpochEnd(r);
                stop |= l.stopRequested();
            }
            if (stop) {
                history.setStoppedEarly(true);
                break;
            }
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

    /** The model a checkpoint holds: usable as it is by eval and predict. */
    Model checkpointModel() {
        Normalizer n = normalizer != null ? normalizer : Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, net.inputSize())));
        return new Model(net, loss, n, training.classNames(), training.imageShape());
    }

    /** Everything a resumed run needs besides the model. */
    TrainingState state() {
        List<TrainingState.Epoch> done = new ArrayList<>();
        for (EpochResult r : history.epochs()) {
            Evaluation v = r.validation();
            done.add(new TrainingState.Epoch(r.epoch(), r.trainLoss(), r.trainAccuracy(), r.seconds(), r.samplesPerSecond(),
                    r.learningRate(), v == null ? null : new TrainingState.Validation(v.samples(), v.loss(), v.accuracy())));
        }
        return new TrainingState(nextEpoch, epochs, CheckpointFile.optimizerKey(optimizer), optimizer.state(),
                batchRng.state(), net.rng().state(), schedule.state(), early != null ? early.state() : null, done);
    }

    /** A checkpoint was written: every listener hears of it. */
    void checkpointed(int epoch, Path file) {
        for (TrainingListener l : listeners) l.onCheckpoint(epoch, file);
    }

    /**
     * Continues from a checkpoint written by a run with the same network, optimizer and settings:
     * weights, optimizer moments, schedule, generators, early-stopping state and history are
     * restored. Every field is checked first (see {@link CheckpointFile#read}); a checkpoint that
     * does not fit leaves this trainer and its network as they were.
     */
    public void resume(Path checkpoint) throws IOException {
        TrainingState s = CheckpointFile.read(checkpoint, net, optimizer, schedule.state().length, early != null);
        optimizer.loadState(s.optimizerState());
        nextEpoch = s.nextEpoch();
        batchRng.setState(s.batchRng());
        net.rng().setState(s.networkRng());
        schedule.loadState(s.schedule());
        if (early != null && s.early() != null) early.restore(s.early());
        history.clear();
        for (TrainingState.Epoch e : s.history()) {
            Evaluation val = e.validation() == null ? null : new Evaluation(e.validation().samples(), e.validation().loss(),
                    e.validation().accuracy(), new int[0][0], new double[0], new double[0], new double[0], Double.NaN,
                    Double.NaN, List.of());
            history.add(new EpochResult(e.epoch(), e.trainLoss(), e.trainAccuracy(), val, e.seconds(), e.samplesPerSecond(),
                    e.learningRate()));
        }
        if (s.early() != null) history.setBestEpoch(s.early().bestEpoch());
        guard.onCheckpoint(nextEpoch - 1, checkpoint);
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
        private final List<GradientHook> hooks = new ArrayList<>();
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
        public Builder clipNorm(double v) { this.clipNorm = nonNegative("clip norm", v); return this; }
        /** Clips each gradient element to ±v (0: off). */
        public Builder clipValue(double v) { this.clipValue = nonNegative("clip value", v); return this; }
        /** λ₁‖W‖₁ added to the loss, weights only (see {@link Penalties}). */
        public Builder l1(double v) { this.l1 = nonNegative("l1", v); return this; }
        /** λ₂‖W‖² added to the loss, weights only (see {@link Penalties}). */
        public Builder l2(double v) { this.l2 = nonNegative("l2", v); return this; }
        public Builder validation(Dataset d) { this.validation = d; return this; }
        public Builder earlyStopping(EarlyStopping e) { this.early = e; return this; }
        public Builder listener(TrainingListener l) { this.listeners.add(l); return this; }

        /** Adds a hook run on every step between backward and the optimizer's update, before jgrad's own. */
        public Builder gradientHook(GradientHook h) { this.hooks.add(h); return this; }

        /** Writes a checkpoint (model plus training state) to this directory after every epoch. */
        public Builder checkpointDir(Path dir) { this.checkpointDir = dir; return this; }
        /** The normaliser applied to the data, saved into checkpoints so they are usable models. */
        public Builder normalizer(Normalizer n) { this.normalizer = n; return this; }

        public Trainer build() {
            return new Trainer(this);
        }

        private static double nonNegative(String what, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException(what + " must be ≥ 0 and finite, got " + v);
            return v;
        }
    }
}
