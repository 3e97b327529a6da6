package dev.jgrad.spark;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/** One local[2] Spark session for all test classes of a run, on loopback only. */
final class Spark {
    private static SparkSession session;

    private Spark() {
    }

    static synchronized SparkSession local() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("jgrad-spark tests")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2").getOrCreate();
            session.sparkContext().setLogLevel("ERROR");
        }
        return session;
    }

    static final StructType SCHEMA = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);

    /** The test data set as a DataFrame in partitions of the given sizes, in order. */
    static Dataset<Row> frame(SparkSession spark, float[] x, float[] t, int width, int... sizes) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < t.length; i++) {
            double[] v = new double[width];
            for (int j = 0; j < width; j++) v[j] = x[i * width + j];
            rows.add(RowFactory.create(Vectors.dense(v), (double) t[i]));
        }
        return partitioned(spark, rows, SCHEMA, sizes);
    }

    /** Rows in partitions of exactly the given sizes, in order. */
    static Dataset<Row> partitioned(SparkSession spark, List<Row> rows, StructType schema, int... sizes) {
        List<List<Row>> parts = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            parts.add(new ArrayList<>(rows.subList(at, at + s)));
            at += s;
        }
        var jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext());
        var rdd = jsc.parallelize(parts, parts.size()).flatMap(List::iterator);
        return spark.createDataFrame(rdd, schema);
    }
}
