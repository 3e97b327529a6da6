package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Another engine behind the same server: its answers are the ones sent, batching on or off. */
class BackendTest {
    @TempDir
    Path dir;

    /** Answers row r, column c with 1000·r' + c, where r' is the row's first feature: easy to recognise. */
    private static Backend marker(AtomicInteger opened, AtomicInteger rowsSeen) {
        return model -> {
            opened.incrementAndGet();
            int w = model.inputSize(), o = model.outputSize();
            return (x, xOff, rows, out, outOff) -> {
                rowsSeen.addAndGet(rows);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < o; c++) out[outOff + r * o + c] = 1000 * x[xOff + r * w] + c;
                }
            };
        };
    }

    @Test
    void answersComeFromTheBackend() throws Exception {
        TestModels.regressor(dir);
        Map<String, InferenceModel> models = InferenceServer.load(dir);
        for (boolean batching : new boolean[]{true, false}) {
            AtomicInteger opened = new AtomicInteger(), rows = new AtomicInteger();
            try (InferenceServer s = InferenceServer.start(models, ServerConfig.defaults().withPort(0).withBatching(batching, 100, 64),
                    marker(opened, rows))) {
                float[] x = TestModels.rows(3, 9);
                Http.Reply r = Http.post(s.port(), "/v2/models/prices/infer", Http.infer(x, 3));
                assertEquals(200, r.status(), r.body());
                List<Object> got = InferenceServerTest.output(r.body(), "output");
                float[] want = new float[6];
                for (int i = 0; i < 3; i++) for (int c = 0; c < 2; c++) want[i * 2 + c] = 1000 * x[i * 6] + c;
                InferenceServerTest.assertSameBits(want, got);
                assertEquals(3, rows.get(), "batching " + batching);
                assertTrue(opened.get() >= 1);
                // Requests are still checked against the model before the backend sees them.
                assertEquals(400, Http.post(s.port(), "/v2/models/prices/infer", Http.infer(new float[5], 1)).status());
                assertEquals(3, rows.get());
            }
        }
    }

    @Test
    void aFailingBackendIsA500AndTheServerGoesOn() throws Exception {
        TestModels.regressor(dir);
        AtomicInteger calls = new AtomicInteger();
        Backend flaky = model -> (x, xOff, rows, out, outOff) -> {
            if (calls.incrementAndGet() <= 2) throw new IllegalStateException("engine fault");
            for (int i = 0; i < rows * model.outputSize(); i++) out[outOff + i] = 7;
        };
        try (InferenceServer s = InferenceServer.start(InferenceServer.load(dir), ServerConfig.defaults().withPort(0).withBatching(true, 100, 64), flaky)) {
            // The pass fails, then the request's retry alone: a 500 naming the fault.
            Http.Reply bad = Http.post(s.port(), "/v2/models/prices/infer", Http.infer(TestModels.rows(1, 1), 1));
            assertEquals(500, bad.status(), bad.body());
            assertTrue(bad.body().contains("engine fault"), bad.body());
            Http.Reply ok = Http.post(s.port(), "/v2/models/prices/infer", Http.infer(TestModels.rows(1, 1), 1));
            assertEquals(200, ok.status(), ok.body());
            InferenceServerTest.assertSameBits(new float[]{7, 7}, InferenceServerTest.output(ok.body(), "output"));
        }
    }
}
