package dev.jgrad.cli;

import dev.jgrad.io.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against an independent implementation: Python's safetensors writes the weights, NumPy computes
 * the gradients of a tanh/softmax network by hand, and {@code jgrad grad} must agree; and
 * Python's safetensors must read a jgrad model file. Skipped where Python lacks safetensors.
 */
class PythonInteropTest {
    @TempDir
    Path dir;

    static final String SCRIPT = """
            import json, sys, numpy as np
            from safetensors.numpy import save_file, load_file
            d = sys.argv[1]
            r = np.random.default_rng(5)
            W0, b0 = r.normal(size=(4, 5)), r.normal(size=4)
            W1, b1 = r.normal(size=(3, 4)), r.normal(size=3)
            save_file({"layers.0.weight": W0, "layers.0.bias": b0, "layers.1.weight": W1, "layers.1.bias": b1}, d + "/w.safetensors")
            X = r.normal(size=(2, 5)); T = np.eye(3)[[2, 0]]
            np.savetxt(d + "/x.csv", X, delimiter=",", fmt="%.17g"); np.savetxt(d + "/t.csv", T, delimiter=",", fmt="%.17g")
            Z0 = X @ W0.T + b0; Y0 = np.tanh(Z0); Z1 = Y0 @ W1.T + b1
            P = np.exp(Z1 - Z1.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
            L = -(T * np.log(P)).sum() / 2
            D1 = (P - T) / 2; D0 = (D1 @ W1) * (1 - Y0 ** 2)
            out = {"loss": L, "layers.1.weight": (D1.T @ Y0).tolist(), "layers.1.bias": D1.sum(0).tolist(),
                   "layers.0.weight": (D0.T @ X).tolist(), "layers.0.bias": D0.sum(0).tolist(), "input": (D0 @ W0).tolist()}
            print(json.dumps(out))
            """;

    static boolean pythonHasSafetensors() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import safetensors.numpy, numpy").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void gradientsAgreeWithNumPyOnWeightsWrittenByPython() throws Exception {
        Assumptions.assumeTrue(pythonHasSafetensors(), "python3 with numpy and safetensors");
        Process p = new ProcessBuilder("python3", "-c", SCRIPT, dir.toString()).redirectErrorStream(true).start();
        String py = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), py);
        Map<String, Object> want = Json.parseObject(py.lines().reduce((a, b) -> b).orElseThrow());
        CliTest.Result r = CliTest.run("grad", "--weights", dir.resolve("w.safetensors").toString(), "--activations", "tanh,softmax",
                "--loss", "softmax_cross_entropy", "--input", dir.resolve("x.csv").toString(), "--target",
                dir.resolve("t.csv").toString(), "--precision", "double", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> got = Json.parseObject(r.out().trim());
        assertEquals(((Number) want.get("loss")).doubleValue(), ((Number) got.get("loss")).doubleValue(), 1e-13);
        Map<?, ?> grads = (Map<?, ?>) got.get("gradients");
        for (String k : List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias")) {
            assertClose(want.get(k), grads.get(k), k);
        }
        assertClose(want.get("input"), got.get("input_gradient"), "input");
    }

    @Test
    void pythonReadsAJgradModelFile() throws Exception {
        Assumptions.assumeTrue(pythonHasSafetensors(), "python3 with numpy and safetensors");
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, CliTest.run("train", "--epochs", "1", "--quiet", "--out", model.toString()).code());
        String script = "import json,sys\nfrom safetensors import safe_open\nwith safe_open(sys.argv[1], 'np') as f:\n"
                + "    print(json.dumps({'keys': sorted(f.keys()), 'w': float(f.get_tensor('layers.0.weight')[3, 7]),"
                + " 'jgrad': json.loads(f.metadata()['jgrad'])['loss']}))";
        Process p = new ProcessBuilder("python3", "-c", script, model.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        Map<String, Object> doc = Json.parseObject(out.lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(((List<?>) doc.get("keys")).contains("layers.2.bias"), out);
        assertEquals("softmax_cross_entropy", doc.get("jgrad"));
        var w = dev.jgrad.io.ModelFile.load(model).network().parameter("layers.0.weight").value();
        assertEquals(w.get(3, 7), ((Number) doc.get("w")).doubleValue(), 0);
    }

    static void assertClose(Object want, Object got, String what) {
        if (want instanceof List<?> wl) {
            List<?> gl = (List<?>) got;
            assertEquals(wl.size(), gl.size(), what);
            for (int i = 0; i < wl.size(); i++) assertClose(wl.get(i), gl.get(i), what + "[" + i + "]");
        } else {
            double w = ((Number) want).doubleValue(), g = ((Number) got).doubleValue();
            assertEquals(w, g, 1e-12 * Math.max(1, Math.abs(w)), what);
        }
    }
}
