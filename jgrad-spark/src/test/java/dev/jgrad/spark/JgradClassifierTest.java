package dev.jgrad.spark;

import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.tensor.FloatTensor;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.jgrad.spark.RankLoopTest.CLASSES;
import static dev.jgrad.spark.RankLoopTest.N;
import static dev.jgrad.spark.RankLoopTest.T;
import static dev.jgrad.spark.RankLoopTest.WIDTH;
import static dev.jgrad.spark.RankLoopTest.X;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JgradClassifierTest {
    final SparkSession spark = Spark.local();

    static JgradClassifier classifier(int epochs) {
        JgradClassifier c = new JgradClassifier();
        c.setLayers("16:relu,8:tanh").setDropout(0.2).setOptimizer("adam").setSchedule("cosine").setBatchSize(32)
                .setEpochs(epochs).setSeed(7);
        return c;
    }

    static float[] weights(JgradModel<?> m) {
        FloatTensor p = (FloatTensor) m.model().network().parameterBuffer();
        return Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.size());
    }

    @Test
    void twoExecutorsGiveTheBitsOfTheSameRingInOneProcess() throws Exception {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, 101, 102);
        JgradClassificationModel model = classifier(3).fit(df);
        TrainingRecipe recipe = new TrainingRecipe(WIDTH, CLASSES, true, "16:relu,8:tanh", "none", 0.2, "adam", 0, 0, 0,
                "cosine", 32, 3, 7, 1);
        List<RankLoop.Result> ring = RankLoopTest.train(recipe, 101, 102);
        assertArrayEquals(RankLoopTest.weights(ring.getFirst()), weights(model));
        assertArrayEquals(weights(model), weights(classifier(3).fit(df)), "the same run again");
        assertEquals(3, model.summary().epochs().size());
        assertEquals(2, model.summary().ranks().size());
    }

    @Test
    void batchNormOverTwoExecutorsIsTheRingInOneProcess() throws Exception {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, 101, 102);
        JgradClassificationModel model = classifier(2).setNorm("batch").fit(df);
        TrainingRecipe recipe = new TrainingRecipe(WIDTH, CLASSES, true, "16:relu,8:tanh", "batch", 0.2, "adam", 0, 0, 0,
                "cosine", 32, 2, 7, 1);
        assertArrayEquals(RankLoopTest.weights(RankLoopTest.train(recipe, 101, 102).getFirst()), weights(model));
        assertEquals(2, model.summary().ranks().size());
        assertTrue(Double.isFinite(model.summary().epochs().getLast().loss()), model.summary().toString());
    }

    @Test
    void onePartitionIsOneMachine() throws Exception {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, N);
        JgradClassificationModel model = classifier(2).setNorm("batch").fit(df);
        TrainingRecipe recipe = new TrainingRecipe(WIDTH, CLASSES, true, "16:relu,8:tanh", "batch", 0.2, "adam", 0, 0, 0,
                "cosine", 32, 2, 7, 1);
        assertArrayEquals(RankLoopTest.weights(RankLoopTest.train(recipe, N).getFirst()), weights(model));
    }

    @Test
    void predictsEvaluatesSavesAndLoadsInAPipeline(@TempDir Path dir) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Object[] v = new Object[WIDTH + 1];
            for (int j = 0; j < WIDTH; j++) v[j] = (double) X[i * WIDTH + j];
            v[WIDTH] = (double) T[i];
            rows.add(RowFactory.create(v));
        }
        StructType schema = new StructType();
        String[] cols = new String[WIDTH];
        for (int j = 0; j < WIDTH; j++) schema = schema.add(cols[j] = "x" + j, DataTypes.DoubleType);
        schema = schema.add("y", DataTypes.DoubleType);
        Dataset<Row> df = Spark.partitioned(spark, rows, schema, 100, 103);
        JgradClassifier clf = classifier(15);
        clf.setLabelCol("y");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{
                new VectorAssembler().setInputCols(cols).setOutputCol("features"), clf});
        PipelineModel fitted = pipeline.fit(df);
        Dataset<Row> predicted = fitted.transform(df);
        double accuracy = new MulticlassClassificationEvaluator().setLabelCol("y").setMetricName("accuracy").evaluate(predicted);
        assertTrue(accuracy > 0.6, "accuracy " + accuracy + " (chance: 0.33)");
        Row first = predicted.select("probability", "rawPrediction", "prediction").first();
        Vector p = first.getAs(0);
        assertEquals(CLASSES, p.size());
        assertEquals(1.0, Arrays.stream(p.toArray()).sum(), 1e-5);
        assertEquals((double) p.argmax(), first.getDouble(2));

        String saved = dir.resolve("pipeline").toString();
        fitted.write().overwrite().save(saved);
        PipelineModel loaded = PipelineModel.load(saved);
        List<Row> a = predicted.select("prediction", "probability").collectAsList();
        List<Row> b = loaded.transform(df).select("prediction", "probability").collectAsList();
        assertEquals(a, b);
        Path weightsFile;
        try (var files = Files.walk(dir)) {
            weightsFile = files.filter(f -> f.getFileName().toString().equals(JgradModel.WEIGHTS)).findFirst().orElseThrow();
        }
        Model m = ModelFile.load(weightsFile);
        assertEquals(WIDTH, m.network().inputSize());
        assertArrayEquals(weights((JgradClassificationModel) fitted.stages()[1]), weights(JgradClassificationModel.fromFile(spark, weightsFile.toString())));

        // The unfitted pipeline saves and loads too.
        pipeline.write().overwrite().save(dir.resolve("unfitted").toString());
        Pipeline again = Pipeline.load(dir.resolve("unfitted").toString());
        assertEquals("16:relu,8:tanh", ((JgradClassifier) again.getStages()[1]).getOrDefault(clf.layers()));
    }

    @Test
    void crossValidatorTunesIt() {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, 101, 102);
        JgradClassifier clf = classifier(4);
        ParamMap[] grid = new ParamGridBuilder().addGrid(clf.learningRate(), new double[]{1e-3, 1e-2}).build();
        CrossValidatorModel cv = new CrossValidator().setEstimator(clf).setEstimatorParamMaps(grid).setNumFolds(2)
                .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setSeed(3).fit(
                        df.coalesce(2));
        assertEquals(2, cv.avgMetrics().length);
        assertTrue(cv.avgMetrics()[1] > 0.5, Arrays.toString(cv.avgMetrics()));
    }

    @Test
    void regressorFitsALine() {
        List<Row> rows = new ArrayList<>();
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 400; i++) {
            double a = r.nextGaussian(), b = r.nextGaussian();
            rows.add(RowFactory.create(Vectors.dense(a, b), 2 * a - b + 0.5));
        }
        Dataset<Row> df = Spark.partitioned(spark, rows, Spark.SCHEMA, 200, 200);
        JgradRegressor reg = new JgradRegressor();
        reg.setLayers("16:tanh").setBatchSize(32).setEpochs(40).setLearningRate(0.01);
        JgradRegressionModel model = reg.fit(df);
        double rmse = new RegressionEvaluator().setMetricName("rmse").evaluate(model.transform(df));
        assertTrue(rmse < 0.15, "rmse " + rmse);
    }

    @Test
    void parameterAveragingLearnsToo() {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, 101, 102);
        JgradClassifier clf = classifier(15);
        clf.setMode("averaging").setAveragingInterval(2).setDropout(0);
        JgradClassificationModel m = clf.fit(df);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(m.transform(df));
        assertTrue(accuracy > 0.6, "accuracy " + accuracy + " (chance: 0.33)");
        assertEquals(15, m.summary().epochs().size());
    }

    @Test
    void resumesFromItsCheckpointToTheSameBits(@TempDir Path dir) {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, 101, 102);
        JgradClassifier three = classifier(3);
        three.setSchedule("constant");
        float[] straight = weights(three.fit(df));
        String ckpt = dir.resolve("ckpt").toUri().toString();
        JgradClassifier two = classifier(2);
        two.setSchedule("constant").setCheckpointDir(ckpt);
        two.fit(df);
        JgradClassifier rest = classifier(3);
        rest.setSchedule("constant").setCheckpointDir(ckpt);
        JgradClassificationModel resumed = rest.fit(df);
        assertEquals(2, resumed.summary().resumedFrom());
        assertArrayEquals(straight, weights(resumed));
        assertEquals(3, resumed.summary().epochs().size());
    }

    static String failure(Runnable r) {
        Exception e = assertThrows(Exception.class, r::run);
        return e.getMessage();
    }

    @Test
    void badDataAndSetupsFailClearly() {
        Dataset<Row> good = Spark.frame(spark, X, T, WIDTH, 101, 102);
        assertContains(failure(() -> classifier(1).setFeaturesCol("pixels").fit(good)), "'pixels' is not in the data");
        assertContains(failure(() -> classifier(1).setLabelCol("nope").fit(good)), "'nope' is not in the data");
        assertContains(failure(() -> classifier(1).fit(good.withColumn("label", good.col("label").cast("string")))),
                "label column 'label' has type string");
        assertContains(failure(() -> classifier(1).setFeaturesCol("label").fit(good.withColumn("f2", good.col("label")))),
                "features column 'label' has type double");
        assertContains(failure(() -> ((JgradClassifier) classifier(1)).setNumClasses(2).fit(good)),
                "label column 'label' holds 2.0 at row");

        float[] x = X.clone();
        x[150 * WIDTH + 2] = Float.NaN;
        assertContains(failure(() -> classifier(1).fit(Spark.frame(spark, x, T, WIDTH, 101, 102))),
                "features column 'features' holds NaN at row 49 of partition 1, element 2");

        List<Row> rows = new ArrayList<>(Spark.frame(spark, X, T, WIDTH, N).collectAsList());
        rows.set(120, RowFactory.create(Vectors.dense(1, 2), 0.0));
        assertContains(failure(() -> classifier(1).fit(Spark.partitioned(spark, rows, Spark.SCHEMA, 101, 102))),
                "has a vector of width 2 at row 19 of partition 1; expected 6");

        assertContains(failure(() -> classifier(1).fit(Spark.frame(spark, X, T, WIDTH, 203, 0))), "partition 1 of 2 holds no rows");
        assertContains(failure(() -> classifier(1).fit(Spark.frame(spark, X, T, WIDTH, 70, 70, 63))),
                "3 partitions, one rank each, but the cluster has 2 task slots");
        assertContains(SyncTraining.clusterProblem(new org.apache.spark.SparkConf().set("spark.dynamicAllocation.enabled", "true"), 2, 8),
                "turn dynamic allocation off");
        assertNull(SyncTraining.clusterProblem(new org.apache.spark.SparkConf(), 2, 2));
        assertContains(failure(() -> classifier(1).setLayers("0:relu").fit(good)), "has no positive width");
        assertContains(failure(() -> classifier(1).setOptimizer("lbfgs").fit(good)), "unknown optimizer 'lbfgs'");
        assertContains(failure(() -> classifier(1).setMode("async").fit(good)), "mode takes sync or averaging");
    }

    static void assertContains(String message, String part) {
        assertTrue(message != null && message.contains(part), "expected '" + part + "' in: " + message);
    }

}
