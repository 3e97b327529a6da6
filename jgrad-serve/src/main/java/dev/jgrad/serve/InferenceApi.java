package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The REST form of the Open Inference Protocol (KServe v2), apart from any HTTP server: a
 * method, a path and a body in, a status, a content type and a body out. Routes:
 * {@code GET /v2}, {@code GET /v2/health/live}, {@code GET /v2/health/ready},
 * {@code GET /v2/models/{name}[/versions/{v}]} (metadata), {@code GET .../ready},
 * {@code POST .../infer}, and {@code GET /metrics} (Prometheus text).
 *
 * <p>An inference request has one input tensor, named {@code input}, datatype {@code FP32},
 * shape {@code [N, features]} (or {@code [features]} for one sample) and its values in
 * {@code data}, flat or one list per row. The answer holds {@code probabilities} (FP32
 * {@code [N, classes]}) and {@code label} (BYTES {@code [N]}, the class names) for a classifier,
 * or {@code output} (FP32 {@code [N, outputs]}) for regression; {@code outputs} in the request
 * may ask for some of them only. Every refusal is the protocol's error object with a status and
 * the field at fault; nothing is ever answered with a stack trace.
 *
 * <p>Thread-safety: safe for concurrent use by any number of request threads.
 */
public final class InferenceApi implements AutoCloseable {
    /** An answer: HTTP status, content type, body. */
    public record Answer(int status, String contentType, byte[] body) {
        static Answer json(int status, String json) {
            return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
        }
    }

    static final String INPUT = "input";
    private static final String VERSION = "1";

    private final Map<String, ServedModel> models;
    private final Metrics metrics;
    private final ServerConfig config;
    private final InFlight inFlight;
    private volatile boolean ready = true;

    private InferenceApi(Map<String, ServedModel> models, Metrics metrics, ServerConfig config, InFlight inFlight) {
        this.models = Map.copyOf(models);
        this.metrics = metrics;
        this.config = config;
        this.inFlight = inFlight;
    }

    /**
     * The protocol over these models, batching as the config says (its host, port, body limit
     * and timeouts are for the HTTP layer that carries it). For an HTTP server of one's own;
     * {@link InferenceServer} is the one jgrad ships.
     */
    public static InferenceApi open(Map<String, InferenceModel> byName, ServerConfig config) {
        return open(byName, config, Backend.jgrad());
    }

    /**
     * The protocol over these models with another engine computing the answers (requests are
     * still read and checked against each {@link InferenceModel}).
     */
    public static InferenceApi open(Map<String, InferenceModel> byName, ServerConfig config, Backend backend) {
        if (byName.isEmpty()) throw new IllegalArgumentException("no model to serve");
        Metrics metrics = new Metrics();
        InFlight inFlight = new InFlight();
        Map<String, ServedModel> served = new java.util.LinkedHashMap<>();
        byName.forEach((n, m) -> served.put(n, new ServedModel(n, m, config, metrics, inFlight, backend)));
        return new InferenceApi(served, metrics, config, inFlight);
    }

    /** The counters behind {@code /metrics}. */
    public Metrics metrics() {
        return metrics;
    }

    /** The names of the models served. */
    public java.util.Set<String> modelNames() {
        return models.keySet();
    }

    /** Readiness false, then the batchers answer what they hold and stop. */
    @Override
    public void close() {
        ready = false;
        models.values().forEach(ServedModel::close);
    }

    /**
     * Shutdown begins: readiness false (load balancers stop sending), and requests queued for a pass run at once rather than
     * wait out a batching window; requests are still answered until {@link #close()}.
     */
    void drain() {
        ready = false;
        models.values().forEach(ServedModel::drain);
    }

    /**
     * A request accepted by the HTTP layer, before its body is read: until it is queued for a
     * pass, a batching window opens for it. Leave it (close) when the request is done, whatever
     * happened; {@link #handle(String, String, byte[], int, InFlight.Arrival)} leaves it earlier.
     */
    InFlight.Arrival arrive() {
        return inFlight.arrive();
    }

