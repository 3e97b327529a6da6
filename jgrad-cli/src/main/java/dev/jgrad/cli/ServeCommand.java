package dev.jgrad.cli;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.serve.InferenceServer;
import dev.jgrad.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves models over HTTP with the Open Inference Protocol (KServe v2 REST) and /metrics.",
                "SIGTERM stops accepting, answers the requests in flight and exits 0.",
                "Example: jgrad serve --model m.safetensors --port 8080"})
final class ServeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "a model file (served under its name without .safetensors) or a directory of them")
    Path model;
    @Option(names = "--port", defaultValue = "8080", description = "TCP port, 0 for any free one (default: ${DEFAULT-VALUE})")
    int port;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;
    @Option(names = "--batching", negatable = true, defaultValue = "true",
            description = "merge concurrent requests into one forward pass (default: on)")
    boolean batching;
    @Option(names = "--batch-window-us", defaultValue = "200", paramLabel = "µs",
            description = "how long a pass waits for more requests (default: ${DEFAULT-VALUE})")
    long windowMicros;
    @Option(names = "--max-batch", defaultValue = "256", paramLabel = "ROWS", description = "rows per pass at most (default: ${DEFAULT-VALUE})")
    int maxBatch;
    @Option(names = "--max-body", defaultValue = "4194304", paramLabel = "BYTES",
            description = "largest request body; larger ones get 413 (default: ${DEFAULT-VALUE})")
    int maxBody;
    @Option(names = "--idle-timeout-ms", defaultValue = "30000", paramLabel = "MS",
            description = "closes a connection silent this long (default: ${DEFAULT-VALUE})")
    long idleMillis;

    @Override
    public Integer call() throws Exception {
        Map<String, InferenceModel> models = InferenceServer.load(model);
        ServerConfig config = ServerConfig.defaults().withHost(host).withPort(port)
                .withBatching(batching, windowMicros, maxBatch)
                .withLimits(maxBody, ServerConfig.defaults().maxRequestRows(), idleMillis);
        InferenceServer server = InferenceServer.start(models, config);
        // SIGTERM (and Ctrl-C): stop accepting, answer what is in flight, then exit 0 rather
        // than the JVM's 143 for a signal: a stop asked for is a clean exit.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            spec.commandLine().getErr().println("jgrad serve: stopped");
            spec.commandLine().getErr().flush();
            Runtime.getRuntime().halt(0);
        }, "jgrad-serve-stop"));
        var out = spec.commandLine().getOut();
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
