package dev.jgrad.data;

import dev.jgrad.io.HeapMeter;
import dev.jgrad.tensor.DoubleTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-made hostile IDX and CSV files, compressed and plain: each is refused with
 * {@link InvalidDataException} naming the file (and the line), having inflated and allocated no
 * more than a small part of what the file would expand to.
 */
class HostileDataFilesTest {
    @TempDir
    Path dir;

    /** A gzip file of {@code head} followed by {@code zeros} zero bytes (which deflate 1000 to 1). */
    private Path gzip(String name, byte[] head, long zeros) throws IOException {
        Path f = dir.resolve(name);
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f), 1 << 16)) {
            o.write(head);
            byte[] z = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= z.length) o.write(z, 0, (int) Math.min(z.length, left));
        }
        return f;
    }

    private static String refusedIdx(Path f) {
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aGzipWithAWrongHeaderIsNotInflated() throws IOException {
        Path f = gzip("bomb-idx3-ubyte.gz", new byte[]{1, 2, 3, 4}, 64L << 20);
        assertTrue(Files.size(f) < 100_000, Files.size(f) + " bytes");
        assertTrue(refusedIdx(f).contains("bad magic number 01 02 03 04"));
        long bytes = HeapMeter.allocatedBy(() -> IdxReader.readImages(f));
        assertTrue(bytes < 2_000_000, bytes + " bytes allocated for a file that inflates to 64 MiB");
    }

    @Test
    void inflationStopsAtWhatTheHeaderAnnounces() throws IOException {
        Path f = gzip("long-idx3-ubyte.gz", DataReadersTest.idx(8, new int[]{10, 10, 10}, new byte[0]), 64L << 20);
        assertTrue(refusedIdx(f).contains("bytes after the 1000 data bytes ([10, 10, 10]) the header promises"));
        long bytes = HeapMeter.allocatedBy(() -> IdxReader.readImages(f));
        assertTrue(bytes < 2_000_000, bytes + " bytes allocated");
    }

    @Test
    void headerSizesAreCheckedBeforeAllocating() throws IOException {
        // 60000 × 28 × 28 promised by a 1 KB gzip: more than deflate can hold in that size.
        Path lie = gzip("lie-idx3-ubyte.gz", DataReadersTest.idx(8, new int[]{60000, 28, 28}, new byte[0]), 1000);
        assertTrue(refusedIdx(lie).contains("more than " + Files.size(lie) + " bytes of gzip can hold"), refusedIdx(lie));
        long bytes = HeapMeter.allocatedBy(() -> IdxReader.readImages(lie));
        assertTrue(bytes < 2_000_000, bytes + " bytes allocated");

        Path huge = dir.resolve("huge-idx3-ubyte");
        Files.write(huge, DataReadersTest.idx(8, new int[]{65536, 65536, 65536}, new byte[16]));
        assertTrue(refusedIdx(huge).contains("the header's dimensions [65536, 65536]... hold more than 2147483639 bytes"), refusedIdx(huge));
        Path plain = dir.resolve("plain-idx3-ubyte");
        Files.write(plain, DataReadersTest.idx(8, new int[]{1000, 1000, 1000}, new byte[16]));
        assertTrue(refusedIdx(plain).contains("truncated: the header promises 1000000000 data bytes ([1000, 1000, 1000]), the file holds 16"));
        Path zero = dir.resolve("zero-idx3-ubyte");
        Files.write(zero, DataReadersTest.idx(8, new int[]{0, 28, 28}, new byte[0]));
        assertTrue(refusedIdx(zero).contains("dimension 0 is 0: the file holds no records"));
        Path neg = dir.resolve("neg-idx3-ubyte");
        Files.write(neg, DataReadersTest.idx(8, new int[]{-1, 28, 28}, new byte[0]));
        assertTrue(refusedIdx(neg).contains("dimension 0 is 4294967295, more than 2^31 - 1"));
        Path rank = dir.resolve("rank-idx3-ubyte");
        Files.write(rank, new byte[]{0, 0, 8, 9, 0, 0, 0, 1});
        assertTrue(refusedIdx(rank).contains("9 dimensions in the header"));
        Path cut = dir.resolve("cut-idx3-ubyte");
        Files.write(cut, new byte[]{0, 0, 8, 3, 0, 0});
        assertTrue(refusedIdx(cut).contains("truncated header (6 bytes, 16 needed)"));
        Path corrupt = gzip("corrupt-idx3-ubyte.gz", DataReadersTest.idx(8, new int[]{2, 2, 2}, new byte[8]), 0);
        byte[] c = Files.readAllBytes(corrupt);
        c[c.length - 5] ^= 0x40;      // the stored length of the uncompressed data
        Files.write(corrupt, c);
        assertTrue(refusedIdx(corrupt).contains("corrupt gzip data"), refusedIdx(corrupt));
    }

    @Test
    void theTrainingImageShapeComesFromTheHeaderAloneAndIsCheckedAsTheFileWouldBe() throws IOException {
        // A header announcing 60000 × 28 × 28 and a body far too short: the shape needs the header only.
        Path idx = Files.createDirectories(dir.resolve("idx"));
        gzip("idx/train-images-idx3-ubyte.gz", DataReadersTest.idx(8, new int[]{60000, 28, 28}, new byte[0]), 10);
        assertArrayEquals(new int[]{28, 28}, IdxReader.trainingImageShape(idx));
        Path flat = Files.createDirectories(dir.resolve("flat"));
        Files.write(flat.resolve("train-images-idx2-ubyte"), DataReadersTest.idx(8, new int[]{3, 5}, new byte[15]));
        assertArrayEquals(new int[]{5}, IdxReader.trainingImageShape(flat));

        Path bad = Files.createDirectories(dir.resolve("bad"));
        Path f = bad.resolve("train-images-idx3-ubyte");
        Files.write(f, DataReadersTest.idx(8, new int[]{65536, 65536, 65536}, new byte[16]));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> IdxReader.trainingImageShape(bad));
        assertTrue(e.getMessage().startsWith(f + ": the header's dimensions [65536, 65536]..."), e.getMessage());
        Files.write(f, DataReadersTest.idx(8, new int[]{10}, new byte[10]));
        e = assertThrows(InvalidDataException.class, () -> IdxReader.trainingImageShape(bad));
        assertTrue(e.getMessage().equals(f + ": expected 2 or 3 dimensions (N × H × W), found 1"), e.getMessage());
        e = assertThrows(InvalidDataException.class, () -> IdxReader.trainingImageShape(dir.resolve("none")));
        assertTrue(e.getMessage().endsWith(": not a directory"), e.getMessage());
    }

    private static String refusedCsv(Path f) {
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f, CsvReader.Options.defaults()));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().length() < 400, "one line of sensible length: " + e.getMessage().length());
        return e.getMessage();
    }

    @Test
    void aCompressedCsvOfOneLongLineStopsAtTheRecordLimit() throws IOException {
        Path f = dir.resolve("long.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f), 1 << 16)) {
            o.write("a,b\n1,2\n".getBytes(StandardCharsets.US_ASCII));
            byte[] ones = new byte[1 << 20];
            java.util.Arrays.fill(ones, (byte) '1');
            for (int i = 0; i < 64; i++) o.write(ones);
        }
        assertTrue(Files.size(f) < 1_000_000, Files.size(f) + " bytes");
        assertTrue(refusedCsv(f).contains(": line 3: a record longer than " + CsvReader.MAX_RECORD_LENGTH + " characters"), refusedCsv(f));
        long bytes = HeapMeter.allocatedBy(() -> CsvReader.read(f, CsvReader.Options.defaults()));
        // The record buffer up to the limit (4 Mi characters, one byte each), not the 64 MiB line.
        assertTrue(bytes < 40_000_000, bytes + " bytes allocated");
    }

    @Test
    void bytesThatAreNotUtf8AreNamedWithTheirLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("x,y\n".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 20_000; i++) b.writeBytes((i + ",1\n").getBytes(StandardCharsets.US_ASCII));   // past the 64 KiB buffers
        b.writeBytes(new byte[]{'7', ',', (byte) 0xC3, '\n'});
        Path f = dir.resolve("latin.csv");
        Files.write(f, b.toByteArray());
        assertTrue(refusedCsv(f).contains(": line 20002: bytes that are not UTF-8 text"), refusedCsv(f));
        Path g = dir.resolve("overlong.csv");
        Files.write(g, new byte[]{'1', ',', '2', '\n', '3', ',', (byte) 0xC0, (byte) 0x80, '\n'});
        assertTrue(refusedCsv(g).contains(": line 2: bytes that are not UTF-8 text"), refusedCsv(g));
    }

    @Test
    void brokenStructureIsNamedWithItsLine() throws IOException {
        Path q = dir.resolve("quote.csv");
        Files.writeString(q, "a,b\n1,2\n\"3,4\n5,6\n");
        assertTrue(refusedCsv(q).contains(": line 3: a quoted field is never closed"), refusedCsv(q));
        Path gz = dir.resolve("cut.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            for (int i = 0; i < 5000; i++) o.write((i + "," + (i % 3) + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] c = Files.readAllBytes(gz);
        Files.write(gz, java.util.Arrays.copyOf(c, c.length / 2));
        assertTrue(refusedCsv(gz).contains("the gzip stream is truncated"), refusedCsv(gz));
        Path longField = dir.resolve("field.csv");
        Files.writeString(longField, "a,b\n1,2\n" + "9".repeat(5000) + "x,1\n");
        String m = refusedCsv(longField);
        assertTrue(m.contains("line 3") && m.contains("is not a finite number"), m);
    }

    @Test
    void lineNumbersFollowQuotedLineBreaksAndCrLf() throws IOException {
        Path f = dir.resolve("crlf.csv");
        Files.writeString(f, "\uFEFFa,b,label\r\n1,2,\"x\r\ny\"\r\n\r\n3,4,x\r\n5,oops,x\r\n");
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> CsvReader.read(f, CsvReader.Options.defaults()));
        assertTrue(e.getMessage().contains("record 3 (line 6), field 'b'"), e.getMessage());
        Path g = dir.resolve("ok.csv");
        Files.writeString(g, "\uFEFFa,b,label\r\n1,2,\"x\r\ny\"\r\n\r\n3,4,x\r\n");
        Dataset d = CsvReader.read(g, CsvReader.Options.defaults());
        assertEquals(java.util.List.of("x", "x\ny"), d.classNames());
        assertArrayEquals(new double[]{1, 2, 3, 4}, d.features().toDoubleArray());
        Path m = dir.resolve("m.csv");
        Files.writeString(m, "1,2\n\n3,4\n");
        DoubleTensor t = CsvReader.readMatrix(m);
        assertArrayEquals(new double[]{1, 2, 3, 4}, t.toDoubleArray());
    }
}
