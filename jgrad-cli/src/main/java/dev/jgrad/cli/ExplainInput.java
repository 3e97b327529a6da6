package dev.jgrad.cli;

import dev.jgrad.data.CsvReader;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;
import dev.jgrad.data.InvalidDataException;
import dev.jgrad.io.Model;
import dev.jgrad.tensor.FloatTensor;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the one sample {@code jgrad explain --model} explains, from a CSV file, an IDX images file or an IDX directory. */
final class ExplainInput {
    private ExplainInput() {
    }

    /**
     * One raw input row. imageShape is {height, width} for images, else null; featureNames has
     * one name per feature; label is the true class index when the file says it, else −1.
     */
    record Sample(String source, int row, int rows, double[] raw, int[] imageShape, List<String> featureNames, int label) {
    }

    static Sample read(Path input, int row, Model m, String labelCol, Boolean header) throws IOException {
        int want = m.network().inputSize();
        if (Files.isDirectory(input)) {
            Dataset d = IdxReader.readTestSet(input);
            return fromDataset(input + " (test images)", d.features(), row, want, d.imageShape() != null ? d.imageShape() : m.imageShape(),
                    m.isClassification() ? d.label(checkRow(row, d.size())) : -1, null);
        }
        if (!Files.isRegularFile(input)) throw new InvalidDataException(input + ": no such file");
        String name = input.getFileName().toString();
        if (name.contains("idx") || name.endsWith(".ubyte") || name.endsWith(".ubyte.gz")) {
            Path labels = input.resolveSibling(name.replace("images", "labels").replace("idx3", "idx1"));
            if (m.isClassification() && !labels.equals(input) && Files.isRegularFile(labels)) {
                Dataset d = IdxReader.read(input, labels, name, m.classNames());
                return fromDataset(input.toString(), d.features(), row, want, d.imageShape() != null ? d.imageShape() : m.imageShape(),
                        d.label(checkRow(row, d.size())), null);
            }
            FloatTensor x = IdxReader.readImages(input);
            return fromDataset(input.toString(), x, row, want, m.imageShape() != null ? m.imageShape() : square(want), -1, null);
        }
        String label = labelCol;
        List<String> header0 = headerNames(input);
        boolean hasHeader = header != null ? header : header0 != null;
        int columns = header0 != null ? header0.size() : firstLineFields(input);
        if (label == null) label = columns == want + 1 ? null : "";       // null: the last column is a label
        boolean labelled = !"".equals(label);
        CsvReader.Options o = CsvReader.Options.defaults().withHeader(hasHeader)
                .withTask(labelled && m.isClassification() ? CsvReader.Task.CLASSIFICATION : CsvReader.Task.REGRESSION);
        if (labelled && m.isClassification()) o = o.withClasses(m.classNames());
        o = label == null ? o : o.withLabel(label);
        Dataset d = CsvReader.read(input, o);
        int trueLabel = labelled && m.isClassification() ? d.label(checkRow(row, d.size())) : -1;
        List<String> names = null;
        if (hasHeader && header0 != null) {
            names = new ArrayList<>(header0);
            int dropped = names.size() - d.featureCount();
            if (dropped == 1) {
                String l = label == null ? names.getLast() : label;
                if (!names.remove(l)) {
                    int k = Integer.parseInt(l.trim());
                    names.remove(k < 0 ? k + names.size() : k);
                }
            }
        }
        return fromDataset(input.toString(), d.features(), row, want, null, trueLabel, names);
    }

    private static Sample fromDataset(String source, FloatTensor x, int row, int want, int[] imageShape, int label, List<String> names) {
        if (x.cols() != want) {
            throw new IllegalArgumentException(source + " has " + x.cols() + " features per row, the model takes " + want);
        }
        checkRow(row, x.rows());
        double[] raw = new double[want];
        for (int j = 0; j < want; j++) raw[j] = x.get(row * want + j);
        if (imageShape != null && imageShape[0] * imageShape[1] != want) imageShape = null;
        if (names == null || names.size() != want) {
            names = new ArrayList<>();
            for (int j = 0; j < want; j++) names.add(imageShape != null ? "pixel (" + j / imageShape[1] + "," + j % imageShape[1] + ")" : "x" + j);
        }
        return new Sample(source, row, x.rows(), raw, imageShape, List.copyOf(names), label);
    }

    private static int checkRow(int row, int rows) {
        if (row < 0 || row >= rows) {
            throw new IllegalArgumentException("usage: --row " + row + " is not a row of the input (" + rows + " rows, 0.." + (rows - 1) + ")");
        }
        return row;
    }

    private static int[] square(int d) {
        int s = (int) Math.round(Math.sqrt(d));
        return s * s == d && s > 1 ? new int[]{s, s} : null;
    }

    /** The first line's fields when it is a header (more than one field is not a number), else null. */
    private static List<String> headerNames(Path csv) throws IOException {
        String first = firstLine(csv);
        List<String> fields = new ArrayList<>();
        int text = 0;
        for (String f : first.split(",", -1)) {
            String v = f.trim();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
            fields.add(v);
            try {
                Double.parseDouble(v);
            } catch (NumberFormatException e) {
                text++;
            }
        }
        // As the CSV reader decides: one non-numeric field may be a categorical label; a header has them all or nearly.
        return text > 1 || (text == 1 && fields.size() == 1) ? fields : null;
    }

    private static int firstLineFields(Path csv) throws IOException {
        return firstLine(csv).split(",", -1).length;
    }

    private static String firstLine(Path csv) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) if (!line.isBlank()) return line.startsWith("\uFEFF") ? line.substring(1) : line;
        }
        throw new InvalidDataException(csv + ": no records");
    }
}
