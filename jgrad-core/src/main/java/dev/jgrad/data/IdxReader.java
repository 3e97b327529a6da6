package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST, gzip-compressed or not: a magic number (two
 * zero bytes, a type byte 0x08 for unsigned bytes, the number of dimensions), the dimensions as
 * big-endian 32-bit integers, then the data. Everything is checked: the magic, the rank, that
 * the file holds exactly the bytes its dimensions promise, and that labels match images in count.
 */
public final class IdxReader {
    private IdxReader() {
    }

    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final List<String> DIGIT_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /** A training and a test set. */
    public record TrainTest(Dataset train, Dataset test) {
    }

    /** One IDX file: its dimensions and its bytes. */
    record Idx(int[] dims, byte[] data) {
    }

    /**
     * Reads a directory holding {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]},
     * {@code t10k-images-idx3-ubyte[.gz]} and {@code t10k-labels-idx1-ubyte[.gz]}. Class names are
     * Fashion-MNIST's when the directory's path says "fashion", digits otherwise.
     */
    public static TrainTest readDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new InvalidDataException(dir + ": not a directory");
        Path trainImages = find(dir, "train-images"), trainLabels = find(dir, "train-labels");
        return new TrainTest(read(trainImages, trainLabels, name(dir) + " train", classes(dir)), readTestSet(dir));
    }

    /** Only the test part (t10k-*) of an IDX directory: what evaluating a model needs. */
    public static Dataset readTestSet(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new InvalidDataException(dir + ": not a directory");
        Path testImages = find(dir, "t10k-images"), testLabels = find(dir, "t10k-labels");
        return read(testImages, testLabels, name(dir) + " test", classes(dir));
    }

    private static List<String> classes(Path dir) {
        return dir.toAbsolutePath().toString().toLowerCase(Locale.ROOT).contains("fashion") ? FASHION_CLASSES : DIGIT_CLASSES;
    }

    private static String name(Path dir) {
        return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
    }

    /** True when dir looks like an IDX directory (it has train-images). */
    public static boolean isIdxDirectory(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try {
            find(dir, "train-images");
            return true;
        } catch (IOException | InvalidDataException e) {
            return false;
        }
    }

    private static Path find(Path dir, String prefix) throws IOException {
        List<Path> hits = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, prefix + "*")) {
            for (Path p : ds) hits.add(p);
        }
        if (hits.isEmpty()) throw new InvalidDataException(dir + ": no " + prefix + "* file");
        hits.sort(null);
        return hits.getFirst();
    }

    /** Images (N × H × W, or N × d) and their labels as a classification dataset. */
    public static Dataset read(Path images, Path labels, String name, List<String> classes) throws IOException {
        Idx img = readIdx(images);
        Idx lab = readIdx(labels);
        if (img.dims.length != 3 && img.dims.length != 2) {
            throw new InvalidDataException(images + ": expected 2 or 3 dimensions (N × H × W), found " + img.dims.length);
        }
        if (lab.dims.length != 1) {
            throw new InvalidDataException(labels + ": expected 1 dimension (N labels), found " + lab.dims.length);
        }
        int n = img.dims[0];
        if (lab.dims[0] != n) {
            throw new InvalidDataException(labels + " has " + lab.dims[0] + " labels but " + images + " has " + n + " images");
        }
        int d = img.data.length / Math.max(1, n);
        float[] f = new float[n * d];
        for (int i = 0; i < f.length; i++) f[i] = img.data[i] & 0xFF;
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            int v = lab.data[i] & 0xFF;
            if (v >= classes.size()) {
                throw new InvalidDataException(labels + ": record " + i + " has label " + v + ", but there are only "
                        + classes.size() + " classes");
            }
            t[i] = v;
        }
        int[] imageShape = img.dims.length == 3 ? new int[]{img.dims[1], img.dims[2]} : null;
        return new Dataset(name, new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, 1)),
                classes, imageShape);
    }

    /** Images alone (for prediction): N × (H·W) raw pixel values. */
    public static FloatTensor readImages(Path images) throws IOException {
        Idx img = readIdx(images);
        if (img.dims.length != 3 && img.dims.length != 2) {
            throw new InvalidDataException(images + ": expected 2 or 3 dimensions (N × H × W), found " + img.dims.length);
        }
        int n = img.dims[0], d = img.data.length / Math.max(1, n);
        float[] f = new float[n * d];
        for (int i = 0; i < f.length; i++) f[i] = img.data[i] & 0xFF;
        return new FloatTensor(f, 0, Shape.of(n, d));
    }

    static Idx readIdx(Path file) throws IOException {
        byte[] bytes = readMaybeGzip(file);
        if (bytes.length < 4) throw new InvalidDataException(file + ": " + bytes.length + " bytes, too short for an IDX header");
        if (bytes[0] != 0 || bytes[1] != 0) {
            throw new InvalidDataException(String.format("%s: bad magic number %02x %02x %02x %02x (an IDX file starts with 00 00)",
                    file, bytes[0], bytes[1], bytes[2], bytes[3]));
        }
        if (bytes[2] != 0x08) {
            throw new InvalidDataException(String.format("%s: element type 0x%02x is not supported (only 0x08, unsigned bytes)",
                    file, bytes[2]));
        }
        int rank = bytes[3] & 0xFF;
        if (rank < 1 || rank > 4) throw new InvalidDataException(file + ": " + rank + " dimensions in the header");
        int header = 4 + 4 * rank;
        if (bytes.length < header) {
            throw new InvalidDataException(file + ": truncated header (" + bytes.length + " bytes, " + header + " needed)");
        }
        int[] dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++) {
            int o = 4 + 4 * i;
            dims[i] = ((bytes[o] & 0xFF) << 24) | ((bytes[o + 1] & 0xFF) << 16) | ((bytes[o + 2] & 0xFF) << 8) | (bytes[o + 3] & 0xFF);
            if (dims[i] < 0) throw new InvalidDataException(file + ": dimension " + i + " is negative");
            expected *= dims[i];
        }
        long found = bytes.length - header;
        if (found < expected) {
            throw new InvalidDataException(file + ": truncated: the header promises " + expected + " data bytes ("
                    + java.util.Arrays.toString(dims) + "), the file holds " + found);
        }
        if (found > expected) {
            throw new InvalidDataException(file + ": " + (found - expected) + " bytes after the " + expected
                    + " data bytes the header promises (" + java.util.Arrays.toString(dims) + ")");
        }
        byte[] data = java.util.Arrays.copyOfRange(bytes, header, bytes.length);
        return new Idx(dims, data);
    }

    static byte[] readMaybeGzip(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new InvalidDataException(file + ": no such file");
        byte[] raw = Files.readAllBytes(file);
        if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1f && (raw[1] & 0xFF) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
                in.transferTo(out);
                return out.toByteArray();
            } catch (java.io.EOFException e) {
                throw new InvalidDataException(file + ": truncated gzip stream", e);
            } catch (java.util.zip.ZipException e) {
                throw new InvalidDataException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
            }
        }
        return raw;
    }
}
