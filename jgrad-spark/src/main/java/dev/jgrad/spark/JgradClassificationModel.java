package dev.jgrad.spark;

import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A trained jgrad classifier as a Spark Model: adds {@code prediction} (the most probable class
 * index), {@code rawPrediction} (log-probabilities) and {@code probability}. Made by
 * {@link JgradClassifier#fit}, read back with {@link #load}, or made from any jgrad model file
 * with {@link #fromFile}.
 */
public final class JgradClassificationModel extends JgradModel<JgradClassificationModel> {
    private final Param<String> rawPredictionCol, probabilityCol;

    /** A model over the bytes of a jgrad classification model file. */
    public JgradClassificationModel(String uid, byte[] model, TrainingSummary summary) {
        super(uid, model, summary);
        if (!model().isClassification()) throw new IllegalArgumentException("the jgrad model is a regressor: use JgradRegressionModel");
        rawPredictionCol = new Param<>(this, "rawPredictionCol", "column of log-probabilities this model adds");
        probabilityCol = new Param<>(this, "probabilityCol", "column of class probabilities this model adds");
        setDefault(rawPredictionCol, "rawPrediction");
        setDefault(probabilityCol, "probability");
    }

    public Param<String> rawPredictionCol() { return rawPredictionCol; }
    public Param<String> probabilityCol() { return probabilityCol; }
    public JgradClassificationModel setRawPredictionCol(String v) { set(rawPredictionCol, v); return this; }
    public JgradClassificationModel setProbabilityCol(String v) { set(probabilityCol, v); return this; }

    /** Classes the network tells apart. */
    public int numClasses() {
        return model().network().outputSize();
    }

    /** Wraps a jgrad classification model file (any Hadoop file system path, or a local one) trained anywhere. */
    public static JgradClassificationModel fromFile(SparkSession spark, String path) {
        return new JgradClassificationModel(Identifiable$.MODULE$.randomUID("jgradClassificationModel"),
                readBytes(new Path(path), spark), null);
    }

    @Override
    StructType addColumns(StructType schema) {
        return schema.add(value(predictionCol()), DataTypes.DoubleType, false)
                .add(value(rawPredictionCol), SQLDataTypes.VectorType(), false)
                .add(value(probabilityCol), SQLDataTypes.VectorType(), false);
    }

    @Override
    Outputs outputs() {
        return y -> {
            double[] p = new double[y.length], raw = new double[y.length];
            int best = 0;
            for (int j = 0; j < y.length; j++) {
                p[j] = y[j];
                raw[j] = Math.log(Math.max(y[j], Double.MIN_NORMAL));
                if (y[j] > y[best]) best = j;
            }
            return new Object[]{(double) best, Vectors.dense(raw), Vectors.dense(p)};
        };
    }

    @Override
    public JgradClassificationModel copy(ParamMap extra) {
        JgradClassificationModel m = new JgradClassificationModel(uid(), modelBytes(), summary());
        return copyValues(m, extra).setParent(parent());
    }

    public static MLReader<JgradClassificationModel> read() {
        return reader(JgradClassificationModel.class, (uid, bytes) -> new JgradClassificationModel(uid, bytes, null));
    }

    public static JgradClassificationModel load(String path) {
        return read().load(path);
    }
}
