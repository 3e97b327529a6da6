package dev.jgrad.spark;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.Schedule;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.train.TrainingStep;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameter averaging, for clusters whose tasks cannot open connections to each other: rounds
 * of Spark jobs and nothing else. In each round the driver broadcasts the parameters and the
 * optimizer's state; every partition takes {@code interval} steps on local batches of its own
 * rows (the global batch divided by the partitions); a {@code treeReduce} sums what they end
 * with and the driver averages it. With one partition and any interval this is plain training on
 * one machine; with more it is an approximation: each partition follows its own gradient for
 * {@code interval} steps before the models are pulled together, Adam's moments are averaged
 * like the weights, and partitions are visited in their own orders. The sums go through Spark's
 * tree in an order it chooses, so runs agree to rounding, not to the bit (the synchronous mode
 * is the exact one).
 */
final class AveragingTraining {
    private AveragingTraining() {
    }

    /** The trained model file's bytes and the history. */
    record Fitted(byte[] model, TrainingSummary summary) {
    }

    /** What the driver broadcasts each round. */
    record RoundStart(float[] params, Map<String, double[]> optimizer, int epoch, int firstStep, int steps, int stepsPerEpoch)
            implements Serializable {
    }

    /** What a partition hands back from a round, summed over the partitions by the tree. */
    record RoundEnd(double[] params, Map<String, double[]> optimizer, double lossSum, double correct, double rows, int parts)
            implements Serializable {

        RoundEnd plus(RoundEnd o) {
            double[] p = params.clone();
            for (int i = 0; i < p.length; i++) p[i] += o.params[i];
            Map<String, double[]> s = new LinkedHashMap<>();
            for (Map.Entry<String, double[]> e : optimizer.entrySet()) {
                double[] a = e.getValue().clone(), b = o.optimizer.get(e.getKey());
                for (int i = 0; i < a.length; i++) a[i] += b[i];
                s.put(e.getKey(), a);
            }
            return new RoundEnd(p, s, lossSum + o.lossSum, correct + o.correct, rows + o.rows, parts + o.parts);
        }
    }

