package dev.jgrad.spark;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.StructType;

/**
 * A jgrad network trained as a classifier on Spark: softmax output, cross-entropy loss, labels
 * the class indices 0 … k−1 in a numeric column. Its model adds {@code prediction},
 * {@code rawPrediction} (log-probabilities) and {@code probability}, so Spark's evaluators and
 * {@code CrossValidator} work with it as with Spark's own classifiers.
 */
public final class JgradClassifier extends JgradEstimator<JgradClassificationModel> {
    private final IntParam numClasses;
    private final Param<String> rawPredictionCol, probabilityCol;

    public JgradClassifier() {
        this(Identifiable$.MODULE$.randomUID("jgradClassifier"));
    }

    public JgradClassifier(String uid) {
        super(uid);
        numClasses = new IntParam(this, "numClasses", "classes (0: one more than the largest label in the data)");
        rawPredictionCol = new Param<>(this, "rawPredictionCol", "column of log-probabilities the model adds");
        probabilityCol = new Param<>(this, "probabilityCol", "column of class probabilities the model adds");
        setDefault(numClasses, 0);
        setDefault(rawPredictionCol, "rawPrediction");
        setDefault(probabilityCol, "probability");
    }

    public IntParam numClasses() { return numClasses; }
    public Param<String> rawPredictionCol() { return rawPredictionCol; }
    public Param<String> probabilityCol() { return probabilityCol; }

    public JgradClassifier setNumClasses(int v) { return with(numClasses, (Object) v); }
    public JgradClassifier setRawPredictionCol(String v) { return with(rawPredictionCol, v); }
    public JgradClassifier setProbabilityCol(String v) { return with(probabilityCol, v); }

    @Override
    int classesWanted() {
        int k = value(numClasses);
        if (k < 0 || k == 1) throw new IllegalArgumentException("numClasses must be 0 (from the labels) or ≥ 2, got " + k);
        return k;
    }

    @Override
    JgradClassificationModel newModel(String uid, byte[] model, TrainingSummary summary) {
        return new JgradClassificationModel(uid, model, summary);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return super.transformSchema(schema).add(value(rawPredictionCol), SQLDataTypes.VectorType(), false)
                .add(value(probabilityCol), SQLDataTypes.VectorType(), false);
    }

    /** Reads a classifier's settings saved with {@code write()}. */
    public static MLReader<JgradClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static JgradClassifier load(String path) {
        return read().load(path);
    }
}
