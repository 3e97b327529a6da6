package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

/**
 * A model under a name, with its batcher when batching is on. Without batching each request
 * runs on its own thread with a pooled predictor.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class ServedModel implements AutoCloseable {
    private final String name;
    private final InferenceModel model;
    private final Batcher batcher;
    private final Metrics metrics;

    ServedModel(String name, InferenceModel model, ServerConfig config, Metrics metrics) {
        this.name = name;
        this.model = model;
        this.metrics = metrics;
        this.batcher = config.batching() ? new Batcher(name, model, metrics, config.batchWindowMicros(), config.maxBatchRows()) : null;
    }

    String name() {
        return name;
    }

    InferenceModel model() {
        return model;
    }

    /** Answers for {@code rows} rows of checked input, rows × outputSize. */
    float[] predict(float[] x, int rows) throws InterruptedException {
        if (batcher != null) return batcher.predict(x, rows);
        float[] out = model.predict(x, rows);
        metrics.forwardPass(name, rows);
        return out;
    }

    @Override
    public void close() {
        if (batcher != null) batcher.close();
    }
}
