package dev.jgrad.cli;

import dev.jgrad.data.CsvReader;
import dev.jgrad.data.IdxReader;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

final class PredictCommand extends Subcommand {
    Path model;
    Path input;
    String label;
    Boolean header;
    Path output;

    @Override
    CommandOptions options() {
        return new CommandOptions("predict",
                "Predicts for new inputs: CSV or IDX in, CSV out (class and class probabilities, or regression values).",
                "Example: jgrad predict --model m.safetensors --input new.csv --output predictions.csv")
                .path("--model", "FILE", "", v -> model = v).required()
                .path("--input", "PATH", "a CSV of feature rows, an IDX images file, or an IDX directory (its test images)", v -> input = v).required()
                .string("--label", "COL", "a CSV column to ignore (e.g. a label), by name or index", v -> label = v)
                .negatable("--header", "CSV has a header line (default: detected)", v -> header = v)
                .path("--output", "FILE", "CSV to write (default: standard output)", v -> output = v);
    }

    @Override
    int call() throws Exception {
        Model m = ModelFile.load(model);
        FloatTensor x = features(m);
        Tensor y = m.predict(x);
        StringWriter sw = new StringWriter();
        PrintWriter w = new PrintWriter(sw);
        if (m.isClassification()) {
            w.print("class");
            for (String c : m.classNames()) w.print("," + csv("p_" + c));
            w.println();
            int[] best = Model.argmax(y);
            for (int r = 0; r < y.rows(); r++) {
                w.print(csv(m.classNames().get(best[r])));
                for (int c = 0; c < y.cols(); c++) w.printf(",%.6g", y.get(r, c));
                w.println();
            }
        } else {
            for (int c = 0; c < y.cols(); c++) w.print((c > 0 ? "," : "") + "y" + c);
            w.println();
            for (int r = 0; r < y.rows(); r++) {
                for (int c = 0; c < y.cols(); c++) w.printf("%s%.9g", c > 0 ? "," : "", y.get(r, c));
                w.println();
            }
        }
        w.flush();
        if (output != null) {
            dev.jgrad.io.AtomicFile.write(output, ch -> ch.write(java.nio.ByteBuffer.wrap(sw.toString().getBytes(StandardCharsets.UTF_8))));
            stderr.printf("%d predictions written to %s%n", y.rows(), output);
        } else {
            stdout.print(sw);
        }
        return 0;
    }

    private FloatTensor features(Model m) throws java.io.IOException {
        int want = m.network().inputSize();
        FloatTensor x;
        if (Files.isDirectory(input)) {
            x = IdxReader.readTestSet(input).features();
        } else if (isIdx(input)) {
            x = IdxReader.readImages(input);
        } else {
            CsvReader.Options o = CsvReader.Options.defaults().withHeader(header).withLabel(label == null ? "" : label);
            x = CsvReader.read(input, o).features();
        }
        if (x.cols() != want) {
            throw new IllegalArgumentException(input + " has " + x.cols() + " features per row, the model takes " + want);
        }
        return x;
    }

    private static boolean isIdx(Path p) {
        String n = p.getFileName().toString();
        return n.contains("idx") || n.endsWith(".ubyte") || n.endsWith(".ubyte.gz");
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
