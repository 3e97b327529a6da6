package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

/**
 * Reads numeric CSV data (RFC 4180 quoting, optional header, gzip or plain) into a dataset.
 * The label column is chosen by name or 0-based index (default: the last column). A label
 * column that is not numeric, or holds few distinct integers, makes a classification task whose
 * classes are its distinct values in sorted order; otherwise the task is regression. Every
 * error names the file, the record (line) and the field.
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

    public static Dataset read(InputStream raw, String source, Options opt) throws IOException {
        List<String[]> rows = parse(raw, source, opt.delimiter());
        if (rows.isEmpty()) throw new InvalidDataException(source + ": no records");
        String[] first = rows.getFirst();
        int width = first.length;
        boolean header = opt.header() != null ? opt.header() : looksLikeHeader(first, opt.label());
        String[] names = new String[width];
        for (int j = 0; j < width; j++) names[j] = header ? first[j].trim() : "column " + j;
        int labelCol = labelColumn(opt.label(), names, header, source);
        int start = header ? 1 : 0;
        int n = rows.size() - start;
        if (n <= 0) throw new InvalidDataException(source + ": a header but no records");
        int d = labelCol < 0 ? width : width - 1;
        float[] f = new float[n * d];
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            String[] r = rows.get(start + i);
            int line = lineOf(rows, start + i);
            if (r.length != width) {
                throw new InvalidDataException(source + ": record " + (i + 1) + " (line " + line + ") has " + r.length
                        + " fields, expected " + width);
            }
            int c = 0;
            for (int j = 0; j < width; j++) {
                if (j == labelCol) {
                    labels[i] = r[j].trim();
                    continue;
                }
                f[i * d + c++] = number(r[j], source, i, line, names[j], j);
            }
        }
        FloatTensor features = new FloatTensor(f, 0, Shape.of(n, d));
        String name = Path.of(source).getFileName() == null ? source : Path.of(source).getFileName().toString();
        if (labelCol < 0) {
            return new Dataset(name, features, new FloatTensor(new float[n], 0, Shape.of(n, 1)), List.of(), null);
        }
        boolean classification = switch (opt.task()) {
            case CLASSIFICATION -> true;
            case REGRESSION -> false;
            case AUTO -> opt.classes() != null || looksCategorical(labels);
        };
        float[] t = new float[n];
        List<String> classes = List.of();
        if (classification) {
            classes = opt.classes() != null ? opt.classes() : sortedClasses(labels);
            Map<String, Integer> index = new HashMap<>();
            for (int c = 0; c < classes.size(); c++) index.put(classes.get(c), c);
            for (int i = 0; i < n; i++) {
                Integer k = index.get(canonical(labels[i]));
                if (k == null) {
                    throw new InvalidDataException(source + ": record " + (i + 1) + " (line " + lineOf(rows, start + i)
                            + "), field '" + names[labelCol] + "': label '" + labels[i] + "' is not one of the classes " + classes);
                }
                t[i] = k;
            }
        } else {
            for (int i = 0; i < n; i++) t[i] = number(labels[i], source, i, lineOf(rows, start + i), names[labelCol], labelCol);
        }
        return new Dataset(name, features, new FloatTensor(t, 0, Shape.of(n, 1)), classes, null);
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
        List<String[]> rows;
        try (InputStream in = Files.newInputStream(file)) {
            rows = parse(in, file.toString(), ',');
        }
        if (rows.isEmpty()) throw new InvalidDataException(file + ": no records");
        int width = rows.getFirst().length;
        double[] v = new double[rows.size() * width];
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            if (r.length != width) {
                throw new InvalidDataException(file + ": record " + (i + 1) + " (line " + lineOf(rows, i) + ") has "
                        + r.length + " fields, expected " + width);
            }
            for (int j = 0; j < width; j++) v[i * width + j] = exact(r[j], file.toString(), i, lineOf(rows, i), "column " + j, j);
        }
        return new dev.jgrad.tensor.DoubleTensor(v, 0, Shape.of(rows.size(), width));
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
            throw new InvalidDataException(source + ": record " + (record + 1) + " (line " + line + "), field '" + field
                    + "' (column " + col + "): '" + v + "' is not a finite number");
        }
    }

    /** Parsed records, each remembering its line number in a parallel list. */
    private static final class Records extends ArrayList<String[]> {
        final List<Integer> lines = new ArrayList<>();
    }

    private static int lineOf(List<String[]> rows, int i) {
        return ((Records) rows).lines.get(i);
    }

    private static List<String[]> parse(InputStream raw, String source, char delim) throws IOException {
        InputStream in = new java.io.BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) in = new GZIPInputStream(in, 1 << 16);
        Records out = new Records();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            List<String> fields = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            while ((line = r.readLine()) != null) {
                lineNo++;
                int startLine = lineNo;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
                if (line.isBlank()) continue;
                fields.clear();
                cur.setLength(0);
                boolean quoted = false;
                int i = 0;
                while (true) {
                    if (i >= line.length()) {
                        if (quoted) {
                            String next = r.readLine();
                            if (next == null) {
                                throw new InvalidDataException(source + ": line " + startLine + ": a quoted field is never closed");
                            }
                            lineNo++;
                            cur.append('\n');
                            line = next;
                            i = 0;
                            continue;
                        }
                        break;
                    }
                    char c = line.charAt(i++);
                    if (quoted) {
                        if (c == '"') {
                            if (i < line.length() && line.charAt(i) == '"') {
                                cur.append('"');
                                i++;
                            } else {
                                quoted = false;
                            }
                        } else {
                            cur.append(c);
                        }
                    } else if (c == '"') {
                        quoted = true;
                    } else if (c == delim) {
                        fields.add(cur.toString());
                        cur.setLength(0);
                    } else {
                        cur.append(c);
                    }
                }
                fields.add(cur.toString());
                out.add(fields.toArray(new String[0]));
                out.lines.add(startLine);
            }
        }
        return out;
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
