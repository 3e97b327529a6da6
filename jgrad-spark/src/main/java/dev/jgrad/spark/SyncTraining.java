package dev.jgrad.spark;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Synchronous data parallelism on Spark: one barrier stage with one task per partition, each
 * task one rank. The tasks publish {@code host:port} once through
 * {@link BarrierTaskContext#allGather}, connect into a ring ({@link TcpChain}), sum through shared memory instead when they
 * are all on one host ({@link SharedMemorySum}), and run
 * {@link RankLoop}. A shuffle after the barrier stage makes it a map stage, which Spark retries
 * as a whole when a task fails; the retried ranks resume from the newest checkpoint.
 */
final class SyncTraining {
    private SyncTraining() {
    }

    /**
     * Socket and scheduling limits, and the transport of the sums: {@code auto} (shared memory
     * when all ranks are on one host, {@link SharedMemorySum}) or {@code tcp} (always the ring).
     */
    record Limits(int connectTimeoutMs, int readTimeoutMs, long slotWaitMs, String transport) implements Serializable {
    }

    static List<RankLoop.Result> run(Dataset<Row> rows, TrainingData.Layout layout, TrainingRecipe recipe,
                                     String checkpointDir, Limits limits) {
        SparkContext sc = rows.sparkSession().sparkContext();
        int ranks = layout.rows().length;
        checkCluster(sc, ranks, limits.slotWaitMs());
        CheckpointStore store = checkpointDir == null || checkpointDir.isEmpty() ? null
                : new HadoopCheckpoints(checkpointDir, sc.hadoopConfiguration());
        RankTask task = new RankTask(recipe, layout, store, limits);
        ClassTag<RankLoop.Result> tag = ClassTag$.MODULE$.apply(RankLoop.Result.class);
        RDD<RankLoop.Result> trained = rows.rdd().barrier().mapPartitions(task, false, tag);
        // The shuffle makes the barrier stage a map stage: Spark retries all of it when a task fails.
        List<RankLoop.Result> results = new ArrayList<>(new JavaRDD<>(trained, tag).repartition(1).collect());
        results.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
        if (results.size() != ranks || results.getFirst().model() == null) {
            throw new IllegalStateException("expected " + ranks + " rank results with the model from rank 0, got " + results.size());
        }
        return results;
    }

    /**
     * Fails fast where a barrier stage would wait or fail obscurely: dynamic allocation, or more
     * partitions than task slots (executors that are still starting get {@code slotWaitMs}).
     */
    static void checkCluster(SparkContext sc, int ranks, long slotWaitMs) {
        String problem = clusterProblem(sc.conf(), ranks, Integer.MAX_VALUE);
        if (problem != null) throw new IllegalArgumentException(problem);
        long deadline = System.nanoTime() + slotWaitMs * 1_000_000L;
        int slots;
        while (true) {
            slots = sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
            if (slots >= ranks || System.nanoTime() > deadline) break;
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        problem = clusterProblem(sc.conf(), ranks, slots);
        if (problem != null) throw new IllegalArgumentException(problem);
    }

    /** Why a barrier stage of {@code ranks} tasks cannot run with this configuration and free slots, or null. */
    static String clusterProblem(org.apache.spark.SparkConf conf, int ranks, int slots) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            return "spark.dynamicAllocation.enabled is true: a barrier stage needs all of its " + ranks
                    + " tasks running at once on a fixed set of executors; turn dynamic allocation off";
        }
        if (slots < ranks) {
            return "the training data has " + ranks + " partitions, one rank each, but the cluster has " + slots
                    + " task slots: all ranks must run at once; coalesce the data to at most " + slots
                    + " partitions or add executors";
        }
        return null;
    }

    /** The gradient's length: the largest buffer the ranks sum. */
    private static int parameters(TrainingRecipe recipe) {
        try (dev.jgrad.nn.Sequential net = recipe.network()) {
            return net.parameterCount();
        }
    }

    /** What each barrier task runs: rendezvous, ring, training loop. */
    static final class RankTask extends AbstractFunction1<scala.collection.Iterator<Row>, scala.collection.Iterator<RankLoop.Result>>
            implements Serializable {
        private final TrainingRecipe recipe;
        private final TrainingData.Layout layout;
        private final CheckpointStore store;
        private final Limits limits;

        RankTask(TrainingRecipe recipe, TrainingData.Layout layout, CheckpointStore store, Limits limits) {
            this.recipe = recipe;
            this.layout = layout;
            this.store = store;
            this.limits = limits;
        }

        @Override
        public scala.collection.Iterator<RankLoop.Result> apply(scala.collection.Iterator<Row> rows) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            int ranks = ctx.getTaskInfos().length;
            Iterator<Row> it = CollectionConverters.asJava(rows);
            Shard shard = TrainingData.shard(it, layout.first(rank), Math.toIntExact(layout.rows()[rank]), layout.width(),
                    recipe.classify(), recipe.outputs());
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            try (ServerSocket server = TcpChain.listen(InetAddress.getByName(host), ranks)) {
                int latest = rank == 0 && store != null ? store.latest() : 0;
                // The one meeting through the driver; every task makes it, on every path.
                String[] all = ctx.allGather(host + " " + server.getLocalPort() + " " + latest);
                List<InetSocketAddress> peers = new ArrayList<>();
                boolean sameHost = true;
                for (String a : all) {
                    String[] f = a.split(" ");
                    peers.add(new InetSocketAddress(f[0], Integer.parseInt(f[1])));
                    sameHost &= f[0].equals(all[0].split(" ")[0]);
                }
                int resume = Integer.parseInt(all[0].split(" ")[2]);
                long run = ((long) ctx.stageId() << 32) | ctx.stageAttemptNumber();
                Collective c = ranks == 1 ? Collective.single()
                        : SharedMemorySum.over(TcpChain.connect(rank, peers, server, run, limits.connectTimeoutMs(), limits.readTimeoutMs()),
                                sameHost, limits.transport(), parameters(recipe), limits.readTimeoutMs());
                try (c) {
                    RankLoop.Result r = new RankLoop(recipe, shard, layout.total(), c, store, resume).run();
                    return CollectionConverters.asScala(List.of(r).iterator());
                }
            } catch (IOException e) {
                throw new RankFailedException("rank " + rank + " of " + ranks + ": " + e.getMessage(), e);
            }
        }
    }
}
