package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.kernel.Parallel;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An HTTP server answering the Open Inference Protocol ({@link InferenceApi}) for one or more
 * models, on Jetty. Embed it:
 *
 * <pre>{@code
 * try (InferenceServer server = InferenceServer.start(Map.of("fashion", InferenceModel.load(file)),
 *         ServerConfig.defaults().withPort(8080))) {
 *     server.join();
 * }
 * }</pre>
 *
 * <p>Limits: a body over {@link ServerConfig#maxBodyBytes()} is answered 413 without being read
 * past the limit; a connection idle for {@link ServerConfig#idleTimeoutMillis()} (a client that
 * stops sending half way) is closed; HTTP the server cannot parse is answered with the protocol's
 * JSON error, never a stack trace. {@link #close()} is graceful: readiness turns false,
 * batching windows end (requests queued for a pass run at once), the connector stops accepting,
 * in-flight requests finish (up to the stop timeout), then the batchers refuse new work.
 *
 * <p>Thread-safety: {@link #close()} and the accessors may be called from any thread.
 */
public final class InferenceServer implements AutoCloseable {
    /** A pool of one thread: the caller, no workers. */
    private static final Parallel SERIAL = Parallel.create(1);

    private final Server server;
    private final ServerConnector connector;
    private final InferenceApi api;
    private volatile boolean closed;

    private InferenceServer(Map<String, InferenceModel> byName, ServerConfig config, Backend backend) throws Exception {
        this.api = InferenceApi.open(byName, config, backend);
        QueuedThreadPool pool = new QueuedThreadPool(256, 8);
        pool.setName("jgrad-http");
        // Handlers run on virtual threads: a follower parked until its batch has run holds no
        // platform thread, and its wake-up is a continuation resubmitted to a carrier. Platform
        // request threads measured no better (docs/SERVING.md) and would cap the requests
        // waiting at once at the pool's size.
        //
        // A task handed to them (a connection with bytes to read) counts as in flight until it
        // runs: under load the requests that exist mostly wait here, for a core, and a batching
        // window that waits for them lets them run and join; with one client there is none.
        java.util.concurrent.Executor virtual = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        pool.setVirtualThreadsExecutor(task -> {
            InFlight.Arrival waiting = api.arrive();
            try {
                virtual.execute(() -> {
                    waiting.leave();
                    task.run();
                });
            } catch (RuntimeException | Error e) {
                waiting.leave();
                throw e;
            }
        });
        server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(config.idleTimeoutMillis());
        GracefulHandler graceful = new GracefulHandler(new ApiHandler(api, config.maxBodyBytes()));
        server.setHandler(graceful);
        server.setErrorHandler(new JsonErrors());
        server.setStopTimeout(config.stopTimeoutMillis());
        server.setStopAtShutdown(false);
        server.addConnector(connector);
        try {
            server.start();
        } catch (Exception e) {
            api.close();
            throw e;
        }
    }

    /** Starts serving the models under their names. */
    public static InferenceServer start(Map<String, InferenceModel> models, ServerConfig config) throws IOException {
        return start(models, config, Backend.jgrad());
    }

    /** Starts serving the models under their names, their answers computed by {@code backend}. */
    public static InferenceServer start(Map<String, InferenceModel> models, ServerConfig config, Backend backend) throws IOException {
        try {
            return new InferenceServer(models, config, backend);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("could not start the server on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The models of a path: a model file, served under its name without the extension, or a
     * directory, each {@code *.safetensors} in it served under its own name. Each pass runs on
     * the thread that asks for it (the batcher, or the request's own thread without batching):
     * concurrent requests keep the cores busy, and a pool's workers would only spin between
     * the small products of a one-sample pass (measured: about 2 ms of CPU per request).
     */
    public static Map<String, InferenceModel> load(Path path) throws IOException {
        Map<String, InferenceModel> out = new LinkedHashMap<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.list(path)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList()) {
                    out.put(nameOf(f), InferenceModel.load(f, SERIAL));
                }
            }
            if (out.isEmpty()) throw new IOException(path + ": no *.safetensors model in this directory");
        } else {
            out.put(nameOf(path), InferenceModel.load(path, SERIAL));
        }
        return out;
    }

    private static String nameOf(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** The port it listens on (the one chosen when asked for 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The names of the models served. */
    public java.util.Set<String> modelNames() {
        return api.modelNames();
    }

    /** The counters behind {@code /metrics}. */
    public Metrics metrics() {
        return api.metrics();
    }

    /** Requests accepted and not yet queued for a pass nor answered (for tests). */
    int inFlight() {
        return api.inFlight();
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Graceful stop: windows cut short, no new connections, in-flight and queued requests answered. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        // Readiness false and the batching windows cut short: requests already queued run now,
        // while Jetty stops accepting and waits for every request in flight to be answered.
        api.drain();
        try {
            server.stop();
        } catch (Exception e) {
            // Stopping failed half way (a request outlived the stop timeout): the port is closed
            // all the same; nothing more to do than release the models.
        }
        api.close();
    }

    /** Reads the body within the limit and hands the request to the API. */
    private static final class ApiHandler extends Handler.Abstract {
        private final InferenceApi api;
        private final int maxBody;

        ApiHandler(InferenceApi api, int maxBody) {
            this.api = api;
            this.maxBody = maxBody;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            // Counted from here (headers read) until queued for a pass or answered: a batching
            // window waits for this request only while its body is read and parsed.
            try (InFlight.Arrival arrival = api.arrive()) {
                answer(request, response, callback, arrival);
            }
            return true;
        }

        private void answer(Request request, Response response, Callback callback, InFlight.Arrival arrival) {
            InferenceApi.Answer a;
            long declared = request.getLength();
            if (declared > maxBody) {
                a = api.refuse(new ApiError(413, null, "the body has " + declared + " bytes, more than the limit of " + maxBody));
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            } else {
                byte[] body = new byte[declared >= 0 ? (int) declared : 8192];
                int n = 0;
                boolean tooLarge = false;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    while (true) {
                        if (n == body.length) {
                            if (n >= maxBody) {
                                // Undeclared length past the limit: refuse without reading on.
                                tooLarge = in.read() >= 0;
                                break;
                            }
                            body = java.util.Arrays.copyOf(body, (int) Math.min(maxBody, 2L * body.length));
                        }
                        int r = in.read(body, n, body.length - n);
                        if (r < 0) break;
                        n += r;
                    }
                } catch (IOException | RuntimeException e) {
                    // The client stopped sending (idle timeout) or went away: answer if it can still hear.
                    a = api.refuse(new ApiError(408, null, "the request body was not received: " + e.getClass().getSimpleName()));
                    send(response, a, callback);
                    return;
                }
                if (tooLarge) {
                    a = api.refuse(new ApiError(413, null, "the body is larger than the limit of " + maxBody + " bytes"));
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                } else {
                    a = api.handle(request.getMethod(), request.getHttpURI().getPath(), body, n, arrival);
                }
            }
            send(response, a, callback);
        }

        private static void send(Response response, InferenceApi.Answer a, Callback callback) {
            response.setStatus(a.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, a.contentType());
            response.write(true, ByteBuffer.wrap(a.body()), callback);
        }
    }

    /** Jetty's own refusals (a malformed request line, a bad header) as the protocol's JSON error. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            String reason = message == null || message.isBlank() ? "HTTP " + code : message;
            byte[] body = new ApiError(code, null, reason).toJson().getBytes(StandardCharsets.UTF_8);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }
}
