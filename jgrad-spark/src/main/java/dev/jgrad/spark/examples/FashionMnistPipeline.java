package dev.jgrad.spark.examples;

import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;
import dev.jgrad.spark.JgradClassificationModel;
import dev.jgrad.spark.JgradClassifier;
import dev.jgrad.spark.TrainingSummary;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fashion-MNIST on Spark, as a data engineer would meet it: the IDX files are written once to
 * Parquet (one column per pixel, scaled to [0, 1], and a label; kept for later runs), read back as a DataFrame, and a
 * Pipeline of a {@link VectorAssembler} and a {@link JgradClassifier} is fitted on one partition
 * per executor, evaluated on the test set, saved, loaded and evaluated again.
 *
 * <p>Options (all optional): {@code --data DIR} (the IDX files, default
 * /usr/share/datasets/fashion-mnist), {@code --work DIR} (Parquet and the saved model, default
 * /tmp/jgrad-fashion), {@code --ranks N} (partitions = ranks, default 2), {@code --epochs N}
 * (default 15), {@code --batch N} (default 128), {@code --layers SPEC} (default 256:relu,128:relu),
 * {@code --mode sync|averaging}, {@code --interval K} (steps between averagings, default 10),
 * {@code --threads N} (kernel threads per task, default 1), {@code --transport auto|tcp} (how
 * mode=sync sums: shared memory when the ranks share a host, or always TCP; default auto).
 * Prints one line per result and, last, one JSON object.
 */
