package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads numeric CSV data (RFC 4180 quoting, optional header, gzip or plain) into a dataset.
 * The label column is chosen by name or 0-based index (default: the last column). A label
 * column that is not numeric, or holds few distinct integers, makes a classification task whose
 * classes are its distinct values in sorted order; otherwise the task is regression. Every
 * error names the file, the record (line) and the field.
 *
 * <p>The text is streamed: records are read one at a time (see {@link #MAX_RECORD_LENGTH}),
 * features become floats as they come, and compressed input is held to the same limits after
 * inflation, so a small file cannot make the reader hold more than the dataset it describes.
 */
public final class CsvReader {

    /** What the label column is: decided from its values ({@code AUTO}), or as the user says. */
    public enum Task { AUTO, CLASSIFICATION, REGRESSION }

    /**
     * @param header  true, false, or null to detect (a first line with a non-numeric feature field is a header)
     * @param label   column name or 0-based index; null for the last column; "" for none (features only)
     * @param classes the class names of a model being evaluated (labels must be among them), or null
     */
    public record Options(Boolean header, String label, char delimiter, Task task, List<String> classes) {
        public static Options defaults() {
            return new Options(null, null, ',', Task.AUTO, null);
        }

        public Options withLabel(String l) {
            return new Options(header, l, delimiter, task, classes);
        }

        public Options withHeader(Boolean h) {
            return new Options(h, label, delimiter, task, classes);
        }

        public Options withTask(Task t) {
            return new Options(header, label, delimiter, t, classes);
        }

        public Options withClasses(List<String> c) {
            return new Options(header, label, delimiter, task, c);
        }
    }

    /** Most distinct integer labels that still read as classes under {@link Task#AUTO}. */
    static final int MAX_AUTO_CLASSES = 100;

    private CsvReader() {
    }

    public static Dataset read(Path file, Options opt) throws IOException {
        if (!Files.isRegularFile(file)) throw new InvalidDataException(file + ": no such file");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), opt);
        }
    }

    /**
     * Reads a dataset from a stream, record by record: each record's features become floats as
     * it is read, so memory is the dataset (4 bytes a value) plus the label texts, whatever the
     * size of the text.
     */
    public static Dataset read(InputStream raw, String source, Options opt) throws IOException {
        try (CsvRecords rec = new CsvRecords(raw, source, opt.delimiter(), MAX_RECORD_LENGTH)) {
            return read(rec, source, opt);
        }
    }

    private static Dataset read(CsvRecords rec, String source, Options opt) throws IOException {
        String[] first = rec.next();
        if (first == null) throw new InvalidDataException(source + ": no records");
        int width = first.length;
        boolean header = opt.header() != null ? opt.header() : looksLikeHeader(first, opt.label());
        String[] names = new String[width];
        for (int j = 0; j < width; j++) names[j] = header ? first[j].trim() : "column " + j;
        int labelCol = labelColumn(opt.label(), names, header, source);
        int d = labelCol < 0 ? width : width - 1;
        Floats f = new Floats(source);
        List<String> labels = new ArrayList<>();
        Ints lines = new Ints(source);
        String[] r = header ? rec.next() : first;
        for (int i = 0; r != null; i++, r = rec.next()) {
            int line = rec.line();
            if (r.length != width) {
                throw new InvalidDataException(source + ": record " + (i + 1) + " (line " + line + ") has " + r.length
                        + " fields, expected " + width);
            }
            for (int j = 0; j < width; j++) {
                if (j == labelCol) labels.add(r[j].trim());
                else f.add(number(r[j], source, i, line, names[j], j));
            }
            lines.add(line);
        }
        int n = lines.size();
        if (n == 0) throw new InvalidDataException(source + ": a header but no records");
        FloatTensor features = new FloatTensor(f.toArray(), 0, Shape.of(n, d));
        String name = Path.of(source).getFileName() == null ? source : Path.of(source).getFileName().toString();
        if (labelCol < 0) {
            return new Dataset(name, features, new FloatTensor(new float[n], 0, Shape.of(n, 1)), List.of(), null);
        }
        String[] labelText = labels.toArray(new String[0]);
        boolean classification = switch (opt.task()) {
            case CLASSIFICATION -> true;
            case REGRESSION -> false;
            case AUTO -> opt.classes() != null || looksCategorical(labelText);
        };
        float[] t = new float[n];
        List<String> classes = List.of();
        if (classification) {
            classes = opt.classes() != null ? opt.classes() : sortedClasses(labelText);
            Map<String, Integer> index = new HashMap<>();
            for (int c = 0; c < classes.size(); c++) index.put(classes.get(c), c);
            for (int i = 0; i < n; i++) {
                Integer k = index.get(canonical(labelText[i]));
                if (k == null) {
                    throw new InvalidDataException(source + ": record " + (i + 1) + " (line " + lines.get(i)
                            + "), field '" + names[labelCol] + "': label '" + shorten(labelText[i]) + "' is not one of the classes "
                            + shorten(classes.toString()));
                }
                t[i] = k;
            }
        } else {
            for (int i = 0; i < n; i++) t[i] = number(labelText[i], source, i, lines.get(i), names[labelCol], labelCol);
        }
        return new Dataset(name, features, new FloatTensor(t, 0, Shape.of(n, 1)), classes, null);
    }

    /** Most characters in one record (quoted line breaks included). */
    public static final int MAX_RECORD_LENGTH = 1 << 22;
    /** Most values a dataset holds: they live in one Java array. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /** Field text as error messages show it: long fields are cut, so that a message stays one line of sensible length. */
    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** A growing float array (growth by half: at most 1.5 times the values, and one exact copy at the end). */
    private static final class Floats {
        private final String source;
        private float[] a = new float[1024];
        private int n;

        Floats(String source) {
            this.source = source;
        }

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, grown(source, n));
            a[n++] = v;
        }

        float[] toArray() {
            return n == a.length ? a : java.util.Arrays.copyOf(a, n);
        }
    }

    /** A growing double array, for {@link #readMatrix}. */
    private static final class Doubles {
        private final String source;
        private double[] a = new double[1024];
        private int n;

        Doubles(String source) {
            this.source = source;
        }

        void add(double v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, grown(source, n));
            a[n++] = v;
        }

        double[] toArray() {
            return n == a.length ? a : java.util.Arrays.copyOf(a, n);
        }
    }

    /** A growing int array: each record's line, for messages about labels. */
    private static final class Ints {
        private final String source;
        private int[] a = new int[256];
        private int n;

        Ints(String source) {
            this.source = source;
        }

        void add(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, grown(source, n));
            a[n++] = v;
        }

        int get(int i) {
            return a[i];
        }

        int size() {
            return n;
        }
    }

    private static int grown(String source, int n) {
        if (n >= MAX_VALUES) throw new InvalidDataException(source + ": more than " + MAX_VALUES + " values, more than a dataset holds");
        return (int) Math.min(MAX_VALUES, n + (long) Math.max(n >> 1, 16));
    }

    /** Integer-looking labels are compared as numbers ("1.0" and "1" are one class). */
    private static String canonical(String s) {
        try {
            double v = Double.parseDouble(s);
            if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        } catch (NumberFormatException ignored) {
            // a categorical name
        }
        return s;
    }

    private static boolean looksCategorical(String[] labels) {
        TreeSet<String> distinct = new TreeSet<>();
        for (String l : labels) {
            try {
                double v = Double.parseDouble(l);
                if (v != Math.rint(v)) return false;
            } catch (NumberFormatException e) {
                return true;
            }
            distinct.add(l);
            if (distinct.size() > MAX_AUTO_CLASSES) return false;
        }
        return true;
    }

    private static List<String> sortedClasses(String[] labels) {
        boolean numeric = true;
        TreeSet<String> names = new TreeSet<>();
        for (String l : labels) {
            String c = canonical(l);
            names.add(c);
            try {
                Long.parseLong(c);
            } catch (NumberFormatException e) {
                numeric = false;
            }
        }
        List<String> out = new ArrayList<>(names);
        if (numeric) out.sort((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)));
        return out;
    }

    private static int labelColumn(String label, String[] names, boolean header, String source) {
        if (label == null) return names.length - 1;
        if (label.isEmpty()) return -1;
        if (header) {
            for (int j = 0; j < names.length; j++) if (names[j].equals(label)) return j;
        }
        try {
            int j = Integer.parseInt(label.trim());
            if (j < 0) j += names.length;
            if (j >= 0 && j < names.length) return j;
        } catch (NumberFormatException ignored) {
            // not an index either
        }
        throw new InvalidDataException(source + ": no label column '" + label + "'"
                + (header ? " (columns: " + String.join(", ", names) + ")" : " (the file has no header; give a 0-based index)"));
    }

    private static boolean looksLikeHeader(String[] first, String label) {
        boolean labelIsIndex = label != null && label.trim().matches("-?\\d+");
        for (String s : first) {
            String v = s.trim();
            if (!labelIsIndex && v.equals(label)) return true;
            try {
                Double.parseDouble(v);
            } catch (NumberFormatException e) {
                // One non-numeric field could be a categorical label: a header has them all or nearly.
                int nonNumeric = 0;
                for (String t : first) {
                    try {
                        Double.parseDouble(t.trim());
                    } catch (NumberFormatException e2) {
                        nonNumeric++;
                    }
                }
                return nonNumeric > 1 || first.length == 1 || (label != null && !labelIsIndex);
            }
        }
        return false;
    }

    /**
     * A plain numeric CSV (no header, every column a value) read in double precision, for exact
     * work such as gradients of a given batch. Errors name the file, record and column.
     */
    public static dev.jgrad.tensor.DoubleTensor readMatrix(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new InvalidDataException(file + ": no such file");
        String source = file.toString();
        try (CsvRecords rec = new CsvRecords(Files.newInputStream(file), source, ',', MAX_RECORD_LENGTH)) {
            Doubles v = new Doubles(source);
            int width = -1, rows = 0;
            for (String[] r = rec.next(); r != null; r = rec.next(), rows++) {
                if (width < 0) width = r.length;
                if (r.length != width) {
                    throw new InvalidDataException(file + ": record " + (rows + 1) + " (line " + rec.line() + ") has "
                            + r.length + " fields, expected " + width);
                }
                for (int j = 0; j < width; j++) v.add(exact(r[j], source, rows, rec.line(), "column " + j, j));
            }
            if (rows == 0) throw new InvalidDataException(file + ": no records");
            return new dev.jgrad.tensor.DoubleTensor(v.toArray(), 0, Shape.of(rows, width));
        }
    }

    private static float number(String s, String source, int record, int line, String field, int col) {
        return (float) exact(s, source, record, line, field, col);
    }

    private static double exact(String s, String source, int record, int line, String field, int col) {
        String v = s.trim();
        try {
            double x = Double.parseDouble(v);
            if (!Double.isFinite(x)) throw new NumberFormatException();
            return x;
        } catch (NumberFormatException e) {
            throw new InvalidDataException(source + ": record " + (record + 1) + " (line " + line + "), field '" + shorten(field)
                    + "' (column " + col + "): '" + shorten(v) + "' is not a finite number");
        }
    }

    /** Parses "none", "auto", "classification", "regression". */
    public static Task task(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "auto" -> Task.AUTO;
            case "classification", "classify" -> Task.CLASSIFICATION;
            case "regression", "regress" -> Task.REGRESSION;
            default -> throw new IllegalArgumentException("unknown task '" + s + "' (auto, classification, regression)");
        };
    }
}