    /** Requests accepted and not yet queued for a pass nor done (for tests). */
    int inFlight() {
        return inFlight.count();
    }

    /**
     * Answers one request; {@code body[0 .. length)} is its body. Never throws for anything a
     * client sends: faults become 4xx answers, and an internal failure a 500 with its message.
     * A batching window opens for the request from this call on, while it is parsed.
     */
    public Answer handle(String method, String path, byte[] body, int length) {
        try (InFlight.Arrival arrival = inFlight.arrive()) {
            return handle(method, path, body, length, arrival);
        }
    }

    /** Answers one request that {@link #arrive()} counted; leaves its arrival when it is queued or answered. */
    Answer handle(String method, String path, byte[] body, int length, InFlight.Arrival arrival) {
        Answer a;
        try {
            a = route(method, path, body, length, arrival);
        } catch (ApiError e) {
            a = Answer.json(e.status(), e.toJson());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            a = Answer.json(503, new ApiError(503, null, "interrupted while shutting down").toJson());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            a = Answer.json(500, new ApiError(500, null, "internal error: " + m).toJson());
        } finally {
            arrival.leave();
        }
        metrics.http(a.status());
        return a;
    }

    /** The answer to a request the HTTP layer refused before it reached {@link #handle}. */
    public Answer refuse(ApiError e) {
        metrics.http(e.status());
        return Answer.json(e.status(), e.toJson());
    }

    private Answer route(String method, String path, byte[] body, int length, InFlight.Arrival arrival) throws InterruptedException {
        int q = path.indexOf('?');
        if (q >= 0) path = path.substring(0, q);
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        boolean get = method.equals("GET") || method.equals("HEAD");
        switch (path) {
            case "/metrics" -> {
                requireGet(get, path);
                return new Answer(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.prometheus().getBytes(StandardCharsets.UTF_8));
            }
            case "/v2/health/live" -> {
                requireGet(get, path);
                return Answer.json(200, "{\"live\":true}");
            }
            case "/v2/health/ready" -> {
                requireGet(get, path);
                return Answer.json(ready ? 200 : 503, "{\"ready\":" + ready + "}");
            }
            case "/v2" -> {
                requireGet(get, path);
                return Answer.json(200, "{\"name\":\"jgrad\",\"version\":\"0.1.0\",\"extensions\":[]}");
            }
            default -> {
            }
        }
        if (!path.startsWith("/v2/models/")) throw new ApiError(404, null, "no such route: " + path);
        String[] parts = path.substring("/v2/models/".length()).split("/", -1);
        String name = parts[0];
        int at = 1;
        if (parts.length >= 3 && parts[1].equals("versions")) {
            if (!parts[2].equals(VERSION)) throw new ApiError(404, "version", "model '" + name + "' has only version " + VERSION);
            at = 3;
        }
        String action = parts.length == at ? "" : parts.length == at + 1 ? parts[at] : null;
        if (action == null) throw new ApiError(404, null, "no such route: " + path);
        ServedModel m = models.get(name);
        if (m == null) {
            throw new ApiError(404, "model_name", "unknown model '" + name + "'; served: " + String.join(", ", new java.util.TreeSet<>(models.keySet())));
        }
        return switch (action) {
            case "" -> {
                requireGet(get, path);
                yield Answer.json(200, metadata(m));
            }
            case "ready" -> {
                requireGet(get, path);
                yield Answer.json(ready ? 200 : 503, "{\"name\":" + quoted(name) + ",\"ready\":" + ready + "}");
            }
            case "infer" -> {
                if (!method.equals("POST")) throw new ApiError(405, null, "infer takes POST, not " + method);
                yield infer(m, body, length, arrival);
            }
            default -> throw new ApiError(404, null, "no such route: " + path);
        };
    }

