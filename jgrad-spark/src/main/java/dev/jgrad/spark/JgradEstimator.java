package dev.jgrad.spark;

import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import java.util.List;

/**
 * What {@link JgradClassifier} and {@link JgradRegressor} share: the Params of
 * {@code jgrad train} and of distributed training, and the fit itself. Each partition of the
 * training data becomes one rank; see SPARK.md in the docs for the two modes.
 *
 * @param <M> the model a fit gives
 */
public abstract class JgradEstimator<M extends JgradModel<M>> extends Estimator<M> implements DefaultParamsWritable {
    private final String uid;
    private final Param<String> featuresCol, labelCol, predictionCol, layers, norm, optimizer, schedule, mode, checkpointDir, transport;
    private final DoubleParam dropout, learningRate, momentum, weightDecay;
    private final IntParam batchSize, epochs, threadsPerTask, averagingInterval, connectTimeoutMs, readTimeoutMs;
    private final LongParam seed;

    protected JgradEstimator(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "features column: one vector per row");
        labelCol = new Param<>(this, "labelCol", "label column: numeric");
        predictionCol = new Param<>(this, "predictionCol", "prediction column the model adds");
        layers = new Param<>(this, "layers", "hidden layers as width:activation,..., as jgrad train --layers");
        norm = new Param<>(this, "norm", "normalisation after each hidden layer: none, batch (synchronized over the ranks) or layer");
        optimizer = new Param<>(this, "optimizer", "sgd, momentum, nesterov, adam, adamw, rmsprop or adagrad");
        schedule = new Param<>(this, "schedule", "learning-rate schedule as jgrad train --schedule spells it");
        mode = new Param<>(this, "mode", "sync (exact synchronous data parallelism over TCP) or averaging (parameter averaging every averagingInterval steps, no sockets)");
        checkpointDir = new Param<>(this, "checkpointDir", "directory of any Hadoop file system for a checkpoint per epoch (empty: none); a retried or rerun fit resumes from it");
        transport = new Param<>(this, "transport", "mode=sync: how ranks sum gradients: auto (shared memory when all ranks are on one host, else TCP) or tcp (always TCP)");
        dropout = new DoubleParam(this, "dropout", "dropout after each hidden layer, in [0, 1)");
        learningRate = new DoubleParam(this, "learningRate", "base learning rate (0: the optimizer's default)");
        momentum = new DoubleParam(this, "momentum", "momentum for sgd, momentum, nesterov and rmsprop");
        weightDecay = new DoubleParam(this, "weightDecay", "optimizer weight decay (decoupled for adamw)");
        batchSize = new IntParam(this, "batchSize", "global batch: rows per step over all ranks together");
        epochs = new IntParam(this, "epochs", "passes over the data");
        threadsPerTask = new IntParam(this, "threadsPerTask", "kernel threads in each task (match spark.task.cpus)");
        averagingInterval = new IntParam(this, "averagingInterval", "mode=averaging: local steps between two averagings");
        connectTimeoutMs = new IntParam(this, "connectTimeoutMs", "mode=sync: how long ranks wait to connect to each other");
        readTimeoutMs = new IntParam(this, "readTimeoutMs", "mode=sync: how long a rank waits for a peer's data before the run fails");
        seed = new LongParam(this, "seed", "seed for weights, sample order and dropout");
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(layers, "128:relu");
        setDefault(norm, "none");
        setDefault(optimizer, "adam");
        setDefault(schedule, "constant");
        setDefault(mode, "sync");
        setDefault(checkpointDir, "");
        setDefault(transport, "auto");
        setDefault(dropout, 0.0);
        setDefault(learningRate, 0.0);
        setDefault(momentum, 0.0);
        setDefault(weightDecay, 0.0);
        setDefault(batchSize, 128);
        setDefault(epochs, 10);
        setDefault(threadsPerTask, 1);
        setDefault(averagingInterval, 10);
        setDefault(connectTimeoutMs, 60_000);
        setDefault(readTimeoutMs, 120_000);
        setDefault(seed, 1L);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> layers() { return layers; }
    public Param<String> norm() { return norm; }
    public Param<String> optimizer() { return optimizer; }
    public Param<String> schedule() { return schedule; }
    public Param<String> mode() { return mode; }
    public Param<String> checkpointDir() { return checkpointDir; }
    public Param<String> transport() { return transport; }
    public DoubleParam dropout() { return dropout; }
    public DoubleParam learningRate() { return learningRate; }
    public DoubleParam momentum() { return momentum; }
    public DoubleParam weightDecay() { return weightDecay; }
    public IntParam batchSize() { return batchSize; }
    public IntParam epochs() { return epochs; }
    public IntParam threadsPerTask() { return threadsPerTask; }
    public IntParam averagingInterval() { return averagingInterval; }
    public IntParam connectTimeoutMs() { return connectTimeoutMs; }
    public IntParam readTimeoutMs() { return readTimeoutMs; }
    public LongParam seed() { return seed; }

