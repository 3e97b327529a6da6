package dev.jgrad.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training on executors that are JVMs of their own: {@code local-cluster[2,1,1024]} always, and a
 * standalone cluster on loopback when {@code JGRAD_SPARK_MASTER} names one (scripts/spark-cluster.sh
 * starts it). A kill -9 of an executor in the middle of training must end with the weights of an
 * undisturbed run.
 */
class ClusterTest {
    static final int ROWS = 3000, WIDTH = 32, CLASSES = 4;
    static final float[] X = new float[ROWS * WIDTH], T = new float[ROWS];

    static {
        Random r = new Random(11);
        for (int i = 0; i < ROWS; i++) {
            int c = r.nextInt(CLASSES);
            T[i] = c;
            for (int j = 0; j < WIDTH; j++) X[i * WIDTH + j] = (float) (r.nextGaussian() + (j % CLASSES == c ? 1 : 0));
        }
    }

    static final TrainingRecipe RECIPE = new TrainingRecipe(WIDTH, CLASSES, true, "128:relu,64:relu", "none", 0.1, "adam",
            0, 0, 0, "constant", 32, 8, 3, 1);

    @AfterAll
    static void stop() {
        Spark.stop();
    }

    static JgradClassifier classifier(String checkpoints) {
        JgradClassifier c = new JgradClassifier();
        c.setLayers(RECIPE.layers()).setDropout(RECIPE.dropout()).setBatchSize(RECIPE.batchSize()).setEpochs(RECIPE.epochs())
                .setSeed(RECIPE.seed()).setSchedule(RECIPE.schedule()).setReadTimeoutMs(20_000);
        if (checkpoints != null) c.setCheckpointDir(checkpoints);
        return c;
    }

    static float[] reference() throws Exception {
        List<Shard> shards = LocalRanks.split(X, T, WIDTH, 1500, 1500);
        return RankLoopTest.weights(LocalRanks.run(2, 10_000, c -> {
            try {
                return new RankLoop(RECIPE, shards.get(c.rank()), ROWS, c, null, 0).run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).getFirst());
    }

    @Test
    void localClusterSurvivesAKilledExecutor(@TempDir Path dir) throws Exception {
        killOneExecutorMidway(Spark.cluster("local-cluster[2,1,1024]"), dir);
    }

    @Test
    void standaloneClusterSurvivesAKilledExecutor(@TempDir Path dir) throws Exception {
        String master = System.getenv("JGRAD_SPARK_MASTER");
        Assumptions.assumeTrue(master != null && !master.isBlank(), "no standalone cluster: JGRAD_SPARK_MASTER is not set");
        killOneExecutorMidway(Spark.cluster(master), dir);
    }

    private void killOneExecutorMidway(SparkSession spark, Path dir) throws Exception {
        Dataset<Row> df = Spark.frame(spark, X, T, WIDTH, 1500, 1500).cache();
        df.count();
        float[] undisturbed = reference();
        Path checkpoints = dir.resolve("checkpoints");
        String app = spark.sparkContext().applicationId();
        AtomicLong killed = new AtomicLong(-1);
        Thread killer = new Thread(() -> {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (System.nanoTime() < deadline && !Files.exists(checkpoints.resolve("epoch-00002.safetensors"))) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
            Optional<ProcessHandle> executor = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend") && c.contains(app)).orElse(false))
                    .min(Comparator.comparingLong(ProcessHandle::pid));
            executor.ifPresent(p -> {
                killed.set(p.pid());
                p.destroyForcibly();   // SIGKILL: no shutdown hooks, sockets closed by the kernel
            });
        });
        killer.start();
        JgradClassificationModel model = classifier(checkpoints.toUri().toString()).fit(df);
        killer.join();
        assertTrue(killed.get() > 0, "no executor of " + app + " was found to kill");
        assertTrue(model.summary().resumedFrom() >= 2, "resumed from epoch " + model.summary().resumedFrom());
        assertArrayEquals(undisturbed, JgradClassifierTest.weights(model));
        df.unpersist();
    }
}
