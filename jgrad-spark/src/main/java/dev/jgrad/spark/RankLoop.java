package dev.jgrad.spark;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.CheckpointFile;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.io.TrainingState;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.BatchSums;
import dev.jgrad.nn.Dropout;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.Schedule;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.train.GradientHook;
import dev.jgrad.train.StepContext;
import dev.jgrad.train.TrainingStep;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training loop of one rank of a synchronous data-parallel run. Every rank walks the same
 * global batches that {@code jgrad train} walks over the whole data set with the same seed: the
 * order of all rows is shuffled each epoch by the same generator, batch b is rows
 * [b·B, (b+1)·B) of that order, and each rank takes the rows of the batch that it holds, in the
 * batch's order. Its gradient (the mean over its rows) is weighted by its share of the batch and
 * summed over the ranks in rank order (a {@link GradientHook} on the {@link TrainingStep}), so
 * that every rank holds the gradient of the whole batch and takes the same optimizer step.
 * Dropout draws, for each row, the mask that row's place in the global batch gets on one machine.
 * Batch norm sums its per-feature batch sums over the ranks too ({@link StatisticSums}), so that
 * it normalises with the global batch's statistics and passes back the global batch's dx.
 *
 * <p>With one rank this is {@code jgrad train}'s loop, bit for bit. With more, every forward
 * value and every per-row gradient is the same as on one machine, except through batch norm;
 * the sums over the batch in the parameter gradients (and in batch norm's statistics) are
 * associated differently (each rank's part first), which changes the last bits of the gradient
 * and, over many steps, of the weights.
 */
final class RankLoop {
    private final TrainingRecipe recipe;
    private final Shard shard;
    private final long totalRows;
    private final Collective collective;
    private final CheckpointStore store;
    private final int resumeFrom;

    /** Per-epoch results summed over every rank. */
    record Epoch(int epoch, double loss, double accuracy, double seconds) implements Serializable {
    }

    /** Where this rank's step time went, in nanoseconds summed over its steps. */
    record Times(long steps, long computeNanos, long sumNanos, long waitNanos) implements Serializable {
    }

    /**
     * What a rank hands back: the trained model file's bytes (rank 0 only, else null), the history,
     * its times over all the steps it took and over each epoch it trained.
     */
    record Result(int rank, byte[] model, List<Epoch> epochs, Times times, List<Times> epochTimes, int resumedFrom)
            implements Serializable {
    }

    /**
     * A loop over {@code shard}, one of the pieces of a data set of {@code totalRows} rows;
     * {@code store} may be null (no checkpoints); {@code resumeFrom} is the epochs done in the
     * checkpoint to start from (0: start afresh), the same on every rank.
     */
    RankLoop(TrainingRecipe recipe, Shard shard, long totalRows, Collective collective, CheckpointStore store, int resumeFrom) {
        if (totalRows > Integer.MAX_VALUE) throw new IllegalArgumentException("at most " + Integer.MAX_VALUE + " rows, got " + totalRows);
        if (shard.width() != recipe.inputs()) throw new IllegalArgumentException("the shard has " + shard.width()
                + " features per row, the network takes " + recipe.inputs());
        this.recipe = recipe;
        this.shard = shard;
        this.totalRows = totalRows;
        this.collective = collective;
        this.store = store;
        this.resumeFrom = resumeFrom;
    }

    Result run() throws IOException {
        try (Sequential net = recipe.network()) {
            Loss loss = recipe.loss();
            Optimizer optimizer = recipe.newOptimizer();
            double baseLr = optimizer.learningRate();
            Schedule schedule = recipe.newSchedule();
            Rng batchRng = new Rng(recipe.seed());
            List<Epoch> history = new ArrayList<>();
            int firstEpoch = 0;
            if (resumeFrom > 0) {
                Path file = store.fetch(resumeFrom);
                try {
                    TrainingState s = CheckpointFile.read(file, net, optimizer, schedule.state().length, false);
                    optimizer.loadState(s.optimizerState());
                    batchRng.setState(s.batchRng());
                    net.rng().setState(s.networkRng());
                    schedule.loadState(s.schedule());
                    firstEpoch = s.nextEpoch();
                    for (TrainingState.Epoch e : s.history()) history.add(new Epoch(e.epoch(), e.trainLoss(), e.trainAccuracy(), e.seconds()));
                } finally {
                    Files.deleteIfExists(file);
                }
                if (firstEpoch != resumeFrom) throw new IOException("the checkpoint of epoch " + resumeFrom + " says it is at epoch " + firstEpoch);
            }

            int total = (int) totalRows;
            int batch = Math.min(recipe.batchSize(), Math.max(1, total));
            int count = (total + batch - 1) / batch;
            int width = shard.width(), tw = shard.targetWidth();
            Tensor xBuf = new FloatTensor(Shape.of(batch, width)), tBuf = new FloatTensor(Shape.of(batch, tw));
            float[] xs = ((FloatTensor) xBuf).data(), ts = ((FloatTensor) tBuf).data();
            float[] features = shard.features(), targets = shard.targets();
            int[] order = new int[total];
            int[] positions = new int[batch];
            long dropoutDraws = 0;
            for (Layer l : net.layers()) if (l instanceof Dropout d && d.probability() > 0) dropoutDraws += d.inputSize();

            FloatTensor grads = (FloatTensor) net.gradientBuffer();
            Tensor params = net.parameterBuffer();
            SumHook hook = new SumHook(collective, grads);
            StatisticSums statistics = new StatisticSums(collective, hook);
            if (collective.size() > 1) net.sumBatchStatistics(statistics);
            TrainingStep step = new TrainingStep(net, loss, optimizer, List.of(hook));
            long computeNanos = 0, sumNanos = 0, steps = 0;
            long waitBefore = collective.waitNanos();
            List<Times> epochTimes = new ArrayList<>();
            boolean classify = recipe.classify();

            for (int epoch = firstEpoch; epoch < recipe.epochs(); epoch++) {
                for (int i = 0; i < total; i++) order[i] = i;
                batchRng.shuffle(order, total);
                long t0 = System.nanoTime();
                long compute0 = computeNanos, sum0 = sumNanos, steps0 = steps, wait0 = collective.waitNanos();
                double lossSum = 0, correct = 0;
                for (int b = 0; b < count; b++) {
                    int from = b * batch, n = Math.min(batch, total - from), k = 0;
                    for (int i = 0; i < n; i++) {
                        long g = order[from + i];
                        if (!shard.holds(g)) continue;
                        int local = (int) (g - shard.firstRow());
                        System.arraycopy(features, local * width, xs, k * width, width);
                        System.arraycopy(targets, local * tw, ts, k * tw, tw);
                        positions[k++] = i;
                    }
                    optimizer.setLearningRate(baseLr * schedule.factor(epoch, (double) b / count));
                    long s0 = System.nanoTime();
                    if (k > 0) {
                        Tensor x = xBuf.view(0, Shape.of(k, width)), t = tBuf.view(0, Shape.of(k, tw));
                        net.placeRows(positions, n);
                        hook.prepare(k, n, epoch, b);
                        double value = step.run(x, t, epoch, b);
                        lossSum += value * k;
                        if (classify) correct += correct(net.lossInput(loss), t);
                    } else {
                        // None of this batch is here: add nothing to the sum, move the dropout
                        // generator past the batch as the other ranks do, and take the same step.
                        java.util.Arrays.fill(grads.data(), grads.offset(), grads.offset() + grads.size(), 0f);
                        net.rng().skip(dropoutDraws * n);
                        hook.prepare(0, n, epoch, b);
                        net.joinBatchWithoutRows();
                        hook.apply(null);
                        optimizer.step(params, grads, net.parallel());
                        net.zeroGrad();
                    }
                    long s1 = System.nanoTime();
                    computeNanos += (s1 - s0) - hook.nanos - statistics.nanos;
                    sumNanos += hook.nanos + statistics.nanos;
                    statistics.nanos = 0;
                    steps++;
                }
                double[] sums = {lossSum, correct};
                collective.sum(sums);
                double seconds = (System.nanoTime() - t0) / 1e9;
                epochTimes.add(new Times(steps - steps0, computeNanos - compute0, sumNanos - sum0, collective.waitNanos() - wait0));
                double trainLoss = sums[0] / total;
                history.add(new Epoch(epoch, trainLoss, classify ? sums[1] / total : Double.NaN, seconds));
                schedule.onEpochEnd(epoch, trainLoss);
                if (store != null && collective.rank() == 0) {
                    checkpoint(net, loss, optimizer, schedule, batchRng, epoch + 1, history);
                }
            }
            net.placeRows(null, 0);
            net.sumBatchStatistics(null);
            byte[] model = collective.rank() == 0 ? modelBytes(new Model(net, loss, noNormalizer(net), classNames(), null)) : null;
            Times times = new Times(steps, computeNanos, sumNanos, collective.waitNanos() - waitBefore);
            return new Result(collective.rank(), model, history, times, epochTimes, resumeFrom);
        }
    }

    private List<String> classNames() {
        List<String> names = new ArrayList<>();
        if (recipe.classify()) for (int c = 0; c < recipe.outputs(); c++) names.add(Integer.toString(c));
        return names;
    }

    private static Normalizer noNormalizer(Sequential net) {
        return Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, net.inputSize())));
    }

    private void checkpoint(Sequential net, Loss loss, Optimizer optimizer, Schedule schedule, Rng batchRng, int nextEpoch,
                            List<Epoch> history) throws IOException {
        List<TrainingState.Epoch> done = new ArrayList<>();
        for (Epoch e : history) done.add(new TrainingState.Epoch(e.epoch(), e.loss(), e.accuracy(), e.seconds(), 0, optimizer.learningRate(), null));
        TrainingState s = new TrainingState(nextEpoch, recipe.epochs(), CheckpointFile.optimizerKey(optimizer), optimizer.state(),
                batchRng.state(), net.rng().state(), schedule.state(), null, done);
        Path tmp = Files.createTempFile("jgrad-checkpoint-", ".safetensors");
        try {
            CheckpointFile.write(tmp, new Model(net, loss, noNormalizer(net), classNames(), null), s);
            store.store(nextEpoch, tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static byte[] modelBytes(Model model) throws IOException {
        Path tmp = Files.createTempFile("jgrad-model-", ".safetensors");
        try {
            ModelFile.save(tmp, model);
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static long correct(Tensor y, Tensor t) {
        long c = 0;
        for (int r = 0; r < y.rows(); r++) if (TensorOps.argmaxRow(y, r) == (int) t.get(r)) c++;
        return c;
    }

    /**
     * Weighs this rank's mean gradient by its share of the batch, sums it over the ranks and
     * checks that the sum is finite (every rank sees the same sum, so all stop together).
     */
    private static final class SumHook implements GradientHook {
        private final Collective collective;
        private final FloatTensor grads;
        private int rows, batchRows, epoch, batch;
        long nanos;

        SumHook(Collective collective, FloatTensor grads) {
            this.collective = collective;
            this.grads = grads;
        }

        void prepare(int rows, int batchRows, int epoch, int batch) {
            this.rows = rows;
            this.batchRows = batchRows;
            this.epoch = epoch;
            this.batch = batch;
        }

        @Override
        public void apply(StepContext step) {
            long t0 = System.nanoTime();
            float[] g = grads.data();
            int off = grads.offset(), n = grads.size();
            if (rows != batchRows && rows > 0) {
                double share = (double) rows / batchRows;
                for (int i = off; i < off + n; i++) g[i] = (float) (g[i] * share);
            }
            try {
                collective.sum(g, off, n);
            } catch (IOException e) {
                throw new RankFailedException(e.getMessage(), e);
            }
            for (int i = off; i < off + n; i++) {
                if (!Float.isFinite(g[i])) {
                    throw new IllegalStateException("the gradient is not finite at epoch " + (epoch + 1) + ", step " + (batch + 1)
                            + " (parameter element " + (i - off) + "): lower the learning rate or check the data");
                }
            }
            nanos = System.nanoTime() - t0;
        }
    }

    /**
     * Batch norm's per-feature sums over the ranks. The forward sums (Σx, the row count,
     * Σ(x − μ)²) add as they are. The backward ones are of each rank's g, the gradient of the mean
     * loss over its own rows: weighted by the rank's share of the batch, as {@link SumHook} weighs
     * the parameter gradients, they add up to the global batch's, which goes back in the rank's scale.
     */
    private static final class StatisticSums implements BatchSums {
        private final Collective collective;
        private final SumHook hook;
        long nanos;

        StatisticSums(Collective collective, SumHook hook) {
            this.collective = collective;
            this.hook = hook;
        }

        @Override
        public void sumStatistics(double[] a) {
            sum(a);
        }

        @Override
        public void sumGradients(double[] a) {
            int rows = hook.rows, batchRows = hook.batchRows;
            if (rows > 0 && rows != batchRows) for (int i = 0; i < a.length; i++) a[i] = a[i] * rows / batchRows;
            sum(a);
            if (rows > 0 && rows != batchRows) for (int i = 0; i < a.length; i++) a[i] = a[i] * batchRows / rows;
        }

        private void sum(double[] a) {
            long t0 = System.nanoTime();
            try {
                collective.sum(a);
            } catch (IOException e) {
                throw new RankFailedException(e.getMessage(), e);
            }
            nanos += System.nanoTime() - t0;
        }
    }
}
