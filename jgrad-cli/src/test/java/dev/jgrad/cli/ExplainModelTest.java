package dev.jgrad.cli;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.ElementwiseActivation;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jgrad explain --model}: the input gradient against PyTorch autograd on the same weights
 * and inputs (vectors committed with the script that made them, torch_vectors.py), a wrong
 * derivative caught by the finite-difference check, and the web pages' content.
 */
class ExplainModelTest {
    @TempDir
    Path dir;

    static final String RES = "/dev/jgrad/cli/explain/";

    private Path resource(String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = ExplainModelTest.class.getResourceAsStream(RES + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    @SuppressWarnings("unchecked")
    void inputGradientEqualsPyTorchAutogradThroughBatchNormLayerNormDropoutAndTheNormaliser() throws Exception {
        Path rows = resource("rows.csv");
        Map<String, Object> expected;
        try (InputStream in = ExplainModelTest.class.getResourceAsStream(RES + "expected.json")) {
            expected = Json.parseObject(new String(in.readAllBytes()));
        }
        Map<String, Object> models = (Map<String, Object>) expected.get("models");
        assertEquals(2, models.size());
        int compared = 0;
        for (var m : models.entrySet()) {
            Path model = resource(m.getKey() + ".safetensors");
            for (Object o : (List<Object>) m.getValue()) {
                Map<String, Object> c = (Map<String, Object>) o;
                String row = String.valueOf(((Number) c.get("row")).intValue());
                String what = m.getKey() + " row " + row;
                CliTest.Result r = CliTest.run("explain", "--model", model.toString(), "--input", rows.toString(), "--row", row,
                        "--compare", (String) c.get("compare"), "--json");
                assertEquals(0, r.code(), what + ": " + r.out() + r.err());
                Map<String, Object> got = Json.parseObject(r.out().trim());
                Map<String, Object> want = (Map<String, Object>) c.get("target");
                assertEquals(c.get("predicted"), got.get("predicted"), what);
                assertEquals(c.get("predicted"), got.get("target"), what + ": the target defaults to the predicted class");
                assertEquals(((Number) want.get("loss")).doubleValue(), ((Number) got.get("loss")).doubleValue(), 1e-12, what);
                assertClose(want.get("probabilities"), got.get("output"), what + " probabilities");
                assertClose(want.get("input_gradient"), got.get("input_gradient"), what + " dL/dx'");
                assertClose(want.get("raw_input_gradient"), got.get("raw_input_gradient"), what + " dL/dx (raw)");
                Map<String, Object> wg = (Map<String, Object>) want.get("gradients"), gg = (Map<String, Object>) got.get("gradients");
                assertEquals(wg.keySet(), gg.keySet(), what);
                for (String k : wg.keySet()) assertClose(wg.get(k), gg.get(k), what + " " + k);
                Map<String, Object> second = (Map<String, Object>) c.get("second");
                assertClose(second.get("raw_input_gradient"), got.get("compare_raw_input_gradient"), what + " dL/dx for " + c.get("compare"));
                Map<String, Object> fd = (Map<String, Object>) got.get("finite_differences");
                assertEquals(Boolean.TRUE, fd.get("passes"), what + " " + fd);
                assertTrue(((Number) fd.get("checked")).intValue() > 50, what + " " + fd);
                compared++;
            }
        }
        assertEquals(6, compared);
    }

    /** Equal to 1e-9, relative to the value where it is above 1. */
    static void assertClose(Object want, Object got, String what) {
        List<Double> w = flat(want), g = flat(got);
        assertEquals(w.size(), g.size(), what);
        for (int i = 0; i < w.size(); i++) {
            assertEquals(w.get(i), g.get(i), 1e-9 * Math.max(1, Math.abs(w.get(i))), what + "[" + i + "]");
        }
    }

    private static List<Double> flat(Object o) {
        List<Double> out = new ArrayList<>();
        if (o instanceof List<?> l) for (Object e : l) out.addAll(flat(e));
        else if (o instanceof double[] a) for (double d : a) out.add(d);
        else out.add(((Number) o).doubleValue());
        return out;
    }

    /** tanh with a derivative that is wrong: 1 − y instead of 1 − y². */
    static final class WrongTanh extends ElementwiseActivation {
        @Override
        public String spec() {
            return "explain_test_wrong_tanh";
        }

        @Override
        public double f(double z) {
            return Math.tanh(z);
        }

        @Override
        public double df(double z, double y) {
            return 1 - y;
        }
    }

    static final WrongTanh WRONG_TANH = new WrongTanh();

    private Path smallModel(String activation, String name) throws IOException {
        Sequential net = Sequential.builder(5).seed(3).dense(4, Activations.parse(activation)).dense(3, Activations.SOFTMAX).build();
        Normalizer norm = new Normalizer(Normalizer.Kind.STANDARD, new double[]{1, 2, 3, 4, 5}, new double[]{0.5, 2, 1, 0.25, 3});
        Path p = dir.resolve(name);
        ModelFile.save(p, new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, norm, List.of("a", "b", "c"), null));
        return p;
    }

    @Test
    void aWrongDerivativeFailsTheFiniteDifferenceCheckLoudly() throws Exception {
        try {
            Activations.register("explain_test_wrong_tanh", WRONG_TANH);
        } catch (IllegalArgumentException alreadyRegistered) {
            // another test in this JVM did it
        }
        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "f1,f2,f3,f4,f5\n1.5,0.5,4,3.25,7\n");
        Path good = smallModel("tanh", "good.safetensors"), bad = smallModel("explain_test_wrong_tanh", "bad.safetensors");

        CliTest.Result ok = CliTest.run("explain", "--model", good.toString(), "--input", csv.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("PASS") && !ok.out().contains("FAIL"), ok.out());

        CliTest.Result r = CliTest.run("explain", "--model", bad.toString(), "--input", csv.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("— FAIL: above"), r.out());
        assertTrue(r.err().contains("FAIL: a gradient disagrees with finite differences"), r.err());
        // The wrong f'(z) is printed where the derivation uses it, and the check names the layer below it.
        assertTrue(r.out().contains("layers.0.weight") || r.out().contains("[0,"), r.out());
        assertTrue(Pattern.compile("dL/dW = δ xᵀ[^\\n]*\\n(.*\\n)*?.*finite differences agree to [0-9.e+-]+ \\(worst at \\[[0-9,]+\\]\\)  FAIL")
                .matcher(r.out()).find(), r.out());
    }

