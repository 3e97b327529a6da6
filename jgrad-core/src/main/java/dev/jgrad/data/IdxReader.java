package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

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

    /** Most data bytes one IDX file may hold: they are read into one Java array. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;
    /**
     * How much deflate can expand at most (1032:1, reached by long runs of one byte): a gzip
     * file whose header promises more than its compressed size times this cannot hold that much,
     * and is refused before anything is allocated or inflated.
     */
    static final long MAX_DEFLATE_RATIO = 1032;

    /**
     * Reads the header first, checks it, and only then reads the body: exactly the bytes the
     * header announces (checked against the file's size, or the most its compressed size can
     * inflate to), then one byte more to make sure the file ends there. A wrong header costs a
     * few bytes of inflation, a lying one at most what it announced.
     */
    static Idx readIdx(Path file) throws IOException {
        return open(file, (in, size, gzip) -> readIdx(file, in, size, gzip));
    }

    /**
     * The shape of one image (H × W, or d) of an IDX directory's training set, from its image
     * file's header alone, checked as the whole file would be: what a caller can know of the
     * data before reading it.
     */
    public static int[] trainingImageShape(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new InvalidDataException(dir + ": not a directory");
        Path images = find(dir, "train-images");
        int[] dims = open(images, (in, size, gzip) -> readDims(images, in));
        if (dims.length != 3 && dims.length != 2) {
            throw new InvalidDataException(images + ": expected 2 or 3 dimensions (N × H × W), found " + dims.length);
        }
        return Arrays.copyOfRange(dims, 1, dims.length);
    }

    /** What is read from an IDX file's stream, plain or inflated. */
    private interface Contents<T> {
        T read(InputStream in, long size, boolean gzip) throws IOException;
    }

    /** Opens an IDX file, inflated when it is gzip, for {@code contents}; a truncated or corrupt stream is an {@link InvalidDataException}. */
    private static <T> T open(Path file, Contents<T> contents) throws IOException {
        if (!Files.isRegularFile(file)) throw new InvalidDataException(file + ": no such file");
        long size = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            try {
                InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
                return contents.read(in, size, gzip);
            } catch (EOFException e) {
                throw new InvalidDataException(file + ": truncated " + (gzip ? "gzip stream" : "file"), e);
            } catch (ZipException e) {
                throw new InvalidDataException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
            }
        }
    }

    /** An IDX header's dimensions, each checked, together holding at most {@link #MAX_BYTES}. */
    private static int[] readDims(Path file, InputStream in) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) throw new InvalidDataException(file + ": " + magic.length + " bytes, too short for an IDX header");
        if (magic[0] != 0 || magic[1] != 0) {
            throw new InvalidDataException(String.format("%s: bad magic number %02x %02x %02x %02x (an IDX file starts with 00 00)",
                    file, magic[0], magic[1], magic[2], magic[3]));
        }
        if (magic[2] != 0x08) {
            throw new InvalidDataException(String.format("%s: element type 0x%02x is not supported (only 0x08, unsigned bytes)",
                    file, magic[2]));
        }
        int rank = magic[3] & 0xFF;
        if (rank < 1 || rank > 4) throw new InvalidDataException(file + ": " + rank + " dimensions in the header (1 to 4 expected)");
        byte[] d = in.readNBytes(4 * rank);
        if (d.length < 4 * rank) {
            throw new InvalidDataException(file + ": truncated header (" + (4 + d.length) + " bytes, " + (4 + 4 * rank) + " needed)");
        }
        int[] dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++) {
            int o = 4 * i;
            dims[i] = ((d[o] & 0xFF) << 24) | ((d[o + 1] & 0xFF) << 16) | ((d[o + 2] & 0xFF) << 8) | (d[o + 3] & 0xFF);
            if (dims[i] <= 0) {
                throw new InvalidDataException(file + ": dimension " + i + " is " + (dims[i] & 0xFFFFFFFFL)
                        + (dims[i] == 0 ? ": the file holds no records" : ", more than 2^31 - 1"));
            }
            expected *= dims[i];      // exact: at most four factors below 2^31 each, checked after each step
            if (expected > MAX_BYTES) {
                throw new InvalidDataException(file + ": the header's dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + (i + 1 < rank ? "..." : "") + " hold more than " + MAX_BYTES + " bytes");
            }
        }
        return dims;
    }

    private static Idx readIdx(Path file, InputStream in, long size, boolean gzip) throws IOException {
        int[] dims = readDims(file, in);
        int header = 4 + 4 * dims.length;
        long expected = 1;
        for (int v : dims) expected *= v;   // at most MAX_BYTES: readDims checked it
        String promise = expected + " data bytes (" + Arrays.toString(dims) + ")";
        if (!gzip && expected > size - header) {
            throw new InvalidDataException(file + ": truncated: the header promises " + promise + ", the file holds " + (size - header));
        }
        if (!gzip && expected < size - header) {
            throw new InvalidDataException(file + ": " + (size - header - expected) + " bytes after the " + promise + " the header promises");
        }
        if (gzip && expected > (size - 18) * MAX_DEFLATE_RATIO) {
            throw new InvalidDataException(file + ": the header promises " + promise + ", more than " + size
                    + " bytes of gzip can hold (truncated or not an IDX file)");
        }
        byte[] data = in.readNBytes((int) expected);
        if (data.length < expected) {
            throw new InvalidDataException(file + ": truncated: the header promises " + promise + ", the file holds " + data.length);
        }
        if (in.read() >= 0) {
            throw new InvalidDataException(file + ": bytes after the " + promise + " the header promises");
        }
        return new Idx(dims, data);
    }
}
