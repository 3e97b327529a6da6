package dev.jgrad.io;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each
 * tensor name to {dtype, shape, data_offsets} (plus string-to-string {@code __metadata__}),
 * then the little-endian tensor bytes. Any safetensors reader opens what this writes. jgrad
 * adds a CRC-32C of the data bytes to the metadata and checks it when present.
 *
 * <p>Reading trusts nothing in the file. The header length is checked against the file's size
 * and {@link #MAX_HEADER} before the header is read; the header is parsed by the bounded
 * {@link Json} reader; every entry's dtype, shape and offsets are checked in 64-bit exact
 * arithmetic (the shape's element count times the dtype's width must equal the span of its
 * offsets), and the spans, in offset order, must tile the data exactly: the first starts at 0,
 * each starts where the one before ends (no overlap, no gap), the last ends at the end of the
 * file. Only then is anything copied. The data is mapped rather than read, so a file of any size
 * (beyond 2 GiB too) costs the heap only the tensors asked for, each copied once from the file.
 * Every defect is an {@link InvalidModelException} naming the file and the tensor or field.
 */
public final class SafeTensors {
    private SafeTensors() {
    }

    public static final String CRC_KEY = "crc32c";
    /** Largest header accepted, in bytes (the reference implementation's limit). */
    public static final long MAX_HEADER = 100_000_000L;
    /** Most elements in one tensor: the longest Java array. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Tensors in file order and the metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Tensor require(String name, Path file) {
            Tensor t = tensors.get(name);
            if (t == null) throw new InvalidModelException(file + ": tensor '" + name + "' is missing");
            return t;
        }
    }

    /** Writes atomically; the metadata gains the CRC of the data. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        long total = 0;
        for (Tensor t : tensors.values()) total += (long) t.size() * t.dtype().bytes();
        if (total > Integer.MAX_VALUE) throw new IOException(file + ": " + total + " bytes of tensors is more than one file section holds");
        ByteBuffer data = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        header.put("__metadata__", meta);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long begin = data.position();
            switch (t) {
                case FloatTensor f -> data.asFloatBuffer().put(f.data(), f.offset(), f.size());
                case DoubleTensor d -> data.asDoubleBuffer().put(d.data(), d.offset(), d.size());
            }
            data.position((int) (begin + (long) t.size() * t.dtype().bytes()));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().name());
            entry.put("shape", t.shape().dims());
            entry.put("data_offsets", List.of(begin, (long) data.position()));
            header.put(e.getKey(), entry);
        }
        CRC32C crc = new CRC32C();
        crc.update(data.array(), 0, data.position());
        meta.put(CRC_KEY, String.format("%08x", crc.getValue()));
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;   // aligned data, as the reference writer does
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        data.flip();
        AtomicFile.write(file, ch -> {
            while (head.hasRemaining()) ch.write(head);
            while (data.hasRemaining()) ch.write(data);
        });
    }

    /** Reads every tensor (each copied once from the mapped file) after checking the whole file. */
    public static Contents read(Path file) throws IOException {
        try (Mapped m = open(file)) {
            m.verifyChecksum();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : m.entries().values()) tensors.put(e.name(), m.tensor(e.name()));
            return new Contents(Collections.unmodifiableMap(tensors), m.metadata());
        }
    }

    /**
     * One tensor's entry in the header, checked against the file: {@code begin} and {@code end}
     * are byte offsets into the data section.
     */
    public record Entry(String name, DType dtype, Shape shape, long begin, long end) {
        /** Bytes the tensor occupies in the file. */
        public long bytes() {
            return end - begin;
        }
    }

    /**
     * Opens a file: reads and checks the header and the layout of every tensor, maps the data,
     * and copies nothing yet. Close it to unmap.
     */
    public static Mapped open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new InvalidModelException(file + ": no such file");
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < 8) throw new InvalidModelException(file + ": " + size + " bytes, too short for a safetensors header");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(file, ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n <= 0 || n > MAX_HEADER || n > size - 8) {
                throw new InvalidModelException(file + ": header length " + n + " does not fit a file of " + size
                        + " bytes (truncated or not a safetensors file; at most " + MAX_HEADER + " header bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(file, ch, hb, 8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(hb.array(), file + ": header");
            } catch (InvalidModelException e) {
                throw new InvalidModelException(e.getMessage().replace(file + ": header: ", file + ": the header is not valid JSON: "));
            }
            long dataLen = size - 8 - n;
            Map<String, String> meta = metadata(file, header);
            Map<String, Entry> entries = entries(file, header, dataLen);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 8 + n, dataLen, arena);
                return new Mapped(file, arena, data, entries, meta);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /**
     * A checked, mapped safetensors file: its entries in file order, its metadata, and each
     * tensor on request. Not for use after {@link #close()}.
     */
    public static final class Mapped implements AutoCloseable {
        private final Path file;
        private final Arena arena;
        private final MemorySegment data;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Mapped(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
            this.file = file;
            this.arena = arena;
            this.data = data;
            this.entries = entries;
            this.metadata = metadata;
        }

        /** The tensors' entries by name, in the order of the header. */
        public Map<String, Entry> entries() {
            return entries;
        }

        /** The {@code __metadata__} strings. */
        public Map<String, String> metadata() {
            return metadata;
        }

        /** Checks the CRC-32C of the data when the metadata holds one. */
        public void verifyChecksum() {
            String crc = metadata.get(CRC_KEY);
            if (crc == null) return;
            CRC32C c = new CRC32C();
            for (long at = 0; at < data.byteSize(); at += 1 << 30) {
                c.update(data.asSlice(at, Math.min(1 << 30, data.byteSize() - at)).asByteBuffer());
            }
            String found = String.format("%08x", c.getValue());
            if (!found.equals(crc)) {
                throw new InvalidModelException(file + ": checksum mismatch (stored " + crc + ", data " + found
                        + "): the file is corrupted");
            }
        }

        /** A new tensor holding the named entry's values, copied once from the file. */
        public Tensor tensor(String name) {
            Entry e = entries.get(name);
            if (e == null) throw new InvalidModelException(file + ": tensor '" + name + "' is missing");
            Tensor t = Tensor.zeros(e.dtype(), e.shape());
            switch (t) {
                case FloatTensor f -> MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                        e.begin(), f.data(), 0, f.size());
                case DoubleTensor d -> MemorySegment.copy(data, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                        e.begin(), d.data(), 0, d.size());
            }
            return t;
        }

        /**
         * Copies the named entry into {@code into}, which must have its shape: straight from the
         * file when the dtypes agree, through a temporary tensor when they do not.
         */
        public void copyInto(String name, Tensor into) {
            Entry e = entries.get(name);
            if (e == null) throw new InvalidModelException(file + ": tensor '" + name + "' is missing");
            if (!e.shape().equals(into.shape())) {
                throw new InvalidModelException(file + ": tensor '" + name + "' has shape " + e.shape() + ", " + into.shape() + " expected");
            }
            switch (into) {
                case FloatTensor f when e.dtype() == DType.F32 -> MemorySegment.copy(data,
                        ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), e.begin(), f.data(), f.offset(), f.size());
                case DoubleTensor d when e.dtype() == DType.F64 -> MemorySegment.copy(data,
                        ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), e.begin(), d.data(), d.offset(), d.size());
                default -> into.copyFrom(tensor(name));
            }
        }

        /** Unmaps the file. */
        @Override
        public void close() {
            arena.close();
        }
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new InvalidModelException(file + ": unexpected end of file");
        }
    }

    private static Map<String, String> metadata(Path file, Map<String, Object> header) {
        Map<String, String> meta = new LinkedHashMap<>();
        Object m = header.get("__metadata__");
        if (m instanceof Map<?, ?> mm) {
            for (Map.Entry<?, ?> e : mm.entrySet()) {
                if (!(e.getValue() instanceof String s)) {
                    throw new InvalidModelException(file + ": metadata value '" + e.getKey() + "' is not a string");
                }
                meta.put(String.valueOf(e.getKey()), s);
            }
        } else if (m != null) {
            throw new InvalidModelException(file + ": __metadata__ is not an object");
        }
        return Collections.unmodifiableMap(meta);
    }

    /** Every entry checked on its own, then all of them together against the data's length. */
    private static Map<String, Entry> entries(Path file, Map<String, Object> header, long dataLen) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            String at = file + ": tensor '" + name + "'";
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new InvalidModelException(at + ": entry is not an object");
            for (Object key : info.keySet()) {
                if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                    throw new InvalidModelException(at + ": unknown field '" + key + "'");
                }
            }
            DType dtype;
            Object dt = info.get("dtype");
            if ("F32".equals(dt)) dtype = DType.F32;
            else if ("F64".equals(dt)) dtype = DType.F64;
            else throw new InvalidModelException(at + " has dtype " + (dt instanceof String s ? s : String.valueOf(dt))
                    + " (F32 or F64 expected)");
            long[] dims = longs(at, "shape", info.get("shape"), -1);
            long[] off = longs(at, "data_offsets", info.get("data_offsets"), 2);
            if (off[1] < off[0]) throw new InvalidModelException(at + ": data_offsets " + Arrays.toString(off) + " end before they begin");
            if (off[1] > dataLen) {
                throw new InvalidModelException(file + ": truncated: tensor '" + name + "' ends at byte " + off[1]
                        + " of the data, which holds " + dataLen);
            }
            long elements = 1;
            try {
                for (long d : dims) elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException ex) {
                throw new InvalidModelException(at + ": shape " + Arrays.toString(dims) + " has more elements than 64 bits count");
            }
            if (elements > MAX_ELEMENTS || Arrays.stream(dims).anyMatch(d -> d > Integer.MAX_VALUE)) {
                throw new InvalidModelException(at + ": shape " + Arrays.toString(dims) + " holds " + elements
                        + " elements, more than one tensor can (" + MAX_ELEMENTS + ")");
            }
            long bytes = elements * dtype.bytes();     // cannot overflow: elements < 2^31
            if (bytes != off[1] - off[0]) {
                throw new InvalidModelException(at + " " + Arrays.toString(dims) + " " + dtype + " needs " + bytes
                        + " bytes, its offsets span " + (off[1] - off[0]));
            }
            int[] shape = dims.length == 0 ? new int[]{1} : Arrays.stream(dims).mapToInt(d -> (int) d).toArray();
            entries.put(name, new Entry(name, dtype, Shape.of(shape), off[0], off[1]));
        }
        List<Entry> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin() < expected) {
                throw new InvalidModelException(file + ": tensor '" + e.name() + "' (bytes " + e.begin() + ".." + e.end()
                        + ") overlaps the tensor before it, which ends at " + expected);
            }
            if (e.begin() > expected) {
                throw new InvalidModelException(file + ": a gap of " + (e.begin() - expected) + " bytes before tensor '"
                        + e.name() + "' (the data must be the tensors back to back)");
            }
            expected = e.end();
        }
        if (expected != dataLen) {
            throw new InvalidModelException(file + ": " + (dataLen - expected) + " bytes after the last tensor");
        }
        return Collections.unmodifiableMap(entries);
    }

    /** A list of whole numbers ≥ 0 (of the given length, or any when {@code length} &lt; 0). */
    private static long[] longs(String at, String field, Object v, int length) {
        if (!(v instanceof List<?> l)) throw new InvalidModelException(at + " lacks " + field + " (a list of whole numbers)");
        if (length >= 0 && l.size() != length) {
            throw new InvalidModelException(at + ": " + field + " has " + l.size() + " values, " + length + " expected");
        }
        if (l.size() > 64) throw new InvalidModelException(at + ": " + field + " has " + l.size() + " dimensions (at most 64)");
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long n) || n < 0) {
                throw new InvalidModelException(at + ": " + field + "[" + i + "] is " + l.get(i) + ", not a whole number ≥ 0");
            }
            out[i] = n;
        }
        return out;
    }
}
