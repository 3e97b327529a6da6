package dev.jgrad.cli;

import dev.jgrad.data.BuiltinData;
import dev.jgrad.tensor.FloatTensor;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run of the launcher's ahead-of-time cache ({@code ./jgrad}, JDK 25
 * {@code -XX:AOTCacheOutput}): one JVM that runs what users run, so that the classes of every
 * common command are in the cache and their methods have profiles. It trains one epoch on the
 * built-in digits, then predicts a few of its rows from a CSV file, evaluates and describes the
 * model, and shows a command's help. The cache records one process, which is why this is one
 * program rather than several {@code jgrad} runs.
 */
public final class AotTraining {
    private AotTraining() {
    }

    /** {@code args[0]}: an empty folder for the model and the rows. Exits 1 when a command fails. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Path model = dir.resolve("model.safetensors"), rows = dir.resolve("rows.csv");
        PrintWriter out = new PrintWriter(OutputStream.nullOutputStream());
        PrintWriter err = new PrintWriter(System.err, true);
        int code = Main.run(new String[]{"train", "--epochs", "1", "--quiet", "--out", model.toString()}, out, err);
        FloatTensor x = BuiltinData.digits().features();
        StringBuilder csv = new StringBuilder();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < x.cols(); c++) csv.append(c > 0 ? "," : "").append((int) x.get(r, c));
            csv.append('\n');
        }
        Files.writeString(dir.resolve("rows.csv"), csv);
        String[][] commands = {
                {"predict", "--model", model.toString(), "--input", rows.toString()},
                {"info", "--model", model.toString()},
                {"eval", "--model", model.toString()},
                {"predict", "--help"},
        };
        for (String[] command : commands) code = Math.max(code, Main.run(command, out, err));
        System.exit(code);
    }
}
