package dev.jgrad.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jgrad.data.IdxReader;
import dev.jgrad.infer.InferenceModel;
import dev.jgrad.serve.InferenceApi;
import dev.jgrad.serve.InferenceServer;
import dev.jgrad.serve.ServerConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The Java side of scripts/serve-bench.sh.
 * <ul>
 *   <li>{@code request DIR N OUT}: writes the inference request of test image N of the
 *       Fashion-MNIST files in DIR (784 raw pixel values, one sample) to OUT;</li>
 *   <li>{@code jdk MODEL PORT on|off}: serves MODEL with the same protocol and batching as
 *       {@code jgrad serve}, over the JDK's own {@code com.sun.net.httpserver} on virtual
 *       threads: the peer Jetty was chosen against;</li>
 *   <li>{@code ort MODEL PORT on|off [WINDOW_US]}: serves MODEL with {@code jgrad serve}'s own
 *       Jetty server, protocol and batching, the answers computed by ONNX Runtime from the
 *       model exported by jgrad ({@link OrtBackend}): the in-process peer. Needs ONNX Runtime on
 *       the class path (docs/ONNX.md). Before serving it prints ONNX Runtime's providers and
 *       thread settings and the largest difference from jgrad's answers over 1,000 test rows.</li>
 * </ul>
 */
public final class ServeBench {
    private ServeBench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "request" -> request(Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
            case "jdk" -> jdk(Path.of(args[1]), Integer.parseInt(args[2]), args[3].equals("on"));
            case "ort" -> ort(Path.of(args[1]), Integer.parseInt(args[2]), args[3].equals("on"),
                    args.length > 4 ? Long.parseLong(args[4]) : ServerConfig.defaults().batchWindowMicros());
            default -> {
                System.err.println("usage: ServeBench request DIR N OUT | jdk MODEL PORT on|off | ort MODEL PORT on|off [WINDOW_US]");
                System.exit(2);
            }
        }
    }

    private static void request(Path dir, int n, Path out) throws IOException {
        var data = IdxReader.readTestSet(dir);
        StringBuilder sb = new StringBuilder("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,784],\"data\":[");
        for (int j = 0; j < 784; j++) sb.append(j > 0 ? "," : "").append((int) data.features().get(n * 784 + j));
        Files.writeString(out, sb.append("]}]}").toString());
    }

    private static void jdk(Path model, int port, boolean batching) throws IOException {
        Map<String, InferenceModel> models = InferenceServer.load(model);
        ServerConfig config = ServerConfig.defaults().withPort(port).withBatching(batching, 200, 256);
        InferenceApi api = InferenceApi.open(models, config);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> handle(api, config.maxBodyBytes(), ex));
        server.start();
        System.out.println("jdk HttpServer listening on " + port + ", batching " + (batching ? "on" : "off"));
    }

    private static void ort(Path model, int port, boolean batching, long windowMicros) throws Exception {
        Map<String, InferenceModel> models = InferenceServer.load(model);
        OrtBackend ort = new OrtBackend(model);
        System.out.println(ort.settings());
        for (InferenceModel m : models.values()) System.out.println("largest |ONNX Runtime - jgrad| over 1,000 rows: " + difference(ort, m));
        ServerConfig config = ServerConfig.defaults().withPort(port).withBatching(batching, windowMicros, ServerConfig.defaults().maxBatchRows());
        InferenceServer server = InferenceServer.start(models, config, ort);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("Jetty with ONNX Runtime listening on " + port + ", batching " + (batching ? "on, window " + windowMicros + " us" : "off"));
        server.join();
    }

    /** The largest difference between the two engines' answers over 1,000 rows of pixel-like values. */
    private static double difference(OrtBackend ort, InferenceModel m) {
        int rows = 1000, w = m.inputSize(), o = m.outputSize();
        float[] x = new float[rows * w];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(256);
        float[] a = new float[rows * o];
        ort.open(m).predict(x, 0, rows, a, 0);
        float[] b = m.predict(x, rows);
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        return worst;
    }

    private static void handle(InferenceApi api, int max, HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(max + 1);
            }
            InferenceApi.Answer a = body.length > max
                    ? api.refuse(new dev.jgrad.serve.ApiError(413, null, "body over " + max + " bytes"))
                    : api.handle(ex.getRequestMethod(), ex.getRequestURI().getPath(), body, body.length);
            ex.getResponseHeaders().set("Content-Type", a.contentType());
            ex.sendResponseHeaders(a.status(), a.body().length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(a.body());
            }
        }
    }
}
