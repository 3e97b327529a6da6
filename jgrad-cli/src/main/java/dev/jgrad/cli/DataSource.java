package dev.jgrad.cli;

import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.CsvReader;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
        try {
            Path dir = Path.of(data);
            if (!IdxReader.isIdxDirectory(dir)) return null;
            long features = 1;
            for (int v : IdxReader.trainingImageShape(dir)) features *= v;
            return features < 1 << 24 ? new Widths((int) features, IdxReader.DIGIT_CLASSES.size()) : null;
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
