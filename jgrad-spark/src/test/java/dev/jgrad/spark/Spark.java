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
        if (session != null && session.sparkContext().isStopped()) session = null;
        if (session == null) {
            SparkSession active = SparkSession.getActiveSession().getOrElse(() -> null);
            if (active != null) active.stop();
            session = SparkSession.builder().master("local[2]").appName("jgrad-spark tests")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2").getOrCreate();
            session.sparkContext().setLogLevel("ERROR");
        }
        return session;
    }

    /**
     * A session on a cluster whose executors are separate JVMs (local-cluster or a standalone
     * master): they find Spark's jars under SPARK_HOME/jars (links to the test classpath's jars,
     * made here) and jgrad's classes through the extra class path. Stops any other session first.
     */
    static synchronized SparkSession cluster(String master) throws java.io.IOException {
        if (session != null) {
            session.stop();
            session = null;
        }
        String home = System.getenv("SPARK_HOME");
        if (home == null) throw new IllegalStateException("SPARK_HOME is not set (the build sets it for tests)");
        java.nio.file.Path jars = java.nio.file.Path.of(home, "jars");
        java.nio.file.Files.createDirectories(jars);
        // jgrad's own classes and jars (those inside this repository) reach the executors through
        // the extra class path; the rest (Spark and its dependencies) through SPARK_HOME/jars.
        java.nio.file.Path repo = java.nio.file.Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
        List<String> dirs = new ArrayList<>();
        for (String e : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")).split(java.io.File.pathSeparator)) {
            java.nio.file.Path p = java.nio.file.Path.of(e).toAbsolutePath();
            if (p.startsWith(repo)) {
                dirs.add(p.toString());
            } else if (e.endsWith(".jar")) {
                java.nio.file.Path link = jars.resolve(p.getFileName());
                if (!java.nio.file.Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) java.nio.file.Files.createSymbolicLink(link, p);
            }
        }
        session = SparkSession.builder().master(master).appName("jgrad-spark cluster tests")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false").config("spark.executor.memory", "512m")
                .config("spark.executor.extraClassPath", String.join(java.io.File.pathSeparator, dirs))
                .config("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector")
                .config("spark.sql.shuffle.partitions", "2").config("spark.default.parallelism", "2").getOrCreate();
        session.sparkContext().setLogLevel("ERROR");
        return session;
    }

    static synchronized void stop() {
        if (session != null) session.stop();
        session = null;
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
