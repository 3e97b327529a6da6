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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * {@code jgrad serve} in a process of its own: SIGTERM while requests are in flight (held in a
 * long batching window, queued for a pass not yet started) stops accepting, still answers them,
 * and exits 0.
 */
class ServeStopTest {
    @TempDir
    Path dir;

    @Test
    void sigtermFinishesInFlightRequestsAndExitsZero() throws Exception {
        Sequential net = Sequential.builder(4).seed(1).dense(8, Activations.RELU).dense(2, Activations.SOFTMAX).build();
        Path model = dir.resolve("tiny.safetensors");
        Normalizer none = Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 4)));
        ModelFile.save(model, new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, none, List.of("no", "yes"), null));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.jgrad.cli.Main",
                "serve", "--model", model.toString(), "--port", "0", "--batch-window-us", "3000000"));
        Path log = dir.resolve("log.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = awaitPort(p, log);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI infer = URI.create("http://127.0.0.1:" + port + "/v2/models/tiny/infer");
            // A first request opens the connection and warms the server up, so the second is
            // surely inside the handler, waiting for its batch, when the signal comes.
            URI live = URI.create("http://127.0.0.1:" + port + "/v2/health/live");
            assertEquals(200, client.send(HttpRequest.newBuilder(live).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            String body = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}";
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(infer)
                    .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(1000);
            p.destroy(); // SIGTERM
            HttpResponse<String> r = inFlight.get(20, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"label\""), r.body());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "still running after SIGTERM");
            assertEquals(0, p.exitValue(), Files.readString(log));
            HttpClient fresh = HttpClient.newHttpClient();
            assertThrows(ConnectException.class, () -> fresh.send(HttpRequest.newBuilder(infer)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void sigtermAnswersRequestsQueuedForAPassBeforeExiting() throws Exception {
        Sequential net = Sequential.builder(4).seed(2).dense(8, Activations.RELU).dense(3, Activations.SOFTMAX).build();
        Path model = dir.resolve("queued.safetensors");
        Normalizer none = Normalizer.fit(Normalizer.Kind.NONE, new FloatTensor(Shape.of(1, 4)));
        ModelFile.save(model, new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, none, List.of("a", "b", "c"), null));
        // A window of a minute: the requests below wait in the batcher, none started, until
        // shutdown ends the window.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.jgrad.cli.Main",
                "serve", "--model", model.toString(), "--port", "0", "--batch-window-us", "60000000"));
        Path log = dir.resolve("queued-log.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = awaitPort(p, log);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI infer = URI.create("http://127.0.0.1:" + port + "/v2/models/queued/infer");
            URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
            int n = 5;
            float[][] x = new float[n][];
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                x[i] = new float[]{i, 1 - i, 0.5f * i, 3};
                String body = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":["
                        + x[i][0] + "," + x[i][1] + "," + x[i][2] + "," + x[i][3] + "]}]}";
                inFlight.add(client.sendAsync(HttpRequest.newBuilder(infer).timeout(Duration.ofSeconds(40))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            // Every request has been read and queued for a pass that has not started.
            Pattern queued = Pattern.compile("(?m)^jgrad_batch_queued_requests\\{model=\"queued\"} (\\d+)$");
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int waiting = 0;
            while (waiting < n && System.nanoTime() < end) {
                Matcher m = queued.matcher(client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body());
                waiting = m.find() ? Integer.parseInt(m.group(1)) : 0;
                if (waiting < n) Thread.sleep(50);
            }
            assertEquals(n, waiting, "requests queued before the signal");
            for (var f : inFlight) assertTrue(!f.isDone(), "a request was answered before the window ended");
            p.destroy(); // SIGTERM
            dev.jgrad.infer.Predictor alone = dev.jgrad.infer.InferenceModel.load(model).predictor();
            for (int i = 0; i < n; i++) {
                HttpResponse<String> r = inFlight.get(i).get(40, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                float[] want = alone.predict(x[i]);
                @SuppressWarnings("unchecked")
                List<Object> outputs = (List<Object>) dev.jgrad.io.Json.parseObject(r.body()).get("outputs");
                @SuppressWarnings("unchecked")
                List<Object> got = (List<Object>) ((java.util.Map<String, Object>) outputs.get(0)).get("data");
                for (int k = 0; k < want.length; k++) {
                    assertEquals(Float.floatToIntBits(want[k]), Float.floatToIntBits(Float.parseFloat(got.get(k).toString())),
                            "request " + i + ", value " + k);
                }
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "still running after SIGTERM");
            assertEquals(0, p.exitValue(), Files.readString(log));
            HttpClient fresh = HttpClient.newHttpClient();
            assertThrows(ConnectException.class, () -> fresh.send(HttpRequest.newBuilder(metrics).build(),
                    HttpResponse.BodyHandlers.ofString()));
        } finally {
            p.destroyForcibly();
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