    /** Sets a Param and returns this estimator, for chained configuration. */
    @SuppressWarnings("unchecked")
    protected final <T, S extends JgradEstimator<M>> S with(Param<T> p, T value) {
        set(p, value);
        return (S) this;
    }

    public JgradEstimator<M> setFeaturesCol(String v) { return with(featuresCol, v); }
    public JgradEstimator<M> setLabelCol(String v) { return with(labelCol, v); }
    public JgradEstimator<M> setPredictionCol(String v) { return with(predictionCol, v); }
    public JgradEstimator<M> setLayers(String v) { return with(layers, v); }
    public JgradEstimator<M> setNorm(String v) { return with(norm, v); }
    public JgradEstimator<M> setOptimizer(String v) { return with(optimizer, v); }
    public JgradEstimator<M> setSchedule(String v) { return with(schedule, v); }
    public JgradEstimator<M> setMode(String v) { return with(mode, v); }
    public JgradEstimator<M> setCheckpointDir(String v) { return with(checkpointDir, v); }
    public JgradEstimator<M> setTransport(String v) { return with(transport, v); }
    public JgradEstimator<M> setDropout(double v) { return with(dropout, (Object) v); }
    public JgradEstimator<M> setLearningRate(double v) { return with(learningRate, (Object) v); }
    public JgradEstimator<M> setMomentum(double v) { return with(momentum, (Object) v); }
    public JgradEstimator<M> setWeightDecay(double v) { return with(weightDecay, (Object) v); }
    public JgradEstimator<M> setBatchSize(int v) { return with(batchSize, (Object) v); }
    public JgradEstimator<M> setEpochs(int v) { return with(epochs, (Object) v); }
    public JgradEstimator<M> setThreadsPerTask(int v) { return with(threadsPerTask, (Object) v); }
    public JgradEstimator<M> setAveragingInterval(int v) { return with(averagingInterval, (Object) v); }
    public JgradEstimator<M> setConnectTimeoutMs(int v) { return with(connectTimeoutMs, (Object) v); }
    public JgradEstimator<M> setReadTimeoutMs(int v) { return with(readTimeoutMs, (Object) v); }
    public JgradEstimator<M> setSeed(long v) { return with(seed, (Object) v); }

    @SuppressWarnings("unchecked")
    protected final <T> T value(Param<?> p) {
        return (T) getOrDefault(p);
    }

    /** Classes of a classifier (0: inferred from the labels), −1 for a regressor. */
    abstract int classesWanted();

    /** The model over a trained network's model-file bytes. */
    abstract M newModel(String uid, byte[] model, TrainingSummary summary);

    /** The settings of a run over data of this width with this many outputs. */
    final TrainingRecipe recipe(int inputs, int outputs) {
        return new TrainingRecipe(inputs, outputs, classesWanted() >= 0, value(layers), value(norm), (Double) value(dropout),
                value(optimizer), (Double) value(learningRate), (Double) value(momentum), (Double) value(weightDecay),
                value(schedule), (Integer) value(batchSize), (Integer) value(epochs), (Long) value(seed), (Integer) value(threadsPerTask));
    }

    @Override
    public M fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        String f = value(featuresCol), l = value(labelCol);
        // Fail on bad settings before touching the data.
        recipe(1, classesWanted() < 0 ? 1 : 2);
        Dataset<Row> rows = TrainingData.select(dataset, f, l);
        // The rows are read twice (checked, then trained on): computed once unless the caller cached them.
        boolean cache = dataset.storageLevel().equals(StorageLevel.NONE());
        if (cache) rows = rows.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            return fit(rows, f, l);
        } finally {
            if (cache) rows.unpersist(false);
        }
    }

    private M fit(Dataset<Row> rows, String f, String l) {
        TrainingData.Layout layout = TrainingData.check(rows, f, l, classesWanted(), 0);
        int outputs = classesWanted() < 0 ? 1 : layout.classes();
        TrainingRecipe recipe = recipe(layout.width(), outputs);
        String m = value(mode);
        byte[] model;
        TrainingSummary summary;
        switch (m) {
            case "sync" -> {
                List<RankLoop.Result> results = SyncTraining.run(rows, layout, recipe, value(checkpointDir),
                        new SyncTraining.Limits(value(connectTimeoutMs), value(readTimeoutMs), 30_000, value(transport)));
                model = results.getFirst().model();
                summary = TrainingSummary.of(results);
            }
            case "averaging" -> {
                AveragingTraining.Fitted fitted = AveragingTraining.run(rows, layout, recipe, value(averagingInterval));
                model = fitted.model();
                summary = fitted.summary();
            }
            default -> throw new IllegalArgumentException("mode takes sync or averaging, not '" + m + "'");
        }
        M fitted = newModel(uid, model, summary);
        copyValues(fitted, extractParamMap());
        return fitted.setParent(this);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        FeaturesColumn.require(schema, value(featuresCol));
        return schema.add(value(predictionCol), DataTypes.DoubleType, false);
    }

    @Override
    public JgradEstimator<M> copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
