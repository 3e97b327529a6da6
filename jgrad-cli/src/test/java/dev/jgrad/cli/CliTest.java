package dev.jgrad.cli;

import dev.jgrad.io.Json;
import dev.jgrad.io.SafeTensors;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void trainOnTheBuiltInDataThenEvalPredictInfo() throws Exception {
        Path model = dir.resolve("m.safetensors");
        Result r = run("train", "--epochs", "8", "--out", model.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 8/8") && r.out().contains("test accuracy"), r.out());
        double acc = Double.parseDouble(r.out().replaceAll("(?s).*test accuracy ([0-9.]+).*", "$1"));
        assertTrue(acc > 0.9, "test accuracy " + acc);

        Result e = run("eval", "--model", model.toString(), "--json");
        assertEquals(0, e.code(), e.err());
        Map<String, Object> doc = Json.parseObject(e.out().trim());
        assertEquals(acc, ((Number) doc.get("test_accuracy")).doubleValue(), 1e-4, "eval sees the same test split");

        Result check = run("gradcheck", "--model", model.toString(), "--sample", "10");
        assertEquals(0, check.code(), check.out() + check.err());

        Result info = run("info", "--model", model.toString());
        assertEquals(0, info.code());
        assertTrue(info.out().contains("Dense(64 → 256, relu)") && info.out().contains("10 classes"), info.out());
        assertTrue(info.out().contains("input normalisation: minmax"), info.out());

        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0\n");
        Result p = run("predict", "--model", model.toString(), "--input", csv.toString());
        assertEquals(0, p.code(), p.err());
        String[] lines = p.out().trim().split("\n");
        assertTrue(lines[0].startsWith("class,p_0,p_1"), lines[0]);
        assertEquals("0", lines[1].split(",")[0], "the first digit of the set is a 0");
    }

    @Test
    void jsonTrainingReportsEpochsAndTestMetrics() {
        Result r = run("train", "--epochs", "2", "--layers", "32:tanh", "--json", "--validation", "0.2");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> doc = Json.parseObject(r.out().trim());
        List<?> epochs = (List<?>) doc.get("epochs");
        assertEquals(2, epochs.size());
        Map<?, ?> e1 = (Map<?, ?>) epochs.getFirst();
        for (String k : List.of("seconds", "samples_per_second", "loss", "val_loss", "val_accuracy")) assertTrue(e1.containsKey(k), k);
        assertTrue(doc.containsKey("test_accuracy") && doc.containsKey("test_loss"));
        assertTrue(r.err().contains("epoch 2/2"), "progress goes to standard error with --json");
    }

    @Test
    void gradOnPlainWeightsMatchesTheHandWorkedNetwork() throws Exception {
        // The 2-3-2 relu/identity network of HandWorkedTest, written as any tool would.
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("layers.0.weight", Tensor.of(DType.F32, new double[][]{{0.1, 0.2}, {-0.3, 0.4}, {0.5, -0.6}}));
        t.put("layers.0.bias", Tensor.vector(DType.F32, 0.1, -0.1, 0.2));
        t.put("layers.1.weight", Tensor.of(DType.F32, new double[][]{{0.7, -0.8, 0.9}, {0.2, 0.3, -0.4}}));
        t.put("layers.1.bias", Tensor.vector(DType.F32, 0.05, -0.05));
        Path w = dir.resolve("w.safetensors");
        SafeTensors.write(w, t, Map.of());
        Path x = dir.resolve("x.csv"), target = dir.resolve("t.csv");
        Files.writeString(x, "1,2\n");
        Files.writeString(target, "0,1\n");
        Result r = run("grad", "--weights", w.toString(), "--activations", "relu,identity", "--loss", "mse",
                "--input", x.toString(), "--target", target.toString(), "--precision", "double", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> doc = Json.parseObject(r.out().trim());
        assertEquals(0.3393, ((Number) doc.get("loss")).doubleValue(), 1e-7);
        Map<?, ?> g = (Map<?, ?>) doc.get("gradients");
        List<?> w1 = (List<?>) g.get("layers.1.weight");
        assertEquals(-0.486, ((Number) ((List<?>) w1.get(1)).get(0)).doubleValue(), 1e-7);
        List<?> b0 = (List<?>) g.get("layers.0.bias");
        assertEquals(-0.363, ((Number) b0.get(1)).doubleValue(), 1e-7);
        List<?> dx = (List<?>) ((List<?>) doc.get("input_gradient")).getFirst();
        assertEquals(0.1032, ((Number) dx.get(0)).doubleValue(), 1e-7);
        assertEquals(-0.1566, ((Number) dx.get(1)).doubleValue(), 1e-7);

        Path imported = dir.resolve("imported.safetensors");
        Result imp = run("import", "--weights", w.toString(), "--activations", "relu,identity", "--loss", "mse", "--out", imported.toString());
        assertEquals(0, imp.code(), imp.err());
        Result viaModel = run("grad", "--model", imported.toString(), "--input", x.toString(), "--target", target.toString(),
                "--precision", "double", "--json");
        assertEquals(0, viaModel.code(), viaModel.err());
        assertEquals(r.out(), viaModel.out());
    }

    @Test
    void gradcheckAndExplain() throws Exception {
        Result g = run("gradcheck", "--layers", "6:tanh,5:gelu", "--input-size", "4", "--outputs", "3");
        assertEquals(0, g.code(), g.out() + g.err());
        assertTrue(g.out().contains("layers.2.weight") && g.out().contains("PASSED"), g.out());

        Path page = dir.resolve("explain.html");
        Result e = run("explain", "--html", page.toString());
        assertEquals(0, e.code(), e.out() + e.err());
        for (String s : List.of("z = W x + b", "∇_y L", "f'(z)", "δ = ∇_y L ⊙ f'(z)", "dL/dW = δ xᵀ", "dL/db = δ", "dL/dx = Wᵀ δ",
                "finite differences agree")) {
            assertTrue(e.out().contains(s), "explain shows " + s + "\n" + e.out());
        }
        String html = Files.readString(page);
        assertTrue(html.contains("<math") && html.contains("<svg") && html.contains("finite differences agree"));

        Result soft = run("explain", "--layers", "3:tanh,2:softmax", "--loss", "softmax_cross_entropy", "--target", "1");
        assertEquals(0, soft.code(), soft.out() + soft.err());
        assertTrue(soft.out().contains("softmax fused with cross-entropy"), soft.out());
    }

    @Test
    void reportHasCurvesConfusionMatrixAndMisclassifiedImages() throws Exception {
        Path report = dir.resolve("run.html");
        Result r = run("train", "--epochs", "3", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(report);
        for (String s : List.of("Loss per epoch", "Accuracy per epoch", "Confusion matrix", "Per-class metrics",
                "Misclassified examples", "data:image/png;base64,", "Configuration", "<polyline")) {
            assertTrue(html.contains(s), "report has " + s);
        }
        assertTrue(!html.contains("http://") || html.replace("http://www.w3.org/2000/svg", "").indexOf("http://") < 0,
                "nothing is fetched from the network");
    }

    @Test
    void resumeContinuesToTheSameModel() throws Exception {
        Path full = dir.resolve("full.safetensors"), part = dir.resolve("part.safetensors"), ck = dir.resolve("ck");
        assertEquals(0, run("train", "--epochs", "4", "--dropout", "0.2", "--quiet", "--out", full.toString()).code());
        assertEquals(0, run("train", "--epochs", "2", "--dropout", "0.2", "--quiet", "--checkpoint-dir", ck.toString()).code());
        Result r = run("train", "--epochs", "4", "--dropout", "0.2", "--quiet", "--resume", ck.resolve("last.safetensors").toString(),
                "--out", part.toString());
        assertEquals(0, r.code(), r.err());
        var a = SafeTensors.read(full).tensors();
        var b = SafeTensors.read(part).tensors();
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), k);
    }

    @Test
    void exitCodesAndMessages() throws Exception {
        Result usage = run("train", "--epochz", "3");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("--epochz"), usage.err());
        assertEquals(2, run().code());
        Result missing = run("eval", "--model", dir.resolve("nope.safetensors").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "a,b,label\n1,2,x\n3,zz,y\n1,1,x\n");
        Result data = run("train", "--data", bad.toString(), "--epochs", "1");
        assertEquals(1, data.code());
        assertTrue(data.err().contains("bad.csv") && data.err().contains("record 2") && data.err().contains("field 'b'"), data.err());
        Result layers = run("train", "--layers", "abc");
        assertEquals(2, layers.code(), layers.err());
        // Help is written to the command's writer only: nothing may reach System.err on the side.
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String cmd : List.of("train", "eval", "predict", "info", "grad", "import", "gradcheck", "explain")) {
                Result h = run(cmd, "--help");
                assertEquals(0, h.code(), cmd);
                assertTrue(h.out().contains("Usage: jgrad " + cmd), h.out());
            }
        } finally {
            System.setErr(stderr);
        }
        String warned = warnings.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("", warned);
    }

    @Test
    void unknownNamesFailBeforeTheDataLoadsWithTheLibrarysMessage() {
        String absent = dir.resolve("absent.csv").toString();
        Result opt = run("train", "--optimizer", "lbfgs", "--data", absent);
        assertEquals(1, opt.code());
        assertEquals("jgrad train: unknown optimizer 'lbfgs' (known: sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad)",
                opt.err().trim());
        Result norm = run("train", "--normalize", "zscore", "--data", absent);
        assertEquals(1, norm.code());
        assertEquals("jgrad train: unknown normalisation 'zscore' (known: none, pixels, minmax, standard)", norm.err().trim());
    }

    @Test
    void csvClassificationAndRegression() throws Exception {
        Path csv = dir.resolve("xor.csv");
        StringBuilder sb = new StringBuilder("x1,x2,y,kind\n");
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < 400; i++) {
            double a = rnd.nextDouble() * 2 - 1, b = rnd.nextDouble() * 2 - 1;
            sb.append(String.format("%.4f,%.4f,%.4f,%s%n", a, b, a * a + b, a * b > 0 ? "same" : "diff"));
        }
        Files.writeString(csv, sb.toString());
        Result c = run("train", "--data", csv.toString(), "--label", "kind", "--layers", "16:tanh,16:tanh", "--epochs", "60",
                "--lr", "0.01", "--batch", "32", "--json", "--validation", "0.25");
        assertEquals(0, c.code(), c.err());
        Map<String, Object> doc = Json.parseObject(c.out().trim());
        List<?> epochs = (List<?>) doc.get("epochs");
        double valAcc = ((Number) ((Map<?, ?>) epochs.getLast()).get("val_accuracy")).doubleValue();
        assertTrue(valAcc > 0.85, "xor-like classes, validation accuracy " + valAcc);

        Path reg = dir.resolve("reg.csv");
        Files.writeString(reg, sb.toString().lines().map(l -> l.substring(0, l.lastIndexOf(','))).reduce("", (a, b2) -> a + b2 + "\n"));
        Path model = dir.resolve("reg.safetensors");
        Result g = run("train", "--data", reg.toString(), "--label", "y", "--task", "regression", "--layers", "16:tanh",
                "--epochs", "40", "--lr", "0.01", "--batch", "32", "--out", model.toString(), "--quiet");
        assertEquals(0, g.code(), g.err());
        Result info = run("info", "--model", model.toString());
        assertTrue(info.out().contains("regression"), info.out());
        Result ev = run("eval", "--model", model.toString(), "--data", reg.toString(), "--label", "y", "--json");
        assertEquals(0, ev.code(), ev.err());
        double mae = ((Number) Json.parseObject(ev.out().trim()).get("test_mae")).doubleValue();
        assertTrue(mae < 0.15, "y = x1² + x2 is learnt: MAE " + mae);
    }
}
