package dev.jgrad.spark;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;

/**
 * A jgrad network trained as a regressor on Spark: one identity output, mean squared error, a
 * numeric label column. Its model adds {@code prediction}, so Spark's {@code RegressionEvaluator}
 * works with it.
 */
public final class JgradRegressor extends JgradEstimator<JgradRegressionModel> {

    public JgradRegressor() {
        this(Identifiable$.MODULE$.randomUID("jgradRegressor"));
    }

    public JgradRegressor(String uid) {
        super(uid);
    }

    @Override
    int classesWanted() {
        return -1;
    }

    @Override
    JgradRegressionModel newModel(String uid, byte[] model, TrainingSummary summary) {
        return new JgradRegressionModel(uid, model, summary);
    }

    /** Reads a regressor's settings saved with {@code write()}. */
    public static MLReader<JgradRegressor> read() {
        return new DefaultParamsReader<>();
    }

    public static JgradRegressor load(String path) {
        return read().load(path);
    }
}
