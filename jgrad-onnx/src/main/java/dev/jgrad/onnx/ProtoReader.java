package dev.jgrad.onnx;

import dev.jgrad.io.InvalidModelException;

import java.nio.charset.StandardCharsets;

/**
 * Reads protobuf wire format from a byte range, one field at a time, trusting nothing: a varint
 * is at most 10 bytes (and its tenth byte at most 1), every length is checked against the bytes
 * that really remain before anything is sliced or allocated, and messages nest at most
 * {@link #MAX_DEPTH} deep. Every failure is an {@link InvalidModelException} naming where in the
 * message tree it happened.
 */
final class ProtoReader {
    /** Wire types (groups, 3 and 4, are refused: onnx.proto has none). */
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;
    /** Graphs inside attributes inside graphs: far deeper than any real model, shallow enough for the stack. */
    static final int MAX_DEPTH = 16;

    private final byte[] buf;
    private int pos;
    private final int end;
    private final String where;
    private final int depth;

    private int field;
    private int wireType;

    private ProtoReader(byte[] buf, int pos, int end, String where, int depth) {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
        this.where = where;
        this.depth = depth;
    }

    static ProtoReader of(byte[] bytes, String where) {
        return new ProtoReader(bytes, 0, bytes.length, where, 0);
    }

    String where() {
        return where;
    }

    int depth() {
        return depth;
    }

    InvalidModelException error(String what) {
        return new InvalidModelException(where + ": " + what);
    }

    /** Advances to the next field; false at the end of this message. */
    boolean next() {
        if (pos >= end) return false;
        long key = varint("a field key");
        if (key >>> 32 != 0) throw error("field key " + Long.toUnsignedString(key) + " is out of range");
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        if (field == 0) throw error("field number 0 at byte " + pos);
        if (wireType != VARINT && wireType != FIXED64 && wireType != LEN && wireType != FIXED32) {
            throw error("field " + field + " has wire type " + wireType + " (groups and unknown wire types are not ONNX)");
        }
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    /** Skips the current field's value without looking into it (unknown fields, fields not needed). */
    void skip() {
        switch (wireType) {
            case VARINT -> varint("field " + field);
            case FIXED64 -> need(8, "field " + field);
            case FIXED32 -> need(4, "field " + field);
            case LEN -> need(length(), "field " + field);
            default -> throw new IllegalStateException();
        }
    }

    private int need(int n, String what) {
        if (n > end - pos) throw error(what + " needs " + n + " bytes but only " + (end - pos) + " remain");
        int at = pos;
        pos += n;
        return at;
    }

    private void expect(int type, String name) {
        if (wireType != type) throw error("field " + field + " (" + name + ") has wire type " + wireType + ", expected " + type);
    }

    /** A varint of at most 10 bytes whose value fits 64 bits. */
    private long varint(String what) {
        long v = 0;
        for (int i = 0; i < 10; i++) {
            if (pos >= end) throw error(what + ": varint runs past the end of the input");
            int b = buf[pos++] & 0xFF;
            if (i == 9 && b > 1) throw error(what + ": varint overflows 64 bits");
            v |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return v;
        }
        throw error(what + ": varint longer than 10 bytes");
    }

    private int length() {
        long n = varint("the length of field " + field);
        if (n < 0 || n > end - pos) {
            throw error("field " + field + " claims " + Long.toUnsignedString(n) + " bytes but only " + (end - pos) + " remain");
        }
        return (int) n;
    }

    long int64(String name) {
        expect(VARINT, name);
        return varint(name);
    }

    int int32(String name) {
        long v = int64(name);
        if (v != (int) v) throw error(name + " is " + v + ", outside the 32-bit range");
        return (int) v;
    }

    float float32(String name) {
        expect(FIXED32, name);
        return Float.intBitsToFloat(littleInt(need(4, name)));
    }

    String string(String name) {
        expect(LEN, name);
        int n = length();
        return new String(buf, need(n, name), n, StandardCharsets.UTF_8);
    }

    /** The bytes of a length-delimited field, copied (its length already checked against the input). */
    byte[] bytes(String name) {
        expect(LEN, name);
        int n = length();
        int at = need(n, name);
        byte[] out = new byte[n];
        System.arraycopy(buf, at, out, 0, n);
        return out;
    }

    /** A reader over an embedded message, one level deeper. */
    ProtoReader message(String name) {
        expect(LEN, name);
        if (depth + 1 > MAX_DEPTH) throw error(name + " is nested more than " + MAX_DEPTH + " messages deep");
        int n = length();
        int at = need(n, name);
        return new ProtoReader(buf, at, at + n, where + "." + name, depth + 1);
    }

    /** Reader of the same message under a more specific name (e.g. once a node's name is known). */
    ProtoReader named(String newWhere) {
        return new ProtoReader(buf, pos, end, newWhere, depth);
    }

    /** Appends a repeated float field, packed (wire type 2) or one value (wire type 5). */
    void floats(FloatList out, String name) {
        if (wireType == LEN) {
            int n = length();
            if (n % 4 != 0) throw error(name + ": packed floats take " + n + " bytes, not a multiple of 4");
            int at = need(n, name);
            out.ensure(n / 4);
            for (int i = 0; i < n; i += 4) out.add(Float.intBitsToFloat(littleInt(at + i)));
        } else {
            out.add(float32(name));
        }
    }

    /** Appends a repeated double field, packed or one value. */
    void doubles(FloatList out, String name) {
        if (wireType == LEN) {
            int n = length();
            if (n % 8 != 0) throw error(name + ": packed doubles take " + n + " bytes, not a multiple of 8");
            int at = need(n, name);
            out.ensure(n / 8);
            for (int i = 0; i < n; i += 8) out.add((float) Double.longBitsToDouble(littleLong(at + i)));
        } else {
            expect(FIXED64, name);
            out.add((float) Double.longBitsToDouble(littleLong(need(8, name))));
        }
    }

    /** Appends a repeated varint field, packed or one value. */
    void longs(LongList out, String name) {
        if (wireType == LEN) {
            int n = length();
            int stop = pos + n;
            ProtoReader packed = new ProtoReader(buf, pos, stop, where + "." + name, depth);
            while (packed.pos < stop) out.add(packed.varint(name));
            pos = stop;
        } else {
            out.add(int64(name));
        }
    }

    private int littleInt(int at) {
        return (buf[at] & 0xFF) | (buf[at + 1] & 0xFF) << 8 | (buf[at + 2] & 0xFF) << 16 | (buf[at + 3] & 0xFF) << 24;
    }

    private long littleLong(int at) {
        return (littleInt(at) & 0xFFFFFFFFL) | (long) littleInt(at + 4) << 32;
    }

    /** A growable float array: repeated fields arrive one by one, so their count is known only at the end. */
    static final class FloatList {
        float[] a = new float[8];
        int n;

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        /** Room for {@code more}: only called with a count of values the input really holds. */
        void ensure(int more) {
            if (n + more > a.length) a = java.util.Arrays.copyOf(a, Math.max(a.length * 2, n + more));
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    /** A growable long array, as {@link FloatList}. */
    static final class LongList {
        long[] a = new long[8];
        int n;

        void add(long v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