public final class FashionMnistPipeline {
    private FashionMnistPipeline() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> o = new LinkedHashMap<>(Map.of("data", "/usr/share/datasets/fashion-mnist", "work", "/tmp/jgrad-fashion",
                "ranks", "2", "epochs", "15", "batch", "128", "layers", "256:relu,128:relu", "mode", "sync", "interval", "10",
                "threads", "1", "transport", "auto"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--") || !o.containsKey(args[i].substring(2))) {
                throw new IllegalArgumentException("unknown option " + args[i] + " (known: " + o.keySet() + ")");
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        SparkSession spark = SparkSession.builder().appName("jgrad Fashion-MNIST").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        String work = o.get("work");
        int ranks = Integer.parseInt(o.get("ranks"));

        long t0 = System.nanoTime();
        IdxReader.TrainTest idx = IdxReader.readDirectory(Path.of(o.get("data")));
        String[] pixels = new String[idx.train().featureCount()];
        for (int j = 0; j < pixels.length; j++) pixels[j] = "p" + j;
        if (!java.nio.file.Files.exists(Path.of(work, "test.parquet", "_SUCCESS"))) {
            writeParquet(spark, idx.train(), pixels, work + "/train.parquet", ranks);
            writeParquet(spark, idx.test(), pixels, work + "/test.parquet", ranks);
        }
        double parquetSeconds = (System.nanoTime() - t0) / 1e9;

        var train = spark.read().parquet(work + "/train.parquet").coalesce(ranks).cache();
        var test = spark.read().parquet(work + "/test.parquet").cache();
        System.out.printf("train %,d rows in %d partitions, test %,d rows (Parquet written in %.1f s)%n", train.count(),
                train.rdd().getNumPartitions(), test.count(), parquetSeconds);

        JgradClassifier clf = new JgradClassifier();
        clf.setLayers(o.get("layers")).setOptimizer("adam").setBatchSize(Integer.parseInt(o.get("batch")))
                .setEpochs(Integer.parseInt(o.get("epochs"))).setSeed(1).setMode(o.get("mode"))
                .setAveragingInterval(Integer.parseInt(o.get("interval")))
                .setThreadsPerTask(Integer.parseInt(o.get("threads"))).setTransport(o.get("transport"));
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{
                new VectorAssembler().setInputCols(pixels).setOutputCol("features"), clf});
        long t1 = System.nanoTime();
        PipelineModel model = pipeline.fit(train);
        double fitSeconds = (System.nanoTime() - t1) / 1e9;
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        double testAccuracy = accuracy.evaluate(model.transform(test));
        JgradClassificationModel jm = (JgradClassificationModel) model.stages()[1];
        TrainingSummary s = jm.summary();
        for (TrainingSummary.Epoch e : s.epochs()) {
            System.out.printf("epoch %2d  loss %.4f  train_acc %.4f  %.2f s%n", e.epoch() + 1, e.loss(), e.accuracy(), e.seconds());
        }
        double trainSeconds = s.epochs().stream().mapToDouble(TrainingSummary.Epoch::seconds).sum();
        for (TrainingSummary.Rank r : s.ranks()) {
            System.out.printf("rank %d: %d steps, compute %.2f s, gradient sums %.2f s (of which waiting %.2f s)%n",
                    r.rank(), r.steps(), r.computeSeconds(), r.sumSeconds(), r.waitSeconds());
        }
        System.out.printf("fit %.1f s (training loop %.1f s, %,.0f samples/s), test accuracy %.4f%n", fitSeconds, trainSeconds,
                60000.0 * s.epochs().size() / trainSeconds, testAccuracy);

        String saved = work + "/model";
        model.write().overwrite().save(saved);
        double reloaded = accuracy.evaluate(PipelineModel.load(saved).transform(test));
        System.out.printf("saved to %s (jgrad model file: %s/stages/1_%s/%s); reloaded test accuracy %.4f%n", saved, saved,
                jm.uid(), "model.safetensors", reloaded);
        if (reloaded != testAccuracy) throw new IllegalStateException("the reloaded model predicts differently");
        StringBuilder json = new StringBuilder("{\"ranks\": " + ranks + ", \"mode\": \"" + o.get("mode") + "\", \"interval\": " + o.get("interval") + ", \"epochs\": "
                + s.epochs().size() + ", \"fit_seconds\": " + fitSeconds + ", \"train_seconds\": " + trainSeconds
                + ", \"test_accuracy\": " + testAccuracy + ", \"epoch_seconds\": [");
        for (int i = 0; i < s.epochs().size(); i++) json.append(i > 0 ? ", " : "").append(s.epochs().get(i).seconds());
        json.append("], \"rank_times\": [");
        for (int i = 0; i < s.ranks().size(); i++) {
            TrainingSummary.Rank r = s.ranks().get(i);
            json.append(i > 0 ? ", " : "").append("{\"rank\": ").append(r.rank()).append(", \"steps\": ").append(r.steps())
                    .append(", \"compute\": ").append(r.computeSeconds()).append(", \"sum\": ").append(r.sumSeconds())
                    .append(", \"wait\": ").append(r.waitSeconds()).append(", \"epochs\": [");
            for (int k = 0; k < r.epochs().size(); k++) {
                TrainingSummary.Split e = r.epochs().get(k);
                json.append(k > 0 ? ", " : "").append("{\"steps\": ").append(e.steps()).append(", \"compute\": ").append(e.computeSeconds())
                        .append(", \"sum\": ").append(e.sumSeconds()).append(", \"wait\": ").append(e.waitSeconds()).append('}');
            }
            json.append("]}");
        }
        System.out.println(json.append("]}"));
        spark.stop();
    }

    /** One column per pixel scaled to [0, 1], and the label, in {@code files} Parquet files. */
    static void writeParquet(SparkSession spark, Dataset data, String[] pixels, String path, int files) {
        StructType schema = new StructType();
        for (String p : pixels) schema = schema.add(p, DataTypes.FloatType, false);
        schema = schema.add("label", DataTypes.DoubleType, false);
        int d = data.featureCount();
        float[] x = data.features().data();
        int off = data.features().offset();
        // In slices, so that the driver never holds every row boxed at once.
        for (int from = 0; from < data.size(); from += 5000) {
            List<Row> rows = new ArrayList<>();
            for (int i = from; i < Math.min(data.size(), from + 5000); i++) {
                Object[] v = new Object[d + 1];
                for (int j = 0; j < d; j++) v[j] = x[off + i * d + j] / 255f;
                v[d] = (double) data.label(i);
                rows.add(RowFactory.create(v));
            }
            var slice = spark.createDataFrame(rows, schema);
            slice.write().mode(from == 0 ? SaveMode.Overwrite : SaveMode.Append).parquet(path + ".slices");
        }
        spark.read().parquet(path + ".slices").coalesce(files).write().mode(SaveMode.Overwrite).parquet(path);
    }
}