    @Test
    void tabularPageRanksTheInputGradientByFeatureName() throws Exception {
        Path model = smallModel("tanh", "m.safetensors");
        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "age,height,weight,income,score,label\n1.5,0.5,4,3.25,7,b\n2,1,1,1,0,c\n");
        Path page = dir.resolve("t.html");
        CliTest.Result r = CliTest.run("explain", "--model", model.toString(), "--input", csv.toString(), "--row", "1",
                "--target", "c", "--compare", "a", "--html", page.toString());
        // six columns for a model of five inputs: the last is the label
        assertEquals(0, r.code(), r.out() + r.err());
        String html = Files.readString(page);
        assertTrue(html.contains("Input gradient by feature") && html.contains(">age</text>") && html.contains(">score</text>") && !html.contains(">label</text>"), html);
        assertTrue(html.contains("dL/dx' for a"), "the second class's chart");
        assertNoExternalResources(html);
        assertTrue(r.out().contains("target: c") && r.out().contains("compared with a") && r.out().contains("true class c"), r.out());

        Path noHeader = dir.resolve("y.csv");
        Files.writeString(noHeader, "1.5,0.5,4,3.25,7,b\n2,1,1,1,0,c\n");
        CliTest.Result plain = CliTest.run("explain", "--model", model.toString(), "--input", noHeader.toString(), "--row", "1");
        assertEquals(0, plain.code(), plain.out() + plain.err());
        assertTrue(plain.out().contains("row 1 of") && plain.out().contains("(2 rows), true class c"), "a first line with one word is data: " + plain.out());

