package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;
import dev.jgrad.infer.Predictor;
import dev.jgrad.io.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceServerTest {
    @TempDir
    static Path dir;
    static InferenceServer server;
    static int port;
    static InferenceModel animals;

    @BeforeAll
    static void start() throws Exception {
        TestModels.classifier(dir);
        TestModels.regressor(dir);
        Map<String, InferenceModel> models = InferenceServer.load(dir);
        animals = models.get("animals");
        // A window long enough that concurrent requests surely meet in one pass.
        server = InferenceServer.start(models, ServerConfig.defaults().withPort(0).withBatching(true, 3000, 64)
                .withLimits(64 * 1024, 100, 30_000));
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @SuppressWarnings("unchecked")
    static List<Object> output(String body, String name) {
        Map<String, Object> m = Json.parseObject(body);
        for (Object o : (List<Object>) m.get("outputs")) {
            Map<String, Object> t = (Map<String, Object>) o;
            if (t.get("name").equals(name)) return (List<Object>) t.get("data");
        }
        throw new AssertionError("no output " + name + " in " + body);
    }

    /** Each answered value must be the predictor's float, to the bit. */
    static void assertSameBits(float[] want, List<Object> got) {
        assertEquals(want.length, got.size());
        for (int i = 0; i < want.length; i++) {
            // The answer prints Float.toString's digits, which read back to the same float.
            float g = Float.parseFloat(got.get(i).toString());
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(g), "value " + i);
        }
    }

    @Test
    void healthAndMetadata() throws Exception {
        assertEquals(200, Http.get(port, "/v2/health/live").status());
        assertEquals(200, Http.get(port, "/v2/health/ready").status());
        Http.Reply meta = Http.get(port, "/v2/models/animals");
        assertEquals(200, meta.status());
        Map<String, Object> m = Json.parseObject(meta.body());
        assertEquals("animals", m.get("name"));
        assertTrue(meta.body().contains("\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,6]}]"), meta.body());
        assertTrue(meta.body().contains("\"label\""), meta.body());
        assertTrue(Http.get(port, "/v2/models/prices").body().contains("{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":[-1,2]}"));
        assertEquals(200, Http.get(port, "/v2/models/animals/versions/1/ready").status());
        assertEquals(200, Http.get(port, "/v2").status());
    }

    @Test
    void answersAreThePredictorsBitsWithLabels() throws Exception {
        float[] x = TestModels.rows(5, 9);
        Http.Reply r = Http.post(port, "/v2/models/animals/infer", Http.infer(x, 5));
        assertEquals(200, r.status(), r.body());
        Predictor p = animals.predictor();
        assertSameBits(p.predict(x, 5), output(r.body(), "probabilities"));
        List<Object> labels = output(r.body(), "label");
        for (int i = 0; i < 5; i++) {
            int c = p.classify(java.util.Arrays.copyOfRange(x, i * 6, i * 6 + 6));
            assertEquals(animals.classNames().get(c), labels.get(i));
        }
        assertEquals("t", Json.parseObject(r.body()).get("id"));
        // One sample shaped [6], rows as nested lists, and only the label asked for.
        Http.Reply one = Http.post(port, "/v2/models/animals/versions/1/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[6],\"data\":[1,2,3,4,5,6]}]}");
        assertSameBits(p.predict(new float[]{1, 2, 3, 4, 5, 6}), output(one.body(), "probabilities"));
        Http.Reply nested = Http.post(port, "/v2/models/animals/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[2,6],\"data\":[[1,2,3,4,5,6],[6,5,4,3,2,1e-3]]}],"
                        + "\"outputs\":[{\"name\":\"label\"}]}");
        assertEquals(200, nested.status(), nested.body());
        assertFalse(nested.body().contains("probabilities"));
        Http.Reply reg = Http.post(port, "/v2/models/prices/infer", Http.infer(x, 5));
        assertSameBits(TestModels.load(dir.resolve("prices.safetensors")).predictor().predict(x, 5), output(reg.body(), "output"));
    }

    @Test
    void concurrentRequestsAreBatchedAndKeepTheirOwnBits() throws Exception {
        int clients = 24;
        float[][] inputs = new float[clients][];
        for (int c = 0; c < clients; c++) inputs[c] = TestModels.rows(1 + c % 3, 100 + c);
        long passesBefore = batchPasses();
        // A window waits only for requests in flight, and these may reach the server one at a
        // time: a request whose body is still coming holds each window open to its end, so that
        // the others surely meet.
        String slowBody = Http.infer(inputs[0], 1);
        try (Socket slow = new Socket("127.0.0.1", port); ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            slow.setSoTimeout(20_000);
            OutputStream out = slow.getOutputStream();
            out.write(("POST /v2/models/animals/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                    + slowBody.length() + "\r\n\r\n" + slowBody.substring(0, 10)).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (server.inFlight() == 0 && System.nanoTime() < end) Thread.sleep(5);
            List<Future<Http.Reply>> replies = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                float[] x = inputs[c];
                replies.add(pool.submit(() -> Http.post(port, "/v2/models/animals/infer", Http.infer(x, x.length / 6))));
            }
            Predictor p = animals.predictor();
            for (int c = 0; c < clients; c++) {
                Http.Reply r = replies.get(c).get();
                assertEquals(200, r.status(), r.body());
                assertSameBits(p.predict(inputs[c], inputs[c].length / 6), output(r.body(), "probabilities"));
            }
            out.write(slowBody.substring(10).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String reply = new String(slow.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
            assertSameBits(p.predict(inputs[0], 1), output(reply.substring(reply.indexOf("\r\n\r\n") + 4), "probabilities"));
        }
        long passes = batchPasses() - passesBefore;
        assertTrue(passes < clients, clients + " requests took " + passes + " forward passes: nothing was merged");
        String metrics = Http.get(port, "/metrics").body();
        assertTrue(metrics.contains("jgrad_inference_latency_seconds_bucket{model=\"animals\",le=\"+Inf\"}"), metrics);
        assertTrue(metrics.contains("# TYPE jgrad_batch_rows histogram"), metrics);
    }

    private static long batchPasses() throws Exception {
        for (String line : Http.get(port, "/metrics").body().split("\n")) {
            if (line.startsWith("jgrad_batch_rows_count{model=\"animals\"}")) return Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
        }
        return 0;
    }

    /** A request, the status and field expected. */
    record Bad(String what, String path, String body, int status, String field) {
    }

    @Test
    void badRequestsGetTheProtocolsErrorAndTheServerKeepsServing() throws Exception {
        String ok = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,6],\"data\":[1,2,3,4,5,6]}]}";
        String infer = "/v2/models/animals/infer";
        List<Bad> bad = List.of(
                new Bad("wrong width", infer, ok.replace("[1,6]", "[1,5]").replace("5,6]", "5]"), 400, "inputs[0].shape"),
                new Bad("shape and data disagree", infer, ok.replace("[1,6]", "[2,6]"), 400, "inputs[0].data"),
                new Bad("rank 3", infer, ok.replace("[1,6]", "[1,1,6]"), 400, "inputs[0].shape"),
                new Bad("fractional shape", infer, ok.replace("[1,6]", "[1,6.5]"), 400, "inputs[0].shape"),
                new Bad("wrong datatype", infer, ok.replace("FP32", "INT64"), 400, "inputs[0].datatype"),
                new Bad("infinite in FP32", infer, ok.replace("4,5", "4,1e39"), 400, "inputs[0].data[4]"),
                new Bad("NaN (not JSON)", infer, ok.replace("4,5", "4,NaN"), 400, null),
                new Bad("a string among numbers", infer, ok.replace("4,5", "4,\"5\""), 400, "inputs[0].data[4]"),
                new Bad("null among numbers", infer, ok.replace("4,5", "4,null"), 400, "inputs[0].data[4]"),
                new Bad("no inputs", infer, "{\"id\":\"x\"}", 400, "inputs"),
                new Bad("no data", infer, ok.replace(",\"data\":[1,2,3,4,5,6]", ""), 400, "inputs[0].data"),
                new Bad("no datatype", infer, ok.replace("\"datatype\":\"FP32\",", ""), 400, "inputs[0].datatype"),
                new Bad("wrong input name", infer, ok.replace("\"input\"", "\"x\""), 400, "inputs[0].name"),
                new Bad("two inputs", infer, ok.replace("}]}", "},{}]}"), 400, "inputs"),
                new Bad("unknown output", infer, ok.replace("]}]}", "]}],\"outputs\":[{\"name\":\"z\"}]}"), 400, "outputs[0].name"),
                new Bad("too many rows", infer, Http.infer(new float[101 * 6], 101), 400, "inputs[0].shape"),
                new Bad("malformed JSON", infer, "{\"inputs\":[{\"name\":", 400, null),
                new Bad("trailing text", infer, ok + "x", 400, null),
                new Bad("not an object", infer, "[1,2]", 400, null),
                new Bad("nested too deep", infer, "[".repeat(5000), 400, null),
                new Bad("unknown model", "/v2/models/zebra/infer", ok, 404, "model_name"),
                new Bad("unknown version", "/v2/models/animals/versions/7/infer", ok, 404, "version"),
                new Bad("unknown route", "/v3/x", ok, 404, null),
                new Bad("oversized body", infer, ok.replace("[1,2,3,4,5,6]", "[1,2,3,4,5," + "0".repeat(70_000) + "6]"), 413, null));
        for (Bad b : bad) {
            // Each on a connection of its own: the server may close one after a bad request, and a
            // pooled connection it closed would fail the next request before it is sent.
            Http.Reply r = Http.postOnNewConnection(port, b.path(), b.body());
            assertEquals(b.status(), r.status(), b.what() + ": " + r.body());
            assertTrue(r.contentType().startsWith("application/json"), b.what() + ": " + r.contentType());
            Map<String, Object> e = Json.parseObject(r.body());
            assertTrue(e.get("error") instanceof String s && !s.isBlank(), b.what() + ": " + r.body());
            assertEquals(b.field(), e.get("field"), b.what() + ": " + r.body());
            assertFalse(r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains(".java:"), b.what() + ": " + r.body());
            // Still serving.
            assertEquals(200, Http.post(port, infer, ok).status(), "after " + b.what());
        }
        assertEquals(405, Http.get(port, infer).status());
    }

    @Test
    void garbledHttpIsAnsweredInJsonToo() throws Exception {
        for (String garbled : List.of("GET / HTTP/9.9\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n",
                "POST /v2/models/animals/infer HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(garbled.getBytes(StandardCharsets.ISO_8859_1));
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(reply.matches("(?s)HTTP/1.1 (4\\d\\d|505) .*"), reply);
                assertTrue(reply.contains("{\"error\":"), reply);
                assertFalse(reply.contains("<html") || reply.contains("\tat "), reply);
            }
        }
    }

    @Test
    void noRequestStaysCountedInFlight() throws Exception {
        // A window of 20 s: a request counted in flight that never leaves would make every
        // later request wait it out, and this test take minutes.
        try (InferenceServer s = InferenceServer.start(InferenceServer.load(dir.resolve("animals.safetensors")),
                ServerConfig.defaults().withPort(0).withBatching(true, 20_000_000L, 64).withLimits(4096, 100, 30_000))) {
            int p = s.port();
            String infer = "/v2/models/animals/infer", ok = Http.infer(new float[6], 1);
            long start = System.nanoTime();
            assertEquals(200, Http.post(p, infer, ok).status());
            assertEquals(400, Http.post(p, infer, "{\"inputs\":[{\"name\":").status());
            assertEquals(400, Http.post(p, infer, ok.replace("[1,6]", "[1,5]")).status());
            assertEquals(404, Http.post(p, "/v2/models/zebra/infer", ok).status());
            assertEquals(405, Http.get(p, infer).status());
            assertEquals(200, Http.get(p, "/metrics").status());
            assertEquals(413, Http.postOnNewConnection(p, infer, ok.replace("[0.0,", "[" + "0".repeat(5000) + ",")).status());
            // A client that goes away half way through its body.
            try (Socket gone = new Socket("127.0.0.1", p)) {
                gone.getOutputStream().write(("POST " + infer + " HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n{\"inp")
                        .getBytes(StandardCharsets.ISO_8859_1));
                gone.getOutputStream().flush();
                Thread.sleep(200);
            }
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (s.inFlight() > 0 && System.nanoTime() < end) Thread.sleep(10);
            assertEquals(0, s.inFlight(), "requests still counted in flight");
            for (int i = 0; i < 3; i++) assertEquals(200, Http.post(p, infer, ok).status());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 10, "took " + seconds + " s: a request waited out the 20 s window");
        }
    }

    @Test
    void aSlowClientIsCutOffWhileOthersAreServed() throws Exception {
        // A server of its own with a short idle timeout; the others connect afresh each time.
        try (InferenceServer quick = InferenceServer.start(InferenceServer.load(dir.resolve("animals.safetensors")),
                ServerConfig.defaults().withPort(0).withLimits(64 * 1024, 100, 700))) {
            slowClient(quick.port());
        }
    }

    private static void slowClient(int port) throws Exception {
        try (Socket slow = new Socket("127.0.0.1", port)) {
            slow.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            out.write(("POST /v2/models/animals/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 200\r\n\r\n{\"inputs\":").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long start = System.nanoTime();
            // Meanwhile everyone else is answered.
            for (int i = 0; i < 5; i++) {
                assertEquals(200, Http.postOnNewConnection(port, "/v2/models/animals/infer", Http.infer(new float[6], 1)).status());
            }
            InputStream in = slow.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            double seconds = (System.nanoTime() - start) / 1e9;
            // Cut off after the 0.7 s idle timeout: closed, with a 408 if the client still listens.
            assertTrue(seconds < 8, "held for " + seconds + " s");
            assertTrue(reply.isEmpty() || reply.startsWith("HTTP/1.1 408"), reply);
        }
        assertEquals(200, Http.postOnNewConnection(port, "/v2/models/animals/infer", Http.infer(new float[6], 1)).status());
    }
}
