package dev.jgrad.spark;

import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A trained jgrad regressor as a Spark Model: adds {@code prediction}, the network's single
 * output. Made by {@link JgradRegressor#fit}, read back with {@link #load}, or made from any
 * jgrad regression model file with one output by {@link #fromFile}.
 */
public final class JgradRegressionModel extends JgradModel<JgradRegressionModel> {

    /** A model over the bytes of a jgrad regression model file with one output. */
    public JgradRegressionModel(String uid, byte[] model, TrainingSummary summary) {
        super(uid, model, summary);
        if (model().isClassification()) throw new IllegalArgumentException("the jgrad model is a classifier: use JgradClassificationModel");
        if (model().network().outputSize() != 1) throw new IllegalArgumentException("the jgrad model has "
                + model().network().outputSize() + " outputs; a Spark regression model predicts one");
    }

    /** Wraps a jgrad regression model file (any Hadoop file system path, or a local one) trained anywhere. */
    public static JgradRegressionModel fromFile(SparkSession spark, String path) {
        return new JgradRegressionModel(Identifiable$.MODULE$.randomUID("jgradRegressionModel"), readBytes(new Path(path), spark), null);
    }

    @Override
    StructType addColumns(StructType schema) {
        return schema.add(value(predictionCol()), DataTypes.DoubleType, false);
    }

    @Override
    Outputs outputs() {
        return y -> new Object[]{(double) y[0]};
    }

    @Override
    public JgradRegressionModel copy(ParamMap extra) {
        JgradRegressionModel m = new JgradRegressionModel(uid(), modelBytes(), summary());
        return copyValues(m, extra).setParent(parent());
    }

    public static MLReader<JgradRegressionModel> read() {
        return reader(JgradRegressionModel.class, (uid, bytes) -> new JgradRegressionModel(uid, bytes, null));
    }

    public static JgradRegressionModel load(String path) {
        return read().load(path);
    }
}
