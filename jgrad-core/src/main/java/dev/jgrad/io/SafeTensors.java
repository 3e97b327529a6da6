package dev.jgrad.io;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each
 * tensor name to {dtype, shape, data_offsets} (plus string-to-string {@code __metadata__}),
 * then the little-endian tensor bytes. Any safetensors reader opens what this writes. jgrad
 * adds a CRC-32C of the data bytes to the metadata and checks it when present; every other
 * defect (a short file, a header that is not JSON, offsets outside the data, overlapping or
 * mis-sized tensors, an unsupported dtype) is refused with a message saying which.
 */
public final class SafeTensors {
    private SafeTensors() {
    }

    public static final String CRC_KEY = "crc32c";
    private static final long MAX_HEADER = 100L << 20;

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

    public static Contents read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new InvalidModelException(file + ": no such file");
        long size = Files.size(file);
        if (size < 8) throw new InvalidModelException(file + ": " + size + " bytes, too short for a safetensors header");
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n <= 0 || n > MAX_HEADER || 8 + n > size) {
                throw new InvalidModelException(file + ": header length " + n + " does not fit a file of " + size
                        + " bytes (truncated or not a safetensors file)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new InvalidModelException(file + ": the header is not valid JSON (" + e.getMessage() + ")");
            }
            long dataLen = size - 8 - n;
            ByteBuffer data = ByteBuffer.allocate((int) dataLen).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, data, 8 + n);
            return decode(file, header, data);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new InvalidModelException("unexpected end of file");
        }
    }

    private static Contents decode(Path file, Map<String, Object> header, ByteBuffer data) {
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
        String crc = meta.get(CRC_KEY);
        if (crc != null) {
            CRC32C c = new CRC32C();
            c.update(data.array(), 0, data.limit());
            if (!String.format("%08x", c.getValue()).equals(crc)) {
                throw new InvalidModelException(file + ": checksum mismatch (stored " + crc + ", data "
                        + String.format("%08x", c.getValue()) + "): the file is corrupted");
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        long end = 0;
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new InvalidModelException(file + ": entry '" + name + "' is not an object");
            DType dtype;
            Object dt = info.get("dtype");
            if ("F32".equals(dt)) dtype = DType.F32;
            else if ("F64".equals(dt)) dtype = DType.F64;
            else throw new InvalidModelException(file + ": tensor '" + name + "' has dtype " + dt + " (F32 or F64 expected)");
            int[] dims = ints(file, name, "shape", info.get("shape"));
            int[] off = ints(file, name, "data_offsets", info.get("data_offsets"));
            if (off.length != 2 || off[0] < 0 || off[1] < off[0]) {
                throw new InvalidModelException(file + ": tensor '" + name + "' has bad data_offsets");
            }
            Shape shape = dims.length == 0 ? Shape.of(1) : Shape.of(dims);
            long bytes = (long) shape.size() * dtype.bytes();
            if (off[1] - off[0] != bytes) {
                throw new InvalidModelException(file + ": tensor '" + name + "' " + shape + " " + dtype + " needs " + bytes
                        + " bytes, its offsets span " + (off[1] - off[0]));
            }
            if (off[1] > data.limit()) {
                throw new InvalidModelException(file + ": truncated: tensor '" + name + "' ends at byte " + off[1]
                        + " of the data, which holds " + data.limit());
            }
            spans.add(new long[]{off[0], off[1]});
            end = Math.max(end, off[1]);
            ByteBuffer slice = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(off[0]).limit(off[1]).slice().order(ByteOrder.LITTLE_ENDIAN);
            Tensor t = Tensor.zeros(dtype, shape);
            switch (t) {
                case FloatTensor f -> slice.asFloatBuffer().get(f.data());
                case DoubleTensor d -> slice.asDoubleBuffer().get(d.data());
            }
            tensors.put(name, t);
        }
        spans.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < spans.size(); i++) {
            if (spans.get(i)[0] < spans.get(i - 1)[1]) throw new InvalidModelException(file + ": tensors overlap in the data");
        }
        if (end != data.limit()) {
            throw new InvalidModelException(file + ": " + (data.limit() - end) + " bytes after the last tensor");
        }
        return new Contents(tensors, meta);
    }

    private static int[] ints(Path file, String name, String field, Object v) {
        if (!(v instanceof List<?> l)) throw new InvalidModelException(file + ": tensor '" + name + "' lacks " + field);
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
                throw new InvalidModelException(file + ": tensor '" + name + "' has a bad " + field);
            }
            out[i] = (int) (long) n;
        }
        return out;
    }
}
