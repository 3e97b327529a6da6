package dev.jgrad.cli;

import dev.jgrad.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.jgrad.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jgrad export} and {@code jgrad import model.onnx}: a trained model goes out and comes
 * back, and {@code info}, {@code eval} and {@code predict} treat the imported model as any other.
 */
class OnnxCliTest {
    @TempDir
    Path dir;

    static final String DIGIT = "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0\n";

    @Test
    void exportThenImportGivesTheSameModel() throws Exception {
        Path model = dir.resolve("m.safetensors");
        CliTest.Result t = run("train", "--epochs", "2", "--layers", "32:gelu", "--out", model.toString(), "--seed", "5");
        assertEquals(0, t.code(), t.err());
        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, DIGIT);
        String predicted = run("predict", "--model", model.toString(), "--input", csv.toString()).out();
        String evaluated = run("eval", "--model", model.toString(), "--json").out();

        for (String opset : new String[]{"17", "20"}) {
            Path onnx = dir.resolve("m" + opset + ".onnx");
            CliTest.Result ex = run("export", "--model", model.toString(), "--onnx", onnx.toString(), "--opset", opset, "--label");
            assertEquals(0, ex.code(), ex.err());
            assertTrue(ex.out().contains("opset " + opset) && ex.out().contains("'label'"), ex.out());
            Path back = dir.resolve("back" + opset + ".safetensors");
            CliTest.Result im = run("import", onnx.toString(), "--out", back.toString());
            assertEquals(0, im.code(), im.err());
            assertTrue(im.out().contains("10 classes") && im.out().contains("minmax"), im.out());

            CliTest.Result info = run("info", "--model", back.toString());
            assertEquals(0, info.code(), info.err());
            assertTrue(info.out().contains("Dense(64 → 32, gelu)") && info.out().contains("input normalisation: minmax"), info.out());
            assertEquals(predicted, run("predict", "--model", back.toString(), "--input", csv.toString()).out());
            assertEquals(evaluated, run("eval", "--model", back.toString(), "--json").out());
        }
    }

    @Test
    void aScikitLearnClassifierImportsAndPredicts() throws Exception {
        Path onnx = Path.of("").toAbsolutePath().getParent().resolve("jgrad-onnx/src/test/resources/onnx/sklearn/mlp_classifier.onnx");
        Path out = dir.resolve("sk.safetensors");
        CliTest.Result im = run("import", onnx.toString(), "--out", out.toString(), "--classes", "a,b,c,d");
        assertEquals(0, im.code(), im.err());
        CliTest.Result info = run("info", "--model", out.toString(), "--json");
        Map<String, Object> doc = Json.parseObject(info.out().trim());
        assertEquals(java.util.List.of("a", "b", "c", "d"), doc.get("classes"));
        assertEquals("softmax_cross_entropy", doc.get("loss"));
        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "0.1,0.2,0.3,0.4,0.5\n-1,2,0,1,0\n");
        CliTest.Result p = run("predict", "--model", out.toString(), "--input", csv.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().startsWith("class,p_a,p_b,p_c,p_d"), p.out());
    }

    @Test
    void badUsageAndBadFilesSayWhatIsWrong() throws Exception {
        CliTest.Result neither = run("import", "--out", dir.resolve("x.safetensors").toString());
        assertEquals(2, neither.code(), neither.err());
        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, new byte[]{0x3A, (byte) 0xFF, (byte) 0xFF, 0x7F, 1});
        CliTest.Result bad = run("import", junk.toString(), "--out", dir.resolve("y.safetensors").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("junk.onnx") && bad.err().contains("remain") && bad.err().lines().count() == 1, bad.err());
        CliTest.Result opset = run("export", "--model", "m.safetensors", "--onnx", "m.onnx", "--opset", "13");
        assertEquals(2, opset.code(), opset.err());
        CliTest.Result help = run("export", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Usage: jgrad export"), help.out());
    }
}
