package dev.jgrad.data;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataReadersTest {
    @TempDir
    Path dir;

    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(0);
        b.write(type);
        b.write(dims.length);
        for (int d : dims) {
            b.write(d >>> 24);
            b.write(d >>> 16);
            b.write(d >>> 8);
            b.write(d);
        }
        b.writeBytes(data);
        return b.toByteArray();
    }

    Path write(String name, byte[] bytes, boolean gzip) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(bytes);
        }
        return p;
    }

    static byte[] pixels(int n) {
        byte[] b = new byte[n * 4];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 37);
        return b;
    }

    @Test
    void readsIdxPlainAndGzipped() throws IOException {
        for (boolean gz : new boolean[]{false, true}) {
            Path img = write("img" + gz, idx(8, new int[]{3, 2, 2}, pixels(3)), gz);
            Path lab = write("lab" + gz, idx(8, new int[]{3}, new byte[]{2, 0, 9}), gz);
            Dataset d = IdxReader.read(img, lab, "t", IdxReader.DIGIT_CLASSES);
            assertEquals(3, d.size());
            assertEquals(4, d.featureCount());
            assertEquals((37 * 5) & 0xFF, d.features().get(5), 0);
            assertEquals(9, d.label(2));
            assertArrayEquals(new int[]{2, 2}, d.imageShape());
        }
    }

    @Test
    void truncatedIdxNamesTheFileAndTheSizes() throws IOException {
        byte[] full = idx(8, new int[]{3, 2, 2}, pixels(3));
        Path img = write("train-images-idx3-ubyte", java.util.Arrays.copyOf(full, full.length - 5), false);
        Path lab = write("labels", idx(8, new int[]{3}, new byte[]{1, 2, 3}), false);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> IdxReader.read(img, lab, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte") && e.getMessage().contains("truncated")
                && e.getMessage().contains("12") && e.getMessage().contains("7"), e.getMessage());
        // A gzip stream cut short.
        Path gz = write("cut.gz", full, true);
        byte[] cut = Files.readAllBytes(gz);
        Files.write(gz, java.util.Arrays.copyOf(cut, cut.length - 12));
        e = assertThrows(InvalidDataException.class, () -> IdxReader.read(gz, lab, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("cut.gz"), e.getMessage());
    }

    @Test
    void labelCountMismatchBadMagicAndBadLabels() throws IOException {
        Path img = write("img", idx(8, new int[]{3, 2, 2}, pixels(3)), false);
        Path lab = write("lab", idx(8, new int[]{2}, new byte[]{1, 2}), false);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> IdxReader.read(img, lab, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("2 labels") && e.getMessage().contains("3 images"), e.getMessage());
        Path bad = write("bad", new byte[]{1, 2, 8, 1, 0, 0, 0, 0}, false);
        e = assertThrows(InvalidDataException.class, () -> IdxReader.read(img, bad, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("magic"), e.getMessage());
        Path floats = write("floats", idx(0x0D, new int[]{1}, new byte[4]), false);
        e = assertThrows(InvalidDataException.class, () -> IdxReader.read(img, floats, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("0x0d"), e.getMessage());
        Path big = write("big", idx(8, new int[]{3}, new byte[]{1, 12, 3}), false);
        e = assertThrows(InvalidDataException.class, () -> IdxReader.read(img, big, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("record 1") && e.getMessage().contains("12"), e.getMessage());
        Path extra = write("extra", idx(8, new int[]{3}, new byte[]{1, 2, 3, 4}), false);
        e = assertThrows(InvalidDataException.class, () -> IdxReader.read(img, extra, "t", IdxReader.DIGIT_CLASSES));
        assertTrue(e.getMessage().contains("1 bytes after"), e.getMessage());
    }

    @Test
    void readsAnIdxDirectory() throws IOException {
        Path fashion = Files.createDirectory(dir.resolve("fashion"));
        Files.write(fashion.resolve("train-images-idx3-ubyte.gz"), gzip(idx(8, new int[]{2, 2, 2}, pixels(2))));
        Files.write(fashion.resolve("train-labels-idx1-ubyte.gz"), gzip(idx(8, new int[]{2}, new byte[]{0, 9})));
        Files.write(fashion.resolve("t10k-images-idx3-ubyte.gz"), gzip(idx(8, new int[]{1, 2, 2}, pixels(1))));
        Files.write(fashion.resolve("t10k-labels-idx1-ubyte.gz"), gzip(idx(8, new int[]{1}, new byte[]{3})));
        assertTrue(IdxReader.isIdxDirectory(fashion));
        IdxReader.TrainTest tt = IdxReader.readDirectory(fashion);
        assertEquals(2, tt.train().size());
        assertEquals(1, tt.test().size());
        assertEquals("Ankle boot", tt.train().classNames().get(tt.train().label(1)));
        // The test part alone (what eval and predict read) without touching the training files.
        Files.delete(fashion.resolve("train-images-idx3-ubyte.gz"));
        Dataset test = IdxReader.readTestSet(fashion);
        assertEquals(1, test.size());
        assertEquals("Dress", test.classNames().get(test.label(0)));
        assertEquals("fashion test", test.name());
        assertTrue(!IdxReader.isIdxDirectory(dir));
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }

    @Test
    void csvWithHeaderCategoricalLabelByName() throws IOException {
        Path f = dir.resolve("iris.csv");
        Files.writeString(f, "sepal,\"petal, width\",species,extra\n1.5,2,setosa,0\n3,4.25,virginica,1\n\n5,6,setosa,2\n");
        Dataset d = CsvReader.read(f, CsvReader.Options.defaults().withLabel("species"));
        assertEquals(3, d.size());
        assertEquals(3, d.featureCount());
        assertEquals(List.of("setosa", "virginica"), d.classNames());
        assertEquals(1, d.label(1));
        assertEquals(4.25, d.features().get(1, 1), 0);
        assertEquals(1, d.features().get(1, 2), 0);
    }

    @Test
    void csvWithoutHeaderLabelByIndexAndRegression() throws IOException {
        Path f = dir.resolve("r.csv");
        Files.writeString(f, "0.5,1,2.25\n1.5,2,3.75\n");
        Dataset d = CsvReader.read(f, CsvReader.Options.defaults().withLabel("2"));
        assertTrue(!d.isClassification());
        assertEquals(3.75, d.targets().get(1), 0);
        Dataset c = CsvReader.read(f, CsvReader.Options.defaults().withLabel("1"));
        assertEquals(List.of("1", "2"), c.classNames());
        Dataset forced = CsvReader.read(f, CsvReader.Options.defaults().withLabel("1").withTask(CsvReader.Task.REGRESSION));
        assertTrue(!forced.isClassification());
    }

    @Test
    void csvErrorsNameFileRecordAndField() throws IOException {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "a,b,label\n1,2,x\n3,4\n");
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f, CsvReader.Options.defaults()));
        assertTrue(e.getMessage().contains("bad.csv") && e.getMessage().contains("record 2") && e.getMessage().contains("line 3")
                && e.getMessage().contains("2 fields, expected 3"), e.getMessage());
        Files.writeString(f, "a,b,label\n1,2,x\n3,oops,y\n");
        e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f, CsvReader.Options.defaults()));
        assertTrue(e.getMessage().contains("record 2") && e.getMessage().contains("field 'b'") && e.getMessage().contains("'oops'"),
                e.getMessage());
        e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f, CsvReader.Options.defaults().withLabel("target")));
        assertTrue(e.getMessage().contains("no label column 'target'") && e.getMessage().contains("a, b, label"), e.getMessage());
        Files.writeString(f, "1,2,cat\n3,4,dog\n");
        e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f,
                CsvReader.Options.defaults().withHeader(false).withClasses(List.of("cat", "bird"))));
        assertTrue(e.getMessage().contains("record 2") && e.getMessage().contains("'dog'"), e.getMessage());
        Files.writeString(f, "1,2,NaN\n");
        e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f, CsvReader.Options.defaults().withHeader(false).withLabel("0")));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("column 2"), e.getMessage());
    }

    @Test
    void builtinDigits() {
        Dataset d = BuiltinData.digits();
        assertEquals(1797, d.size());
        assertEquals(64, d.featureCount());
        assertEquals(10, d.classCount());
        assertEquals(0, d.label(0));
        assertEquals(16, d.features().get(0, 2) + 11, 0);   // the first digit's third pixel is 5
    }

    @Test
    void normalisersFitOnTrainingDataOnly() {
        Dataset d = BuiltinData.digits();
        Dataset.Split s = d.split(0.2, 7);
        Normalizer n = Normalizer.fit(Normalizer.Kind.STANDARD, s.train().features());
        Dataset t = n.apply(s.train());
        double sum = 0;
        for (int i = 0; i < t.size(); i++) sum += t.features().get(i, 20);
        assertEquals(0, sum / t.size(), 1e-5);
        Normalizer mm = Normalizer.fit(Normalizer.Kind.MINMAX, s.train().features());
        minMaxMapsTheTrainingRangeOntoTheUnitInterval(mm, s.train().features(), s.validation().features());
        assertEquals(1 / 16.0, mm.scale()[2], 1e-12);
        assertEquals(1, mm.scale()[0], 0);                  // a constant column is left unscaled
        Normalizer px = Normalizer.fit(Normalizer.Kind.PIXELS, s.train().features());
        assertEquals(1 / 255.0, px.scale()[5], 0);
        assertThrows(IllegalArgumentException.class, () -> Normalizer.Kind.parse("zscore"));
    }

    /**
     * Min-max fitted on the training split maps that split onto [0, 1], each feature's least
     * value to exactly 0 and its greatest to 1 (a constant feature to 0). Validation values may
     * fall outside [0, 1]; they must be (x − min)·scale with the training split's min and scale,
     * here found independently of the normaliser.
     */
    static void minMaxMapsTheTrainingRangeOntoTheUnitInterval(Normalizer mm, FloatTensor train, FloatTensor validation) {
        FloatTensor t = (FloatTensor) train.copy(), v = (FloatTensor) validation.copy();
        mm.apply(t);
        mm.apply(v);
        int d = train.cols();
        for (int j = 0; j < d; j++) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < train.rows(); i++) {
                lo = Math.min(lo, train.get(i * d + j));
                hi = Math.max(hi, train.get(i * d + j));
            }
            double scale = hi > lo ? 1 / (hi - lo) : 1;
            assertEquals(lo, mm.offset()[j], 0, "feature " + j);
            assertEquals(scale, mm.scale()[j], 0, "feature " + j);
            double least = Double.POSITIVE_INFINITY, greatest = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < train.rows(); i++) {
                double y = t.get(i * d + j);
                assertTrue(y >= 0 && y <= 1, "training value " + y + " of feature " + j + " outside [0, 1]");
                least = Math.min(least, y);
                greatest = Math.max(greatest, y);
            }
            assertEquals(0, least, 0, "feature " + j);
            assertEquals(hi > lo ? 1 : 0, greatest, 0, "feature " + j);
            for (int i = 0; i < validation.rows(); i++) {
                float want = (float) ((validation.get(i * d + j) - lo) * scale);
                assertEquals(want, v.get(i * d + j), 0, "validation row " + i + ", feature " + j);
            }
        }
    }

    @Test
    void splitsAndBatchesAreSeeded() {
        Dataset d = BuiltinData.digits();
        Dataset.Split a = d.split(0.25, 3), b = d.split(0.25, 3), c = d.split(0.25, 4);
        assertEquals(449, a.validation().size());
        assertEquals(1348, a.train().size());
        assertArrayEquals(a.validation().features().data(), b.validation().features().data());
        assertNotEquals(a.validation().label(0) * 1000 + a.validation().label(1) * 100 + a.validation().label(2),
                c.validation().label(0) * 1000 + c.validation().label(1) * 100 + c.validation().label(2) + 0.5);
        Batches bat = new Batches(d, 500, true, new Rng(1), DType.F32);
        assertEquals(4, bat.count());
        bat.startEpoch();
        Set<Float> firsts = new HashSet<>();
        int total = 0;
        for (int i = 0; i < bat.count(); i++) {
            bat.load(i);
            total += bat.features().rows();
            firsts.add((float) bat.features().get(0));
        }
        assertEquals(1797, total);                          // the last partial batch (297) is kept
        bat.load(3);
        assertEquals(297, bat.features().rows());
        Batches again = new Batches(d, 500, true, new Rng(1), DType.F32);
        again.startEpoch();
        again.load(0);
        bat.load(0);
        assertArrayEquals(bat.features().toDoubleArray(), again.features().toDoubleArray());
    }
}
