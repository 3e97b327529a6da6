package dev.jgrad.onnx;

import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fixture's input rows and the outputs the model that made it gives for them (see make_fixtures.py). */
record Expected(FloatTensor input, double[][] output) {

    static Path resource(String name) {
        try {
            return Path.of(Expected.class.getResource("/onnx/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("missing test resource onnx/" + name, e);
        }
    }

    static Expected read(String name) throws IOException {
        List<String> lines = Files.readAllLines(resource(name), StandardCharsets.UTF_8);
        String[] h = lines.get(0).split(" ");
        int rows = Integer.parseInt(h[1]), cols = Integer.parseInt(h[2]);
        FloatTensor x = new FloatTensor(Shape.of(rows, cols));
        for (int r = 0; r < rows; r++) {
            String[] v = lines.get(1 + r).trim().split(" ");
            for (int c = 0; c < cols; c++) x.set(r * cols + c, Float.parseFloat(v[c]));
        }
        String[] h2 = lines.get(1 + rows).split(" ");
        int orows = Integer.parseInt(h2[1]), ocols = Integer.parseInt(h2[2]);
        double[][] y = new double[orows][ocols];
        for (int r = 0; r < orows; r++) {
            String[] v = lines.get(2 + rows + r).trim().split(" ");
            for (int c = 0; c < ocols; c++) y[r][c] = Double.parseDouble(v[c]);
        }
        return new Expected(x, y);
    }

    /** Every value of {@code actual} within {@code tol} (absolute) of the expected output. */
    void assertMatches(Tensor actual, double tol, String what) {
        assertEquals(output.length, actual.rows(), what + ": rows");
        assertEquals(output[0].length, actual.cols(), what + ": columns");
        double worst = 0;
        for (int r = 0; r < output.length; r++) {
            for (int c = 0; c < output[0].length; c++) {
                worst = Math.max(worst, Math.abs(actual.get(r * actual.cols() + c) - output[r][c]));
            }
        }
        assertTrue(worst <= tol, what + ": largest difference " + worst + " > " + tol);
    }

    static byte[] bytes(String name) throws IOException {
        try (InputStream in = Expected.class.getResourceAsStream("/onnx/" + name)) {
            return in.readAllBytes();
        }
    }
}
