package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A model under a name, with its batcher when batching is on. Without batching each request
 * runs on its own thread with a pooled pass of the backend.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class ServedModel implements AutoCloseable {
    private final String name;
    private final InferenceModel model;
    private final Batcher batcher;
    private final Metrics metrics;
    private final Backend backend;
    private final ConcurrentLinkedQueue<Backend.Pass> passes = new ConcurrentLinkedQueue<>();

    ServedModel(String name, InferenceModel model, ServerConfig config, Metrics metrics, InFlight inFlight, Backend backend) {
        this.name = name;
        this.model = model;
        this.metrics = metrics;
        this.backend = backend;
        this.batcher = config.batching() ? new Batcher(name, model, backend, metrics, inFlight, config.batchWindowMicros(),
                config.maxBatchRows()) : null;
    }

    String name() {
        return name;
    }

    InferenceModel model() {
        return model;
    }

    /**
     * Answers for {@code rows} rows of checked input, rows × outputSize. The request's arrival
     * is left once the batcher has queued it (without batching, the caller leaves it).
     */
    float[] predict(float[] x, int rows, InFlight.Arrival arrival) throws InterruptedException {
        if (batcher != null) return batcher.predict(x, rows, arrival);
        Backend.Pass p = passes.poll();
        if (p == null) p = backend.open(model);
        float[] out = new float[rows * model.outputSize()];
        try {
            p.predict(x, 0, rows, out, 0);
        } finally {
            // Keeps about as many as run at once on the cores; more would only hold memory.
            if (passes.size() < 2 * Runtime.getRuntime().availableProcessors()) passes.add(p);
        }
        metrics.forwardPass(name, rows);
        return out;
    }

    /** Shutdown begins: batching windows stop waiting; accepted requests are still answered. */
    void drain() {
        if (batcher != null) batcher.drain();
    }

    @Override
    public void close() {
        if (batcher != null) batcher.close();
    }
}