    static Fitted run(Dataset<Row> rows, TrainingData.Layout layout, TrainingRecipe recipe, int interval) {
        if (interval <= 0) throw new IllegalArgumentException("averagingInterval must be positive, got " + interval);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext());
        int parts = layout.rows().length;
        TrainingData.Layout lay = layout;
        JavaRDD<Shard> shards = rows.javaRDD().mapPartitionsWithIndex((p, it) -> List.of(TrainingData.shard(it, lay.first(p),
                Math.toIntExact(lay.rows()[p]), lay.width(), recipe.classify(), recipe.outputs())).iterator(), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try (Sequential net = recipe.network()) {
            Optimizer optimizer = recipe.newOptimizer();
            Schedule schedule = recipe.newSchedule();
            int local = Math.max(1, recipe.batchSize() / parts);
            long largest = 0;
            for (long r : layout.rows()) largest = Math.max(largest, r);
            int stepsPerEpoch = (int) ((largest + local - 1) / local);
            List<TrainingSummary.Epoch> epochs = new ArrayList<>();
            float[] params = ((FloatTensor) net.parameterBuffer().copy()).data();
            Map<String, double[]> state = toDoubles(optimizer.state());
            for (int epoch = 0; epoch < recipe.epochs(); epoch++) {
                long t0 = System.nanoTime();
                double lossSum = 0, correct = 0, seen = 0;
                for (int first = 0; first < stepsPerEpoch; first += interval) {
                    RoundStart start = new RoundStart(params, state, epoch, first, Math.min(interval, stepsPerEpoch - first), stepsPerEpoch);
                    Broadcast<RoundStart> b = jsc.broadcast(start);
                    RoundEnd sum = shards.map(s -> localSteps(recipe, s, b.value(), parts)).treeReduce(RoundEnd::plus, 2);
                    b.destroy();
                    params = new float[params.length];
                    for (int i = 0; i < params.length; i++) params[i] = (float) (sum.params()[i] / sum.parts());
                    state = new LinkedHashMap<>();
                    for (Map.Entry<String, double[]> e : sum.optimizer().entrySet()) {
                        double[] a = e.getValue().clone();
                        for (int i = 0; i < a.length; i++) a[i] /= sum.parts();
                        state.put(e.getKey(), a);
                    }
                    lossSum += sum.lossSum();
                    correct += sum.correct();
                    seen += sum.rows();
                }
                double trainLoss = lossSum / seen;
                epochs.add(new TrainingSummary.Epoch(epoch, trainLoss, recipe.classify() ? correct / seen : Double.NaN,
                        (System.nanoTime() - t0) / 1e9));
                schedule.onEpochEnd(epoch, trainLoss);
            }
            net.parameterBuffer().copyFrom(new FloatTensor(params, 0, Shape.of(params.length)));
            List<String> classes = new ArrayList<>();
            if (recipe.classify()) for (int c = 0; c < recipe.outputs(); c++) classes.add(Integer.toString(c));
            Model model = new Model(net, recipe.loss(), Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, net.inputSize()))),
                    classes, null);
            return new Fitted(RankLoop.modelBytes(model), new TrainingSummary(epochs, List.of(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            shards.unpersist(false);
        }
    }

    /** One partition's steps of a round, from the broadcast parameters and optimizer state. */
    static RoundEnd localSteps(TrainingRecipe recipe, Shard shard, RoundStart start, int parts) {
        try (Sequential net = recipe.network()) {
            Loss loss = recipe.loss();
            Optimizer optimizer = recipe.newOptimizer();
            Schedule schedule = recipe.newSchedule();
            double baseLr = optimizer.learningRate();
            net.parameterBuffer().copyFrom(new FloatTensor(start.params(), 0, Shape.of(start.params().length)));
            // Before the first round the optimizer has taken no step and has no moments to load.
            if (start.optimizer().keySet().containsAll(optimizer.stateNames())) optimizer.loadState(toTensors(start.optimizer()));
            int local = Math.max(1, recipe.batchSize() / parts);
            int width = shard.width();
            // This partition's order for the epoch, and dropout, from generators of its own.
            long partSeed = recipe.seed() * 0x9E3779B97F4A7C15L + (long) shard.firstRow() * 31 + start.epoch();
            Rng order = new Rng(partSeed);
            int[] idx = new int[shard.rows()];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            order.shuffle(idx, idx.length);
            net.rng().setState(partSeed ^ ((long) start.firstStep() << 20));
            TrainingStep step = new TrainingStep(net, loss, optimizer, List.of());
            Tensor xBuf = new FloatTensor(Shape.of(local, width)), tBuf = new FloatTensor(Shape.of(local, 1));
            float[] xs = ((FloatTensor) xBuf).data(), ts = ((FloatTensor) tBuf).data();
            double lossSum = 0, correct = 0, rows = 0;
            for (int s = start.firstStep(); s < start.firstStep() + start.steps(); s++) {
                // A partition smaller than the largest wraps round its rows.
                int n = local;
                for (int i = 0; i < n; i++) {
                    int r = idx[(int) (((long) s * local + i) % idx.length)];
                    System.arraycopy(shard.features(), r * width, xs, i * width, width);
                    ts[i] = shard.targets()[r];
                }
                optimizer.setLearningRate(baseLr * schedule.factor(start.epoch(), (double) s / start.stepsPerEpoch()));
                double value = step.run(xBuf, tBuf, start.epoch(), s);
                lossSum += value * n;
                rows += n;
                if (recipe.classify()) {
                    Tensor y = net.lossInput(loss);
                    for (int r = 0; r < n; r++) if (TensorOps.argmaxRow(y, r) == (int) ts[r]) correct++;
                }
            }
            float[] p = ((FloatTensor) net.parameterBuffer()).data();
            int off = ((FloatTensor) net.parameterBuffer()).offset();
            double[] pd = new double[net.parameterCount()];
            for (int i = 0; i < pd.length; i++) pd[i] = p[off + i];
            return new RoundEnd(pd, toDoubles(optimizer.state()), lossSum, correct, rows, 1);
        }
    }

    private static Map<String, double[]> toDoubles(Map<String, Tensor> state) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor t = e.getValue();
            double[] a = new double[t.size()];
            for (int i = 0; i < a.length; i++) a[i] = t.get(i);
            out.put(e.getKey(), a);
        }
        return out;
    }

    private static Map<String, Tensor> toTensors(Map<String, double[]> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : state.entrySet()) {
            double[] a = e.getValue();
            Tensor t = Tensor.zeros(e.getKey().equals("step") ? DType.F64 : DType.F32, Shape.of(a.length));
            for (int i = 0; i < a.length; i++) t.set(i, a[i]);
            out.put(e.getKey(), t);
        }
        return out;
    }
}
