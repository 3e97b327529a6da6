package dev.jgrad.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes protobuf wire format: the few field kinds ONNX's model tree needs. */
final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void key(int field, int wireType) {
        varint((long) field << 3 | wireType);
    }

    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** An int32/int64/enum field: negative values take ten bytes, as protobuf sign-extends them. */
    ProtoWriter int64(int field, long v) {
        key(field, ProtoReader.VARINT);
        varint(v);
        return this;
    }

    ProtoWriter float32(int field, float v) {
        key(field, ProtoReader.FIXED32);
        int bits = Float.floatToRawIntBits(v);
        for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
        return this;
    }

    ProtoWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter bytes(int field, byte[] b) {
        key(field, ProtoReader.LEN);
        varint(b.length);
        out.writeBytes(b);
        return this;
    }

    ProtoWriter message(int field, ProtoWriter m) {
        return bytes(field, m.toByteArray());
    }

    /** A repeated int64 field, packed (proto3 style; proto2 readers accept both). */
    ProtoWriter packedInt64(int field, long[] values) {
        ProtoWriter p = new ProtoWriter();
        for (long v : values) p.varint(v);
        return bytes(field, p.toByteArray());
    }

    /** A repeated float field, packed. */
    ProtoWriter packedFloats(int field, float[] values) {
        byte[] b = new byte[values.length * 4];
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToRawIntBits(values[i]);
            for (int k = 0; k < 4; k++) b[4 * i + k] = (byte) (bits >>> (8 * k));
        }
        return bytes(field, b);
    }
}
