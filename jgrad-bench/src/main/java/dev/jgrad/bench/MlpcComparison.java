package dev.jgrad.bench;

import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.Arrays;

/**
 * Spark's own MultilayerPerceptronClassifier (sigmoid hidden layers, softmax output, L-BFGS) on
 * the Parquet files {@code dev.jgrad.spark.examples.FashionMnistPipeline} writes, on the same cluster and partitions, for
 * the side-by-side of docs/SCALING.md: it is fitted with growing iteration limits (L-BFGS is
 * deterministic, so the fit limited to k iterations is the first k iterations of a longer one),
 * each fit timed and evaluated on the test set, until the test accuracy reaches the target or the
 * limits run out.
 *
 * <p>Options: {@code --work DIR} (default /tmp/jgrad-fashion), {@code --ranks N} (default 2),
 * {@code --layers 256,128}, {@code --iterations 10,20,40,80} (the limits tried), {@code --target 0.80}.
 */
public final class MlpcComparison {
    private MlpcComparison() {
    }

    public static void main(String[] args) {
        String work = "/tmp/jgrad-fashion", layers = "256,128", iterations = "10,20,40,80";
        int ranks = 2;
        double target = 0.80;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--work" -> work = args[i + 1];
                case "--ranks" -> ranks = Integer.parseInt(args[i + 1]);
                case "--layers" -> layers = args[i + 1];
                case "--iterations" -> iterations = args[i + 1];
                case "--target" -> target = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        // One OpenBLAS thread per executor core, as Spark advises for netlib BLAS.
        SparkSession spark = SparkSession.builder().appName("Spark MLPC on Fashion-MNIST")
                .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Dataset<Row> trainRaw = spark.read().parquet(work + "/train.parquet");
        String[] pixels = Arrays.stream(trainRaw.columns()).filter(c -> c.startsWith("p")).toArray(String[]::new);
        VectorAssembler assemble = new VectorAssembler().setInputCols(pixels).setOutputCol("features");
        Dataset<Row> train = assemble.transform(trainRaw).select("features", "label").coalesce(ranks).cache();
        Dataset<Row> test = assemble.transform(spark.read().parquet(work + "/test.parquet")).select("features", "label").cache();
        train.count();
        test.count();
        int[] hidden = Arrays.stream(layers.split(",")).mapToInt(Integer::parseInt).toArray();
        int[] all = new int[hidden.length + 2];
        all[0] = pixels.length;
        System.arraycopy(hidden, 0, all, 1, hidden.length);
        all[all.length - 1] = 10;
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        System.out.println("MultilayerPerceptronClassifier " + Arrays.toString(all) + ", l-bfgs, " + train.rdd().getNumPartitions()
                + " partitions, BLAS " + dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getSimpleName());
        for (String s : iterations.split(",")) {
            int k = Integer.parseInt(s.trim());
            MultilayerPerceptronClassifier mlpc = new MultilayerPerceptronClassifier().setLayers(all).setMaxIter(k).setSeed(1)
                    .setSolver("l-bfgs").setBlockSize(128);
            long t0 = System.nanoTime();
            MultilayerPerceptronClassificationModel m = mlpc.fit(train);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double acc = accuracy.evaluate(m.transform(test));
            System.out.printf("{\"max_iter\": %d, \"fit_seconds\": %.1f, \"test_accuracy\": %.4f}%n", k, seconds, acc);
            if (acc >= target) break;
        }
        spark.stop();
    }
}
