package dev.jgrad.fuzz;

import dev.jgrad.data.CsvReader;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;
import dev.jgrad.data.InvalidDataException;
import dev.jgrad.io.CheckpointFile;
import dev.jgrad.io.InvalidModelException;
import dev.jgrad.io.Json;
import dev.jgrad.io.ModelFile;
import dev.jgrad.io.SafeTensors;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.optim.Optimizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every reader must do with any bytes at all: return a valid result or throw its documented
 * exception ({@link InvalidModelException}, {@link InvalidDataException}) whose message starts
 * with the file's name, and allocate no more than {@link #MAX_BYTES_PER_INPUT_BYTE} bytes per
 * input byte plus {@link #MAX_BASE_BYTES}. Anything else (another exception, an error, a
 * message that does not name the file, memory out of proportion) fails the target. Shared by the
 * Jazzer fuzz tests and the fixed-seed mutation test.
 */
final class ReaderTargets {
    private ReaderTargets() {
    }

    static final long MAX_BASE_BYTES = 64L << 20;
    static final long MAX_BYTES_PER_INPUT_BYTE = 256;

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("jgrad-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The network and optimizer a fuzzed checkpoint is resumed into (the corpus's checkpoints fit them). */
    static Sequential checkpointNet() {
        return Sequential.builder(4).seed(1).threads(1).dense(3, Activations.RELU).dense(2, Activations.SOFTMAX).build();
    }

    static Optimizer checkpointOptimizer() {
        return new Adam(1e-3);
    }

    /** An action on the input that may throw the reader's exception. */
    @FunctionalInterface
    private interface Read {
        void run() throws IOException;
    }

    private static void check(String source, int inputLength, Class<? extends RuntimeException> documented, Read read) {
        long bound = MAX_BASE_BYTES + MAX_BYTES_PER_INPUT_BYTE * inputLength;
        long allocated = checkOnce(source, documented, read);
        // The first read of a kind also loads and initialises classes (kernels, thread pools):
        // only a second read that allocates as much is the reader's doing.
        if (allocated > bound) allocated = checkOnce(source, documented, read);
        if (allocated > bound) {
            throw new AssertionError(allocated + " bytes allocated for an input of " + inputLength + " bytes (bound " + bound + ")");
        }
    }

    private static long checkOnce(String source, Class<? extends RuntimeException> documented, Read read) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(id);
        try {
            read.run();
        } catch (RuntimeException e) {
            if (!documented.isInstance(e)) throw new AssertionError("undocumented exception " + e, e);
            if (e.getMessage() == null || !e.getMessage().startsWith(source)) {
                throw new AssertionError("the message does not start with the source '" + source + "': " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new AssertionError("I/O exception on a readable file: " + e, e);
        }
        return mx.getThreadAllocatedBytes(id) - before;
    }

    private static Path file(String name, byte[] data) {
        Path f = DIR.resolve(name);
        try {
            Files.write(f, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    /** JSON: refused with the source named, or read; what is read writes and reads back to the same text. */
    static void json(byte[] data) {
        check("fuzz.json", data.length, InvalidModelException.class, () -> {
            Object v = Json.parse(data, "fuzz.json");
            String w = Json.write(v);
            String again = Json.write(Json.parse(w, "fuzz.json"));
            if (!w.equals(again)) throw new AssertionError("JSON does not read back: " + w + " → " + again);
        });
    }

    /** safetensors and model files: both readers, on the same bytes. */
    static void modelFile(byte[] data) {
        Path f = file("fuzz.safetensors", data);
        check(f.toString(), data.length, InvalidModelException.class, () -> SafeTensors.read(f));
        check(f.toString(), data.length, InvalidModelException.class, () -> ModelFile.load(f));
    }

    /** Checkpoints resumed into {@link #checkpointNet()} with {@link #checkpointOptimizer()}. */
    static void checkpoint(byte[] data) {
        Path f = file("fuzz-checkpoint.safetensors", data);
        check(f.toString(), data.length, InvalidModelException.class,
                () -> CheckpointFile.read(f, checkpointNet(), checkpointOptimizer(), 0, false));
    }

    /** IDX images, plain or gzip: the whole file, and the image shape from its header alone. */
    static void idx(byte[] data) {
        Path f = file("fuzz-idx3-ubyte", data);
        check(f.toString(), data.length, InvalidDataException.class, () -> IdxReader.readImages(f));
        Path t = file("train-images-fuzz", data);
        check(t.toString(), data.length, InvalidDataException.class, () -> IdxReader.trainingImageShape(DIR));
    }

    /** CSV with the options detected, and read as a headerless regression on column 0. */
    static void csv(byte[] data) {
        check("fuzz.csv", data.length, InvalidDataException.class, () -> {
            Dataset d = CsvReader.read(new ByteArrayInputStream(data), "fuzz.csv", CsvReader.Options.defaults());
            if (d.size() < 1) throw new AssertionError("an empty dataset was returned");
        });
        check("fuzz.csv", data.length, InvalidDataException.class, () -> CsvReader.read(new ByteArrayInputStream(data), "fuzz.csv",
                CsvReader.Options.defaults().withHeader(false).withLabel("0").withTask(CsvReader.Task.REGRESSION)));
    }
}
