package dev.jgrad.cli;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jgrad serve} in a process of its own: SIGTERM while requests are in flight (queued in a
 * long batching window that waits for one whose body is still coming) stops accepting, still
 * answers them, refuses the one it can no longer read with a 408, and exits 0.
 */
class ServeStopTest {
    @TempDir
    Path dir;

    /** A {@code jgrad serve} process, its model file, its log and its port. */
    private record Served(Process process, Path model, Path log, int port) {
        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }
    }

    /** Serves a small classifier (4 features, these classes) with this batching window. */
    private Served serve(String name, int seed, List<String> classes, long windowMicros) throws IOException, InterruptedException {
        Sequential net = Sequential.builder(4).seed(seed).dense(8, Activations.RELU).dense(classes.size(), Activations.SOFTMAX).build();
        Path model = dir.resolve(name + ".safetensors");
        Normalizer none = Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 4)));
        ModelFile.save(model, new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, none, classes, null));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.jgrad.cli.Main",
                "serve", "--model", model.toString(), "--port", "0", "--batch-window-us", Long.toString(windowMicros)));
        Path log = dir.resolve(name + "-log.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            return new Served(p, model, log, awaitPort(p, log));
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            p.destroyForcibly();
            throw e;
        }
    }

    private static String inferBody(float[] x) {
        StringBuilder sb = new StringBuilder("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[");
        for (int i = 0; i < x.length; i++) sb.append(i > 0 ? "," : "").append(x[i]);
        return sb.append("]}]}").toString();
    }

    /**
     * A request on a socket of its own, its body sent only in part: the server has accepted it
     * and is reading it (in flight), and a batching window waits for it.
     */
    private static Socket beginRequest(Served s, String path, String body) throws IOException {
        Socket socket = new Socket("127.0.0.1", s.port());
        socket.setSoTimeout(40_000);
        socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10)).getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    /** The answer's values, each to be the predictor's float to the bit. */
    private static void assertSameBits(float[] want, String answer, String what) {
        @SuppressWarnings("unchecked")
        List<Object> outputs = (List<Object>) dev.jgrad.io.Json.parseObject(answer).get("outputs");
        @SuppressWarnings("unchecked")
        List<Object> got = (List<Object>) ((java.util.Map<String, Object>) outputs.get(0)).get("data");
        for (int k = 0; k < want.length; k++) {
            assertEquals(Float.floatToIntBits(want[k]), Float.floatToIntBits(Float.parseFloat(got.get(k).toString())), what + ", value " + k);
        }
    }

    /** After SIGTERM: exits 0 and no longer accepts connections. */
    private static void assertStoppedCleanly(Served s) throws Exception {
        assertTrue(s.process().waitFor(30, TimeUnit.SECONDS), "still running after SIGTERM");
        assertEquals(0, s.process().exitValue(), Files.readString(s.log()));
        HttpClient fresh = HttpClient.newHttpClient();
        assertThrows(ConnectException.class, () -> fresh.send(HttpRequest.newBuilder(s.uri("/v2/health/live")).build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void sigtermRefusesARequestWhoseBodyIsStillComingWith408AndExitsZero() throws Exception {
        Served s = serve("tiny", 1, List.of("no", "yes"), 200);
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // A first request warms the server up, so the next is surely inside the handler,
            // reading its body, when the signal comes.
            assertEquals(200, client.send(HttpRequest.newBuilder(s.uri("/v2/health/live")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            try (Socket reading = beginRequest(s, "/v2/models/tiny/infer", inferBody(new float[]{1, 2, 3, 4}))) {
                Thread.sleep(1000);
                s.process().destroy(); // SIGTERM
                // The rest of its body will not be read: a clean refusal, not a wait for the stop timeout.
                String reply = new String(reading.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(reply.startsWith("HTTP/1.1 408"), reply);
                assertTrue(reply.contains("{\"error\":"), reply);
            }
            assertStoppedCleanly(s);
        } finally {
            s.process().destroyForcibly();
        }
    }

    @Test
    void sigtermAnswersRequestsQueuedForAPassBeforeExiting() throws Exception {
        // A window of a minute, and a request whose body is still coming: the requests below
        // wait for it in the batcher, none started, until shutdown ends the window.
        Served s = serve("queued", 2, List.of("a", "b", "c"), 60_000_000);
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI infer = s.uri("/v2/models/queued/infer");
            try (Socket slow = beginRequest(s, "/v2/models/queued/infer", inferBody(new float[]{7, 1, 0, 2}))) {
                int n = 5;
                float[][] x = new float[n][];
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    x[i] = new float[]{i, 1 - i, 0.5f * i, 3};
                    inFlight.add(client.sendAsync(HttpRequest.newBuilder(infer).timeout(Duration.ofSeconds(40))
                            .POST(HttpRequest.BodyPublishers.ofString(inferBody(x[i]))).build(), HttpResponse.BodyHandlers.ofString()));
                }
                // Every request has been read and queued for a pass that has not started.
                Pattern queued = Pattern.compile("(?m)^jgrad_batch_queued_requests\\{model=\"queued\"} (\\d+)$");
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int waiting = 0;
                while (waiting < n && System.nanoTime() < end) {
                    Matcher m = queued.matcher(client.send(HttpRequest.newBuilder(s.uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
                    waiting = m.find() ? Integer.parseInt(m.group(1)) : 0;
                    if (waiting < n) Thread.sleep(50);
                }
                assertEquals(n, waiting, "requests queued before the signal");
                for (var f : inFlight) assertTrue(!f.isDone(), "a request was answered before the window ended");
                s.process().destroy(); // SIGTERM
                dev.jgrad.infer.Predictor alone = dev.jgrad.infer.InferenceModel.load(s.model()).predictor();
                for (int i = 0; i < n; i++) {
                    HttpResponse<String> r = inFlight.get(i).get(40, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode(), r.body());
                    assertSameBits(alone.predict(x[i]), r.body(), "request " + i);
                }
                String unread = new String(slow.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(unread.startsWith("HTTP/1.1 408"), unread);
            }
            assertStoppedCleanly(s);
        } finally {
            s.process().destroyForcibly();
        }
    }

    @Test
    void aMissingModelIsOneLineAndExitOne() {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        int code = Main.run(new String[]{"serve", "--model", dir.resolve("nope.safetensors").toString(), "--port", "0"},
                new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertEquals(1, code);
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("nope.safetensors"), err.toString());
    }

    private static int awaitPort(Process p, Path log) throws IOException, InterruptedException {
        Pattern listening = Pattern.compile("listening on http://[^:]+:(\\d+)");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            if (!p.isAlive()) throw new AssertionError("jgrad serve ended: " + Files.readString(log));
            Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) return Integer.parseInt(m.group(1));
            Thread.sleep(100);
        }
        throw new AssertionError("jgrad serve did not start: " + Files.readString(log));
    }
}