        CliTest.Result badRow = CliTest.run("explain", "--model", model.toString(), "--input", csv.toString(), "--row", "7");
        assertEquals(2, badRow.code());
        assertTrue(badRow.err().contains("--row 7 is not a row of the input (2 rows"), badRow.err());
        CliTest.Result badClass = CliTest.run("explain", "--model", model.toString(), "--input", csv.toString(), "--target", "zebra");
        assertEquals(2, badClass.code());
        assertTrue(badClass.err().contains("'zebra' is not a class of the model (classes: a, b, c"), badClass.err());
    }

    @Test
    void regressionModelsExplainTheLossAgainstGivenTargetValues() throws Exception {
        Sequential net = Sequential.builder(3).seed(5).dense(4, Activations.TANH).dense(2, Activations.IDENTITY).build();
        Normalizer norm = new Normalizer(Normalizer.Kind.NONE, new double[3], new double[]{1, 1, 1});
        Path model = dir.resolve("r.safetensors");
        ModelFile.save(model, new Model(net, Losses.MSE, norm, List.of(), null));
        Path csv = dir.resolve("r.csv");
        Files.writeString(csv, "0.5,-1,2\n");
        CliTest.Result r = CliTest.run("explain", "--model", model.toString(), "--input", csv.toString(), "--target", "1,-2", "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        Map<String, Object> doc = Json.parseObject(r.out().trim());
        assertEquals(Boolean.TRUE, ((Map<?, ?>) doc.get("finite_differences")).get("passes"));
        assertEquals(3, flat(doc.get("raw_input_gradient")).size());
        CliTest.Result missing = CliTest.run("explain", "--model", model.toString(), "--input", csv.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("a regression model needs --target"), missing.err());
    }

    /** An IDX images file (and its labels beside it) of 8×8 images, as MNIST ships them. */
    private Path idxImages(int n) throws IOException {
        byte[] img = new byte[16 + n * 64];
        img[2] = 8;
        img[3] = 3;
        img[7] = (byte) n;
        img[11] = 8;
        img[15] = 8;
        for (int i = 0; i < n * 64; i++) img[16 + i] = (byte) ((i * 37 + (i / 64) * 11) % 17);
        byte[] lab = new byte[8 + n];
        lab[2] = 8;
        lab[3] = 1;
        lab[7] = (byte) n;
        for (int i = 0; i < n; i++) lab[8 + i] = (byte) (i % 10);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), lab);
        Path p = dir.resolve("t10k-images-idx3-ubyte");
        Files.write(p, img);
        return p;
    }

    @Test
    void imagePageDrawsInputGradientAndItsMagnitudeForTwoClasses() throws Exception {
        Path model = resource("batch.safetensors");
        Path images = idxImages(4);
        Path page = dir.resolve("why.html");
        CliTest.Result r = CliTest.run("explain", "--model", model.toString(), "--input", images.toString(), "--row", "2",
                "--compare", "3", "--html", page.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("row 2 of") && r.out().contains("true class 2"), r.out());
        String html = Files.readString(page);
        assertNoExternalResources(html);
        for (String s : List.of("<h2>Saliency</h2>", "alt=\"input\"", "alt=\"dL/dx for ", "alt=\"|dL/dx| for ", "and not 3?", "alt=\"contrast\"")) {
            assertTrue(html.contains(s), "the page has " + s);
        }
        List<BufferedImage> maps = images(html);
        assertEquals(3 + 3 + 2, maps.size(), "input, dL/dx, |dL/dx| for both classes, then input and contrast");
        for (BufferedImage b : maps) assertEquals(8 * ModelExplainPage.ZOOM, b.getWidth());
        // dL/dx is not blank: some pixel is coloured (not white), in both signs across the page.
        assertTrue(colours(maps.get(1)) > 10, "dL/dx map has colours");
        assertTrue(html.contains("finite differences agree") && html.contains("PASS"), "the checks are on the page");
    }

    @Test
    void trainingReportDrawsTheSaliencyUnderEachMisclassifiedImage() throws Exception {
        Path report = dir.resolve("run.html");
        CliTest.Result r = CliTest.run("train", "--epochs", "1", "--layers", "8:tanh", "--quiet", "--report", report.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String html = Files.readString(report);
        assertNoExternalResources(html);
        int wrong = count(html, "<div class=\"mis\">");
        assertTrue(wrong > 0, "one epoch of an 8-unit net misclassifies something");
        assertEquals(wrong * 2, count(html, "alt=\"dL/dx for "), "dL/dx for the predicted and the true class under each");
        assertEquals(wrong * 2, count(html, "alt=\"|dL/dx| for "));
    }

    static void assertNoExternalResources(String html) {
        String withoutNamespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for (String s : List.of("http://", "https://", "//cdn", "<script src", "<link", "url(", "@import")) {
            assertFalse(withoutNamespace.contains(s), "the page refers to something outside it: " + s);
        }
    }

    private static List<BufferedImage> images(String html) throws IOException {
        List<BufferedImage> out = new ArrayList<>();
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        while (m.find()) out.add(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))));
        return out;
    }

    private static int colours(BufferedImage b) {
        int[] px = b.getRGB(0, 0, b.getWidth(), b.getHeight(), null, 0, b.getWidth());
        return (int) Arrays.stream(px).map(p -> p & 0xFFFFFF).filter(p -> p != 0xFFFFFF).distinct().count();
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
