package dev.jgrad.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The training rows of a DataFrame as ranks read them: a features column of vectors and a
 * numeric label column, checked before any training starts. One pass over the data counts each
 * partition's rows (their global indices follow: partition by partition) and checks every row,
 * so that a wrong width, a NaN, or a label outside the classes is reported naming the column,
 * the partition and the row, before a barrier stage is started.
 */
final class TrainingData {
    private TrainingData() {
    }

    /** What the checking pass found in one partition. */
    record PartitionCheck(int partition, long rows, int width, double maxLabel, String error) implements Serializable {
    }

    /** The checked shape of the data: rows per partition, feature width, classes (0 for regression). */
    record Layout(long[] rows, int width, int classes) implements Serializable {
        long total() {
            long t = 0;
            for (long r : rows) t += r;
            return t;
        }

        long first(int partition) {
            long t = 0;
            for (int p = 0; p < partition; p++) t += rows[p];
            return t;
        }
    }

    /** Checks the two columns' presence and types; returns the rows of (features, label). */
    static Dataset<Row> select(Dataset<?> data, String featuresCol, String labelCol) {
        StructType schema = data.schema();
        requireColumn(schema, featuresCol, "features");
        requireColumn(schema, labelCol, "label");
        DataType ft = schema.apply(featuresCol).dataType();
        if (!(ft instanceof VectorUDT)) {
            throw new IllegalArgumentException("features column '" + featuresCol + "' has type " + ft.simpleString()
                    + "; it must hold vectors (org.apache.spark.ml.linalg.Vector), e.g. from a VectorAssembler");
        }
        DataType lt = schema.apply(labelCol).dataType();
        if (!(lt instanceof NumericType)) {
            throw new IllegalArgumentException("label column '" + labelCol + "' has type " + lt.simpleString()
                    + "; it must be numeric");
        }
        return data.select(featuresCol, labelCol);
    }

    private static void requireColumn(StructType schema, String name, String role) {
        for (StructField f : schema.fields()) if (f.name().equals(name)) return;
        throw new IllegalArgumentException("the " + role + " column '" + name + "' is not in the data (columns: "
                + String.join(", ", schema.fieldNames()) + ")");
    }

    /**
     * Counts and checks every partition. {@code classes} is the number of classes of a classifier
     * (0: one more than the largest label) or −1 for a regressor; {@code width} the expected
     * features per row (0: whatever the first row has, the same for all).
     */
    static Layout check(Dataset<Row> rows, String featuresCol, String labelCol, int classes, int width) {
        JavaRDD<Row> rdd = rows.javaRDD();
        List<PartitionCheck> checks = rdd.mapPartitionsWithIndex((p, it) -> {
            PartitionCheck c = checkPartition(p, it, featuresCol, labelCol, classes, width);
            return List.of(c).iterator();
        }, false).collect();
        checks = new ArrayList<>(checks);
        checks.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        for (PartitionCheck c : checks) if (c.error() != null) throw new IllegalArgumentException(c.error());
        int w = width;
        for (PartitionCheck c : checks) {
            if (c.rows() == 0) {
                throw new IllegalArgumentException("partition " + c.partition() + " of " + checks.size()
                        + " holds no rows: every rank needs data; repartition the DataFrame (or coalesce it to fewer partitions)");
            }
            if (w == 0) w = c.width();
            else if (c.width() != w) {
                throw new IllegalArgumentException("features column '" + featuresCol + "': partition " + c.partition()
                        + " has vectors of width " + c.width() + ", others " + w);
            }
        }
        int k = classes;
        if (classes == 0) {
            double max = 0;
            for (PartitionCheck c : checks) max = Math.max(max, c.maxLabel());
            k = (int) max + 1;
            if (k < 2) throw new IllegalArgumentException("label column '" + labelCol + "' holds a single class (0): a classifier needs 2 or more");
        }
        long[] counts = new long[checks.size()];
        for (PartitionCheck c : checks) counts[c.partition()] = c.rows();
        return new Layout(counts, w, Math.max(k, 0));
    }

    private static PartitionCheck checkPartition(int p, Iterator<Row> it, String featuresCol, String labelCol, int classes, int width) {
        long n = 0;
        int w = width;
        double maxLabel = 0;
        while (it.hasNext()) {
            Row r = it.next();
            String where = "row " + n + " of partition " + p;
            if (r.isNullAt(0)) return error(p, "features column '" + featuresCol + "' is null at " + where);
            if (r.isNullAt(1)) return error(p, "label column '" + labelCol + "' is null at " + where);
            Vector v = (Vector) r.get(0);
            if (w == 0) w = v.size();
            if (v.size() != w) {
                return error(p, "features column '" + featuresCol + "' has a vector of width " + v.size() + " at " + where
                        + "; expected " + w);
            }
            double[] a = v.toArray();
            for (int j = 0; j < a.length; j++) {
                if (!Double.isFinite(a[j]) || Math.abs(a[j]) > Float.MAX_VALUE) {
                    return error(p, "features column '" + featuresCol + "' holds " + a[j] + " at " + where + ", element " + j);
                }
            }
            double label = ((Number) r.get(1)).doubleValue();
            if (!Double.isFinite(label)) return error(p, "label column '" + labelCol + "' holds " + label + " at " + where);
            if (classes >= 0) {
                if (label < 0 || label != Math.rint(label) || (classes > 0 && label >= classes)) {
                    return error(p, "label column '" + labelCol + "' holds " + label + " at " + where + ": labels must be the class indices "
                            + (classes > 0 ? "0.." + (classes - 1) : "0, 1, 2, …"));
                }
                maxLabel = Math.max(maxLabel, label);
            }
            n++;
        }
        return new PartitionCheck(p, n, w, maxLabel, null);
    }

    private static PartitionCheck error(int p, String message) {
        return new PartitionCheck(p, 0, 0, 0, message);
    }

    /** The rows of one partition as a shard whose first row has global index {@code firstRow}. */
    static Shard shard(Iterator<Row> it, long firstRow, int rows, int width, boolean classify, int outputs) {
        float[] x = new float[Math.multiplyExact(rows, width)];
        float[] t = new float[rows];
        int n = 0;
        while (it.hasNext()) {
            Row r = it.next();
            if (n == rows) throw new IllegalStateException("the partition holds more rows than the " + rows + " counted; "
                    + "the data changed between passes: make its partitioning deterministic (cache it, no round-robin repartition)");
            Vector v = (Vector) r.get(0);
            if (v.size() != width) throw new IllegalArgumentException("a vector of width " + v.size() + " at row " + n + "; expected " + width);
            double[] a = v.toArray();
            for (int j = 0; j < width; j++) x[n * width + j] = (float) a[j];
            t[n] = (float) ((Number) r.get(1)).doubleValue();
            n++;
        }
        if (n != rows) throw new IllegalStateException("the partition holds " + n + " rows, " + rows + " were counted; "
                + "the data changed between passes: make its partitioning deterministic (cache it, no round-robin repartition)");
        return new Shard(firstRow, rows, x, width, t, 1);
    }

    static String describe(long[] rows) {
        return Arrays.toString(rows);
    }
}
