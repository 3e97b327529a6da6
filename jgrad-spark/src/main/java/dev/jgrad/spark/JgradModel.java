package dev.jgrad.spark;

import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.DType;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiFunction;

/**
 * What {@link JgradClassificationModel} and {@link JgradRegressionModel} share: a jgrad model
 * file (its bytes, the same that {@code jgrad train --out} writes), prediction over a DataFrame
 * in batches, and saving: Spark's metadata beside {@value #WEIGHTS}, a jgrad model file that
 * {@code jgrad info}, {@code eval} and {@code predict} read as they read any other.
 *
 * @param <M> the concrete model type
 */
public abstract class JgradModel<M extends JgradModel<M>> extends org.apache.spark.ml.Model<M> implements MLWritable {
    /** The model file's name inside a saved model's folder. */
    public static final String WEIGHTS = "model.safetensors";
    private static final int BATCH = 256;

    private final String uid;
    private final byte[] model;
    private final TrainingSummary summary;
    private transient Model loaded;
    private final Param<String> featuresCol, predictionCol;

    JgradModel(String uid, byte[] model, TrainingSummary summary) {
        this.uid = uid;
        this.model = model.clone();
        this.summary = summary;
        featuresCol = new Param<>(this, "featuresCol", "features column: one vector per row");
        predictionCol = new Param<>(this, "predictionCol", "prediction column this model adds");
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        model();   // fails now, not in a task, on bytes that are not a jgrad model
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> predictionCol() { return predictionCol; }

    @SuppressWarnings("unchecked")
    public M setFeaturesCol(String v) { set(featuresCol, v); return (M) this; }
    @SuppressWarnings("unchecked")
    public M setPredictionCol(String v) { set(predictionCol, v); return (M) this; }

    @SuppressWarnings("unchecked")
    final <T> T value(Param<?> p) {
        return (T) getOrDefault(p);
    }

    /** The trained network with everything needed to use it, as the jgrad library sees it. */
    public final synchronized Model model() {
        if (loaded == null) loaded = read(model, 1);
        return loaded;
    }

    /** The model file's bytes: a safetensors file that {@code jgrad info} reads. */
    public final byte[] modelBytes() {
        return model.clone();
    }

    /** How the fit that made this model went, or null for a model read from a file. */
    public final TrainingSummary summary() {
        return summary;
    }

    /** Features per row the network takes. */
    public final int numFeatures() {
        return model().network().inputSize();
    }

    static Model read(byte[] bytes, int threads) {
        try {
            java.nio.file.Path tmp = Files.createTempFile("jgrad-model-", ".safetensors");
            try {
                Files.write(tmp, bytes);
                return ModelFile.loadWithContents(tmp, DType.F32, Parallel.create(threads)).model();
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The columns this model adds to a schema. */
    abstract StructType addColumns(StructType schema);

    /** The values of the added columns of a row, from the network's output row (probabilities or targets). */
    interface Outputs extends java.io.Serializable {
        Object[] of(float[] y);
    }

    /** How this model fills its columns; captures nothing large, as it travels to every task. */
    abstract Outputs outputs();

    @Override
    public StructType transformSchema(StructType schema) {
        FeaturesColumn.require(schema, value(featuresCol));
        return addColumns(schema);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType out = transformSchema(in);
        String f = value(featuresCol);
        int fi = in.fieldIndex(f);
        int width = numFeatures();
        Broadcast<byte[]> bytes = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext()).broadcast(model);
        Outputs outputs = outputs();
        MapPartitionsFunction<Row, Row> predict = it -> new Predictions(it, read(bytes.value(), 1), fi, f, width, outputs);
        return dataset.toDF().mapPartitions(predict, Encoders.row(out));
    }

    /** Rows with the model's columns added, predicted {@value #BATCH} rows at a time. */
    private static final class Predictions implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final Model model;
        private final int fi, width;
        private final String column;
        private final Outputs owner;
        private final List<Row> pending = new ArrayList<>();
        private int next;
        private long seen;

        Predictions(Iterator<Row> rows, Model model, int fi, String column, int width, Outputs owner) {
            this.rows = rows;
            this.model = model;
            this.fi = fi;
            this.column = column;
            this.width = width;
            this.owner = owner;
        }

        @Override
        public boolean hasNext() {
            if (next < pending.size()) return true;
            pending.clear();
            next = 0;
            List<Row> batch = new ArrayList<>();
            while (batch.size() < BATCH && rows.hasNext()) batch.add(rows.next());
            if (batch.isEmpty()) return false;
            float[] x = new float[batch.size() * width];
            for (int r = 0; r < batch.size(); r++) {
                Row row = batch.get(r);
                long index = seen + r;
                if (row.isNullAt(fi)) throw new IllegalArgumentException("features column '" + column + "' is null at row " + index + " of the partition");
                Vector v = (Vector) row.get(fi);
                if (v.size() != width) throw new IllegalArgumentException("features column '" + column + "' has a vector of width "
                        + v.size() + " at row " + index + " of the partition; the model takes " + width);
                double[] a = v.toArray();
                for (int j = 0; j < width; j++) {
                    if (!Double.isFinite(a[j])) throw new IllegalArgumentException("features column '" + column + "' holds " + a[j]
                            + " at row " + index + " of the partition, element " + j);
                    x[r * width + j] = (float) a[j];
                }
            }
            seen += batch.size();
            dev.jgrad.tensor.Tensor y = model.predict(new dev.jgrad.tensor.FloatTensor(x, 0, dev.jgrad.tensor.Shape.of(batch.size(), width)));
            int k = y.cols();
            float[] yr = new float[k];
            for (int r = 0; r < batch.size(); r++) {
                for (int j = 0; j < k; j++) yr[j] = (float) y.get(r * k + j);
                Row row = batch.get(r);
                Object[] extra = owner.of(yr);
                Object[] all = new Object[row.length() + extra.length];
                for (int i = 0; i < row.length(); i++) all[i] = row.get(i);
                System.arraycopy(extra, 0, all, row.length(), extra.length);
                pending.add(RowFactory.create(all));
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new java.util.NoSuchElementException();
            return pending.get(next++);
        }
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /** Spark's metadata, then the model file. */
    private static final class Writer extends MLWriter {
        private final JgradModel<?> instance;

        Writer(JgradModel<?> instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter$.MODULE$.saveMetadata(instance, path, sparkSession());
            Path file = new Path(path, WEIGHTS);
            try {
                FileSystem fs = file.getFileSystem(sparkSession().sparkContext().hadoopConfiguration());
                try (FSDataOutputStream out = fs.create(file, true)) {
                    out.write(instance.model);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Reads a saved model of class {@code type}, built from its uid and model-file bytes by {@code make}. */
    static <T extends JgradModel<T>> MLReader<T> reader(Class<T> type, BiFunction<String, byte[], T> make) {
        return new MLReader<>() {
            @Override
            public T load(String path) {
                DefaultParamsReader.Metadata meta = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(), type.getName());
                byte[] bytes = readBytes(new Path(path, WEIGHTS), sparkSession());
                T m = make.apply(meta.uid(), bytes);
                meta.getAndSetParams(m, scala.Option.empty());
                return m;
            }
        };
    }

    /** The bytes of a file on any Hadoop file system (a local path works too). */
    static byte[] readBytes(Path file, SparkSession spark) {
        try {
            FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
            long len = fs.getFileStatus(file).getLen();
            if (len > Integer.MAX_VALUE - 16) throw new IOException(file + " is " + len + " bytes, too large for a model");
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) len);
            try (FSDataInputStream in = fs.open(file)) {
                in.transferTo(out);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e.getMessage(), e);
        }
    }
}
