package dev.jgrad.cli;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.serve.InferenceServer;
import dev.jgrad.serve.ServerConfig;

import java.nio.file.Path;
import java.util.Map;

final class ServeCommand extends Subcommand {
    Path model;
    int port = 8080;
    String host = "127.0.0.1";
    boolean batching = true;
    long windowMicros = 200;
    int maxBatch = 256;
    int maxBody = 4194304;
    long idleMillis = 30000;

    @Override
    CommandOptions options() {
        return new CommandOptions("serve",
                "Serves models over HTTP with the Open Inference Protocol (KServe v2 REST) and /metrics.",
                "SIGTERM stops accepting, answers the requests in flight and exits 0.",
                "Example: jgrad serve --model m.safetensors --port 8080")
                .path("--model", "PATH", "a model file (served under its name without .safetensors) or a directory of them", v -> model = v).required()
                .integer("--port", "<port>", "TCP port, 0 for any free one (default: 8080)", v -> port = v)
                .string("--host", "<host>", "address to listen on (default: 127.0.0.1)", v -> host = v)
                .negatable("--batching", "merge concurrent requests into one forward pass (default: on)", v -> batching = v)
                .longInteger("--batch-window-us", "µs", "how long a pass waits for more requests (default: 200)", v -> windowMicros = v)
                .integer("--max-batch", "ROWS", "rows per pass at most (default: 256)", v -> maxBatch = v)
                .integer("--max-body", "BYTES", "largest request body; larger ones get 413 (default: 4194304)", v -> maxBody = v)
                .longInteger("--idle-timeout-ms", "MS", "closes a connection silent this long (default: 30000)", v -> idleMillis = v);
    }

    @Override
    int call() throws Exception {
        Map<String, InferenceModel> models = InferenceServer.load(model);
        ServerConfig config = ServerConfig.defaults().withHost(host).withPort(port)
                .withBatching(batching, windowMicros, maxBatch)
                .withLimits(maxBody, ServerConfig.defaults().maxRequestRows(), idleMillis);
        InferenceServer server = InferenceServer.start(models, config);
        // SIGTERM (and Ctrl-C): stop accepting, answer what is in flight, then exit 0 rather
        // than the JVM's 143 for a signal: a stop asked for is a clean exit.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stderr.println("jgrad serve: stopped");
            stderr.flush();
            Runtime.getRuntime().halt(0);
        }, "jgrad-serve-stop"));
        var out = stdout;
        for (var e : models.entrySet()) {
            InferenceModel m = e.getValue();
            out.printf("serving %s: %s, %d features → %s%n", e.getKey(), m.describe(), m.inputSize(),
                    m.isClassification() ? m.classNames().size() + " classes" : m.outputSize() + " outputs");
        }
        out.printf("listening on http://%s:%d (POST /v2/models/<name>/infer, GET /metrics); batching %s%n",
                host, server.port(), batching ? "on (" + windowMicros + " µs, " + maxBatch + " rows)" : "off");
        out.flush();
        server.join();
        return 0;
    }
}
