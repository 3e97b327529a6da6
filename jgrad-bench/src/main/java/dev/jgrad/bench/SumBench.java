package dev.jgrad.bench;

import dev.jgrad.spark.Collective;
import dev.jgrad.spark.SharedMemorySum;
import dev.jgrad.spark.TcpChain;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A gradient sum alone, between two ranks (threads of this JVM) on this host, through each
 * transport of jgrad-spark in turn: the TCP ring over loopback, and shared memory with each way
 * of waiting at a barrier (spin, then yield, then park; spin then park; yield then park). The
 * variants alternate, round after round, so that the machine's other work falls on all of them
 * alike. Prints, per variant and round, the wall time per sum (fastest and median of the timed
 * sums, the slower rank's) and the CPU time per sum of each rank.
 *
 * <p>Usage: {@code SumBench [floats=235146] [sums=400] [rounds=5]}.
 */
public final class SumBench {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Variant: name, transport, microseconds of spinning, microseconds of yielding. */
    private static final Object[][] VARIANTS = {
            {"tcp", "tcp", 20, 2000},
            {"shm spin 20us, yield 2ms, park", "auto", 20, 2000},
            {"shm spin 20us, park", "auto", 20, 0},
            {"shm yield 2ms, park", "auto", 0, 2000},
    };

    private SumBench() {
    }

    public static void main(String[] args) throws Exception {
        int floats = args.length > 0 ? Integer.parseInt(args[0]) : 235_146;
        int sums = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        System.out.printf(Locale.ROOT, "%d cores; %,d floats, %d sums per run, %d rounds%n",
                Runtime.getRuntime().availableProcessors(), floats, sums, rounds);
        for (int r = 0; r < rounds; r++) {
            for (Object[] v : VARIANTS) {
                System.setProperty("jgrad.spark.shm.spinMicros", v[2].toString());
                System.setProperty("jgrad.spark.shm.yieldMicros", v[3].toString());
                double[][] t = run((String) v[1], floats, sums);
                System.out.printf(Locale.ROOT, "round %d  %-32s wall fastest %.3f ms, median %.3f ms; CPU per sum rank 0 %.3f ms, rank 1 %.3f ms%n",
                        r + 1, v[0], t[0][0], t[0][1], t[1][0], t[1][1]);
            }
        }
    }

    /** {{wall fastest, wall median}, {CPU rank 0, CPU rank 1}} in ms, over the timed sums. */
    private static double[][] run(String transport, int floats, int sums) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        ServerSocket s0 = TcpChain.listen(lo, 4), s1 = TcpChain.listen(lo, 4);
        List<InetSocketAddress> at = List.of(new InetSocketAddress(lo, s0.getLocalPort()), new InetSocketAddress(lo, s1.getLocalPort()));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<double[][]>> f = new ArrayList<>();
            for (int rank = 0; rank < 2; rank++) {
                int me = rank;
                ServerSocket server = rank == 0 ? s0 : s1;
                f.add(pool.submit(() -> {
                    try (Collective c = SharedMemorySum.over(TcpChain.connect(me, at, server, 1, 5000, 30_000), true, transport,
                            floats, 30_000)) {
                        float[] a = new float[floats];
                        int warm = Math.max(20, sums / 5);
                        double[] wall = new double[sums];
                        long cpu0 = 0;
                        for (int i = 0; i < warm + sums; i++) {
                            if (i == warm) cpu0 = CPU.getCurrentThreadCpuTime();
                            Arrays.fill(a, 1f);
                            long w0 = System.nanoTime();
                            c.sum(a, 0, floats);
                            if (i >= warm) wall[i - warm] = (System.nanoTime() - w0) / 1e6;
                        }
                        if (a[floats - 1] != 2f) throw new IllegalStateException("wrong sum " + a[floats - 1]);
                        return new double[][]{wall, {(CPU.getCurrentThreadCpuTime() - cpu0) / 1e6 / sums}};
                    }
                }));
            }
            double[][] r0 = f.get(0).get(), r1 = f.get(1).get();
            double[] wall = new double[sums];
            for (int i = 0; i < sums; i++) wall[i] = Math.max(r0[0][i], r1[0][i]);
            Arrays.sort(wall);
            return new double[][]{{wall[0], wall[sums / 2]}, {r0[1][0], r1[1][0]}};
        } finally {
            pool.shutdownNow();
            s0.close();
            s1.close();
        }
    }
}
