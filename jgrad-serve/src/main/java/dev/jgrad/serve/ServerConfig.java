package dev.jgrad.serve;

/**
 * How an {@link InferenceServer} listens and batches.
 *
 * @param host              address to bind (127.0.0.1 by default: loopback only)
 * @param port              TCP port; 0 picks a free one
 * @param batching          merge concurrent requests into one forward pass
 * @param batchWindowMicros how long a pass waits for more requests after the first (µs)
 * @param maxBatchRows      rows per forward pass at most
 * @param maxBodyBytes      largest request body; larger ones are answered 413
 * @param maxRequestRows    rows one request may hold at most
 * @param idleTimeoutMillis a connection that sends nothing for this long is closed (slow clients)
 * @param stopTimeoutMillis on shutdown, how long in-flight requests get to finish
 */
public record ServerConfig(String host, int port, boolean batching, long batchWindowMicros, int maxBatchRows,
                           int maxBodyBytes, int maxRequestRows, long idleTimeoutMillis, long stopTimeoutMillis) {

    public ServerConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
        if (batchWindowMicros < 0) throw new IllegalArgumentException("batch window must not be negative");
        if (maxBatchRows < 1 || maxBodyBytes < 1 || maxRequestRows < 1 || idleTimeoutMillis < 1 || stopTimeoutMillis < 0) {
            throw new IllegalArgumentException("batch rows, body size, request rows and idle timeout must be positive");
        }
    }

    /** Loopback, port 8080, batching on (200 µs window, 256 rows), 4 MiB bodies, 30 s idle timeout. */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, true, 200, 256, 4 << 20, 4096, 30_000, 30_000);
    }

    public ServerConfig withHost(String h) {
        return new ServerConfig(h, port, batching, batchWindowMicros, maxBatchRows, maxBodyBytes, maxRequestRows, idleTimeoutMillis, stopTimeoutMillis);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, batching, batchWindowMicros, maxBatchRows, maxBodyBytes, maxRequestRows, idleTimeoutMillis, stopTimeoutMillis);
    }

    public ServerConfig withBatching(boolean on, long windowMicros, int maxRows) {
        return new ServerConfig(host, port, on, windowMicros, maxRows, maxBodyBytes, maxRequestRows, idleTimeoutMillis, stopTimeoutMillis);
    }

    public ServerConfig withLimits(int bodyBytes, int requestRows, long idleMillis) {
        return new ServerConfig(host, port, batching, batchWindowMicros, maxBatchRows, bodyBytes, requestRows, idleMillis, stopTimeoutMillis);
    }

    public ServerConfig withStopTimeout(long millis) {
        return new ServerConfig(host, port, batching, batchWindowMicros, maxBatchRows, maxBodyBytes, maxRequestRows, idleTimeoutMillis, millis);
    }
}
