package dev.jgrad.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Ranks as threads of one JVM, joined by real TCP rings on loopback and, unless told to use TCP
 * only, summing through shared memory as ranks on one host do: the protocol without Spark.
 */
final class LocalRanks {
    private LocalRanks() {
    }

    /** Shards rows [0, n) of a data set into pieces of the given sizes. */
    static List<Shard> split(float[] x, float[] t, int width, int... sizes) {
        List<Shard> out = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            float[] xs = java.util.Arrays.copyOfRange(x, at * width, (at + s) * width);
            float[] ts = java.util.Arrays.copyOfRange(t, at, at + s);
            out.add(new Shard(at, s, xs, width, ts, 1));
            at += s;
        }
        return out;
    }

    /** Runs body(collective) on each of n ranks at once and returns their results in rank order. */
    static <T> List<T> run(int n, int readTimeoutMs, Function<Collective, T> body) throws Exception {
        return run(n, readTimeoutMs, "auto", 1 << 16, body);
    }

    /**
     * As {@link #run(int, int, Function)}, with the transport ({@code auto}: shared memory;
     * {@code tcp}) and the largest float buffer the shared memory is sized for.
     */
    static <T> List<T> run(int n, int readTimeoutMs, String transport, int capacity, Function<Collective, T> body) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (int r = 0; r < n; r++) {
            ServerSocket s = TcpChain.listen(lo, 8);
            servers.add(s);
            addresses.add(new InetSocketAddress(lo, s.getLocalPort()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    Collective c = n == 1 ? Collective.single()
                            : SharedMemorySum.over(TcpChain.connect(rank, addresses, servers.get(rank), 42, 5000, readTimeoutMs),
                                    true, transport, capacity, readTimeoutMs);
                    try (c) {
                        return body.apply(c);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            Exception first = null;
            for (Future<T> f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (first == null) first = e;
                }
            }
            if (first != null) throw first;
            return out;
        } finally {
            pool.shutdownNow();
            for (ServerSocket s : servers) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // test cleanup
                }
            }
        }
    }
}
