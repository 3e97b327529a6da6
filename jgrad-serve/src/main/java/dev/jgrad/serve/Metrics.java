package dev.jgrad.serve;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters, written in the Prometheus text format at {@code GET /metrics}: HTTP
 * requests by status, inference requests and errors per model, the latency of inference
 * requests (a histogram, seconds) and the rows per forward pass (a histogram: with batching,
 * how many requests each pass merged), and the requests waiting for a pass (a gauge). Counting is lock-free (one {@link LongAdder} per cell).
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class Metrics {
    private static final double[] LATENCY = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    private static final double[] ROWS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

    private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    private final Map<String, PerModel> models = new ConcurrentHashMap<>();

    /** A histogram with fixed upper bounds, plus its sum and count. */
    private static final class Histogram {
        final double[] bounds;
        final LongAdder[] counts;
        final LongAdder count = new LongAdder();
        final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    counts[i].increment();
                    break;
                }
            }
            count.increment();
            sum.add(v);
        }

        void write(StringBuilder sb, String name, String labels) {
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                sb.append(name).append("_bucket{").append(labels).append(",le=\"").append(bound(bounds[i]))
                        .append("\"} ").append(cumulative).append('\n');
            }
            sb.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append(count.sum()).append('\n');
            sb.append(name).append("_sum{").append(labels).append("} ").append(sum.sum()).append('\n');
            sb.append(name).append("_count{").append(labels).append("} ").append(count.sum()).append('\n');
        }

        private static String bound(double b) {
            return b == Math.rint(b) ? Long.toString((long) b) : Double.toString(b);
        }
    }

    private static final class PerModel {
        final LongAdder requests = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder rows = new LongAdder();
        final Histogram latency = new Histogram(LATENCY);
        final Histogram batch = new Histogram(ROWS);
        final LongAdder queued = new LongAdder();
    }

    private PerModel model(String name) {
        return models.computeIfAbsent(name, k -> new PerModel());
    }

    /** One HTTP request answered with this status. */
    public void http(int status) {
        byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
    }

    /** One inference request on a known model: its outcome and time from arrival to answer. */
    public void inference(String model, boolean ok, long nanos, int rows) {
        PerModel m = model(model);
        m.requests.increment();
        if (!ok) m.errors.increment();
        else m.rows.add(rows);
        m.latency.observe(nanos / 1e9);
    }

    /** One forward pass over {@code rows} rows (several requests when batched). */
    public void forwardPass(String model, int rows) {
        model(model).batch.observe(rows);
    }

    /** Requests that joined ({@code +n}) or left ({@code -n}) the queue for a forward pass. */
    public void queued(String model, int n) {
        model(model).queued.add(n);
    }

    /** Forward passes run for a model (for tests). */
    long forwardPasses(String model) {
        PerModel m = models.get(model);
        return m == null ? 0 : m.batch.count.sum();
    }

    /** Requests waiting for a pass on a model now (for tests). */
    long queued(String model) {
        PerModel m = models.get(model);
        return m == null ? 0 : m.queued.sum();
    }

    /** Total inference requests on a model (for tests and logs). */
    public long requests(String model) {
        PerModel m = models.get(model);
        return m == null ? 0 : m.requests.sum();
    }

    /** The Prometheus text exposition of every counter. */
    public String prometheus() {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("# HELP jgrad_http_requests_total HTTP requests answered, by status code.\n");
        sb.append("# TYPE jgrad_http_requests_total counter\n");
        new java.util.TreeMap<>(byStatus).forEach((code, n) ->
                sb.append("jgrad_http_requests_total{code=\"").append(code).append("\"} ").append(n.sum()).append('\n'));
        var sorted = new java.util.TreeMap<>(models);
        sb.append("# HELP jgrad_inference_requests_total Inference requests on a model, answered or refused.\n");
        sb.append("# TYPE jgrad_inference_requests_total counter\n");
        sorted.forEach((name, m) -> sb.append("jgrad_inference_requests_total{model=\"").append(name).append("\"} ")
                .append(m.requests.sum()).append('\n'));
        sb.append("# HELP jgrad_inference_errors_total Inference requests refused (bad input) or failed.\n");
        sb.append("# TYPE jgrad_inference_errors_total counter\n");
        sorted.forEach((name, m) -> sb.append("jgrad_inference_errors_total{model=\"").append(name).append("\"} ")
                .append(m.errors.sum()).append('\n'));
        sb.append("# HELP jgrad_inference_rows_total Samples predicted.\n");
        sb.append("# TYPE jgrad_inference_rows_total counter\n");
        sorted.forEach((name, m) -> sb.append("jgrad_inference_rows_total{model=\"").append(name).append("\"} ")
                .append(m.rows.sum()).append('\n'));
        sb.append("# HELP jgrad_inference_latency_seconds Time from reading a request to its answer.\n");
        sb.append("# TYPE jgrad_inference_latency_seconds histogram\n");
        sorted.forEach((name, m) -> m.latency.write(sb, "jgrad_inference_latency_seconds", "model=\"" + name + "\""));
        sb.append("# HELP jgrad_batch_rows Rows per forward pass (requests merged by batching).\n");
        sb.append("# TYPE jgrad_batch_rows histogram\n");
        sorted.forEach((name, m) -> m.batch.write(sb, "jgrad_batch_rows", "model=\"" + name + "\""));
        sb.append("# HELP jgrad_batch_queued_requests Requests waiting for a forward pass to take them.\n");
        sb.append("# TYPE jgrad_batch_queued_requests gauge\n");
        sorted.forEach((name, m) -> sb.append("jgrad_batch_queued_requests{model=\"").append(name).append("\"} ")
                .append(m.queued.sum()).append('\n'));
        Runtime rt = Runtime.getRuntime();
        sb.append("# HELP jgrad_jvm_heap_used_bytes Heap in use.\n# TYPE jgrad_jvm_heap_used_bytes gauge\n");
        sb.append("jgrad_jvm_heap_used_bytes ").append(rt.totalMemory() - rt.freeMemory()).append('\n');
        return sb.toString();
    }
}