    private static void requireGet(boolean get, String path) {
        if (!get) throw new ApiError(405, null, path + " takes GET");
    }

    private static String quoted(String s) {
        StringBuilder sb = new StringBuilder();
        JsonText.quote(sb, s);
        return sb.toString();
    }

    private static String metadata(ServedModel m) {
        InferenceModel im = m.model();
        StringBuilder sb = new StringBuilder("{\"name\":");
        JsonText.quote(sb, m.name());
        sb.append(",\"versions\":[\"").append(VERSION).append("\"],\"platform\":\"jgrad\",\"inputs\":[{\"name\":\"")
                .append(INPUT).append("\",\"datatype\":\"FP32\",\"shape\":[-1,").append(im.inputSize()).append("]}],\"outputs\":[");
        if (im.isClassification()) {
            sb.append("{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[-1,").append(im.outputSize())
                    .append("]},{\"name\":\"label\",\"datatype\":\"BYTES\",\"shape\":[-1]}]");
            sb.append(",\"parameters\":{\"classes\":[");
            List<String> names = im.classNames();
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) sb.append(',');
                JsonText.quote(sb, names.get(i));
            }
            sb.append("]}");
        } else {
            sb.append("{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":[-1,").append(im.outputSize()).append("]}]");
        }
        return sb.append('}').toString();
    }

    private Answer infer(ServedModel m, byte[] body, int length, InFlight.Arrival arrival) throws InterruptedException {
        long start = System.nanoTime();
        boolean ok = false;
        int rows = 0;
        try {
            InferRequest r = InferRequest.parse(body, length, m.model(), config.maxRequestRows());
            rows = r.rows();
            float[] y = m.predict(r.data(), r.rows(), arrival);
            Answer a = Answer.json(200, answer(m, r, y));
            ok = true;
            return a;
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "inputs[0].data", e.getMessage());
        } finally {
            metrics.inference(m.name(), ok, System.nanoTime() - start, rows);
        }
    }

    private static String answer(ServedModel m, InferRequest r, float[] y) {
        InferenceModel im = m.model();
        int n = r.rows(), o = im.outputSize();
        StringBuilder sb = new StringBuilder(64 + n * o * 12);
        sb.append("{\"model_name\":");
        JsonText.quote(sb, m.name());
        sb.append(",\"model_version\":\"").append(VERSION).append('"');
        if (r.id() != null) {
            sb.append(",\"id\":");
            JsonText.quote(sb, r.id());
        }
        sb.append(",\"outputs\":[");
        String shape = r.single() ? "[" + o + "]" : "[" + n + "," + o + "]";
        boolean first = true;
        if (im.isClassification()) {
            if (r.wants("probabilities")) {
                sb.append("{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":").append(shape).append(",\"data\":");
                JsonText.floats(sb, y, 0, n * o);
                sb.append('}');
                first = false;
            }
            if (r.wants("label")) {
                if (!first) sb.append(',');
                sb.append("{\"name\":\"label\",\"datatype\":\"BYTES\",\"shape\":[").append(r.single() ? 1 : n).append("],\"data\":[");
                List<String> names = im.classNames();
                for (int i = 0; i < n; i++) {
                    if (i > 0) sb.append(',');
                    int best = 0;
                    for (int j = 1; j < o; j++) if (y[i * o + j] > y[i * o + best]) best = j;
                    JsonText.quote(sb, names.get(best));
                }
                sb.append("]}");
            }
        } else {
            sb.append("{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":").append(shape).append(",\"data\":");
            JsonText.floats(sb, y, 0, n * o);
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    /** Output names a model gives, for checking a request's {@code outputs}. */
    static List<String> outputNames(InferenceModel m) {
        List<String> names = new ArrayList<>();
        if (m.isClassification()) {
            names.add("probabilities");
            names.add("label");
        } else {
            names.add("output");
        }
        return names;
    }
}
