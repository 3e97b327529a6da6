package dev.jgrad.cli;

import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.CsvReader;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Turns a {@code --data} argument into datasets: {@code digits} (built in), an IDX directory
 * (train-* and t10k-* files), or a CSV file with a label column.
 */
final class DataSource {
    private DataSource() {
    }

    static final String BUILTIN = "digits";

    /** A training set and, when the source has one, a test set (else null). */
    record Loaded(Dataset train, Dataset test, String kind) {
    }

    static Loaded load(String data, String label, String task, Boolean header, String testFile, List<String> classes)
            throws IOException {
        if (data == null || data.equals(BUILTIN)) {
            return new Loaded(BuiltinData.digits(), null, "builtin");
        }
        Path p = Path.of(data);
        if (Files.isDirectory(p)) {
            if (!IdxReader.isIdxDirectory(p)) {
                throw new IllegalArgumentException(p + ": a directory, but with no train-images* IDX file");
            }
            IdxReader.TrainTest tt = IdxReader.readDirectory(p);
            return new Loaded(tt.train(), tt.test(), "idx");
        }
        if (!Files.exists(p)) throw new IllegalArgumentException(p + ": no such file or directory (or 'digits' for the built-in data)");
        CsvReader.Options opt = csvOptions(label, task, header, classes);
        Dataset train = CsvReader.read(p, opt);
        Dataset test = null;
        if (testFile != null) test = CsvReader.read(Path.of(testFile), opt.withClasses(train.isClassification() ? train.classNames() : null));
        return new Loaded(train, test, "csv");
    }

    /** A network's input and output widths, as far as they are known before the data is read. */
    record Widths(int features, int outputs) {
    }

    /**
     * The widths a training set from {@code data} will have, read cheaply: the built-in digits',
     * or an IDX directory's from its image file's header (ten classes, as {@link IdxReader}
     * names them). Null for a CSV file, which has to be read to be known, and for anything that
     * does not look right: {@link #load} reports the error.
     */
    static Widths peek(String data) {
        if (data == null || data.equals(BUILTIN)) return new Widths(64, IdxReader.DIGIT_CLASSES.size());
        Path dir = Path.of(data);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "train-images*")) {
            List<Path> hits = new ArrayList<>();
            for (Path p : ds) hits.add(p);
            if (hits.isEmpty()) return null;
            hits.sort(null);
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(hits.getFirst()), 1 << 12)) {
                raw.mark(2);
                int b0 = raw.read(), b1 = raw.read();
                raw.reset();
                InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 12) : raw;
                byte[] h = in.readNBytes(16);
                if (h.length < 4 || h[0] != 0 || h[1] != 0 || h[2] != 0x08) return null;
                int rank = h[3] & 0xFF;
                if (rank < 2 || rank > 3 || h.length < 4 + 4 * rank) return null;
                long features = 1;
                for (int i = 1; i < rank; i++) {
                    int o = 4 + 4 * i;
                    features *= ((h[o] & 0xFF) << 24) | ((h[o + 1] & 0xFF) << 16) | ((h[o + 2] & 0xFF) << 8) | (h[o + 3] & 0xFF);
                }
                return features > 0 && features < 1 << 24 ? new Widths((int) features, IdxReader.DIGIT_CLASSES.size()) : null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static CsvReader.Options csvOptions(String label, String task, Boolean header, List<String> classes) {
        CsvReader.Options opt = CsvReader.Options.defaults().withHeader(header).withTask(CsvReader.task(task));
        if (label != null) opt = opt.withLabel(label);
        if (classes != null && !classes.isEmpty()) opt = opt.withClasses(classes);
        return opt;
    }

    /** Data to evaluate a model on: the test part of an IDX directory or the built-in set's held-out part, or a CSV file. */
    static Dataset evaluationData(String data, String label, Boolean header, List<String> classes) throws IOException {
        if (data == null || data.equals(BUILTIN)) {
            return TrainCommand.builtinSplit(BuiltinData.digits()).validation();
        }
        Path p = Path.of(data);
        if (Files.isDirectory(p)) return IdxReader.readTestSet(p);
        return CsvReader.read(p, csvOptions(label, classes.isEmpty() ? "regression" : "classification", header, classes));
    }
}
