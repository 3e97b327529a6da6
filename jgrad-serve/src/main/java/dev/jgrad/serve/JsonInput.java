package dev.jgrad.serve;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON reader of request bodies: objects as ordered maps, strings, booleans, null, and arrays.
 * An array that holds only numbers is read as {@link Numbers} (the values as FP32, rounded once
 * from their decimal text, as {@link Float#parseFloat} does), so a tensor's thousands of values
 * are never boxed; other arrays are lists. Strict JSON (no NaN, no trailing text), nesting at
 * most {@value #MAX_DEPTH} deep; any fault is an {@link ApiError} 400 saying where.
 */
final class JsonInput {
    static final int MAX_DEPTH = 32;
    private static final float[] POW10 = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

    /**
     * An array of numbers: FP32 values, whether every one was written as an integer, and the
     * largest magnitude of those integers (for shapes, which must be exact).
     */
    record Numbers(float[] values, boolean integers, long maxInteger) {
    }

    private final byte[] s;
    private final int end;
    private int i;
    private float[] buf = new float[64];

    private JsonInput(byte[] s, int len) {
        this.s = s;
        this.end = len;
    }

    /** The value in {@code body[0 .. len)}. */
    static Object parse(byte[] body, int len) {
        JsonInput p = new JsonInput(body, len);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != len) throw p.error("unexpected text after the JSON value");
        return v;
    }

    private ApiError error(String what) {
        return new ApiError(400, null, "malformed JSON at byte " + i + ": " + what);
    }

    private void ws() {
        while (i < end) {
            byte c = s[i];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') i++;
            else break;
        }
    }

    private Object value(int depth) {
        if (i >= end) throw error("unexpected end");
        byte c = s[i];
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield Double.valueOf(numberToken(true));
                throw error("unexpected character '" + (char) c + "'");
            }
        };
    }

    private Object literal(String word, Object v) {
        int n = word.length();
        if (i + n > end) throw error("bad literal");
        for (int k = 0; k < n; k++) if (s[i + k] != word.charAt(k)) throw error("bad literal");
        i += n;
        return v;
    }

    private Map<String, Object> object(int depth) {
        if (depth > MAX_DEPTH) throw error("nested more than " + MAX_DEPTH + " deep");
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (i < end && s[i] == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            if (i >= end || s[i] != '"') throw error("expected a key");
            String k = string();
            ws();
            if (i >= end || s[i] != ':') throw error("expected ':'");
            i++;
            ws();
            if (m.put(k, value(depth)) != null) throw error("duplicate key '" + k + "'");
            ws();
            if (i >= end) throw error("unexpected end in an object");
            byte c = s[i++];
            if (c == '}') return m;
            if (c != ',') throw error("expected ',' or '}'");
        }
    }

    private Object array(int depth) {
        if (depth > MAX_DEPTH) throw error("nested more than " + MAX_DEPTH + " deep");
        i++;
        ws();
        if (i < end && s[i] == ']') {
            i++;
            return new Numbers(new float[0], true, 0);
        }
        byte first = s[i < end ? i : end - 1];
        if (first == '-' || (first >= '0' && first <= '9')) {
            int start = i;
            Numbers n = numbers();
            if (n != null) return n;
            i = start;
        }
        List<Object> list = new ArrayList<>();
        while (true) {
            ws();
            list.add(value(depth));
            ws();
            if (i >= end) throw error("unexpected end in an array");
            byte c = s[i++];
            if (c == ']') return list;
            if (c != ',') throw error("expected ',' or ']'");
        }
    }

    /** An array of numbers only, or null (with the position undefined) when something else is in it. */
    private Numbers numbers() {
        int n = 0;
        boolean integers = true;
        long maxInt = 0;
        while (true) {
            ws();
            if (i >= end) throw error("unexpected end in an array");
            byte c = s[i];
            if (!(c == '-' || (c >= '0' && c <= '9'))) return null;
            if (n == buf.length) buf = java.util.Arrays.copyOf(buf, n * 2);
            int start = i;
            buf[n++] = floatToken();
            if (lastInteger) maxInt = Math.max(maxInt, lastMagnitude);
            else integers = false;
            if (i - start > 400) throw error("a number of more than 400 characters");
            ws();
            if (i >= end) throw error("unexpected end in an array");
            c = s[i++];
            if (c == ']') return new Numbers(java.util.Arrays.copyOf(buf, n), integers, maxInt);
            if (c != ',') {
                i--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private boolean lastInteger;
    private long lastMagnitude;

    /**
     * One number as FP32. Fast path (Clinger's): at most 7 significant digits and a power of ten
     * up to 10 are exact floats, so one float multiplication or division rounds correctly, as
     * {@link Float#parseFloat} would; anything else goes through parseFloat itself.
     */
    private float floatToken() {
        int start = i;
        boolean neg = false;
        if (s[i] == '-') {
            neg = true;
            i++;
        }
        long mant = 0;
        int digits = 0, scale = 0;
        boolean fraction = false, exponent = false;
        int intStart = i;
        while (i < end && s[i] >= '0' && s[i] <= '9') {
            if (digits < 18) mant = mant * 10 + (s[i] - '0');
            else scale++;
            if (mant != 0) digits++;
            i++;
        }
        if (i == intStart) throw error("bad number");
        if (i - intStart > 1 && s[intStart] == '0') throw error("bad number (leading zero)");
        if (i < end && s[i] == '.') {
            fraction = true;
            i++;
            int fs = i;
            while (i < end && s[i] >= '0' && s[i] <= '9') {
                if (digits < 18) {
                    mant = mant * 10 + (s[i] - '0');
                    scale--;
                    if (mant != 0) digits++;
                }
                i++;
            }
            if (i == fs) throw error("bad number (no digits after '.')");
        }
        int exp = 0;
        if (i < end && (s[i] == 'e' || s[i] == 'E')) {
            exponent = true;
            i++;
            boolean eneg = false;
            if (i < end && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
            int es = i;
            while (i < end && s[i] >= '0' && s[i] <= '9') {
                if (exp < 100000) exp = exp * 10 + (s[i] - '0');
                i++;
            }
            if (i == es) throw error("bad number (no digits in the exponent)");
            if (eneg) exp = -exp;
        }
        lastInteger = !fraction && !exponent && digits <= 18;
        lastMagnitude = lastInteger ? mant : 0;
        int e10 = scale + exp;
        if (mant < (1 << 24) && e10 >= -10 && e10 <= 10) {
            float m = neg ? -(float) mant : (float) mant;
            return e10 >= 0 ? m * POW10[e10] : m / POW10[-e10];
        }
        return Float.parseFloat(new String(s, start, i - start, StandardCharsets.ISO_8859_1));
    }

    private double numberToken(boolean unused) {
        int start = i;
        floatToken();
        return Double.parseDouble(new String(s, start, i - start, StandardCharsets.ISO_8859_1));
    }

    private String string() {
        i++;
        int start = i;
        boolean plain = true;
        while (true) {
            if (i >= end) throw error("unterminated string");
            byte c = s[i];
            if (c == '"') break;
            if (c == '\\') {
                plain = false;
                break;
            }
            if ((c & 0xff) < 0x20) throw error("control character in a string");
            i++;
        }
        if (plain) {
            i++;
            return new String(s, start, i - 1 - start, StandardCharsets.UTF_8);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(s, start, i - start);
        while (true) {
            if (i >= end) throw error("unterminated string");
            byte c = s[i++];
            if (c == '"') return out.toString(StandardCharsets.UTF_8);
            if ((c & 0xff) < 0x20) throw error("control character in a string");
            if (c != '\\') {
                out.write(c);
                continue;
            }
            if (i >= end) throw error("bad escape");
            byte e = s[i++];
            switch (e) {
                case '"', '\\', '/' -> out.write(e);
                case 'b' -> out.write('\b');
                case 'f' -> out.write('\f');
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 't' -> out.write('\t');
                case 'u' -> {
                    if (i + 4 > end) throw error("bad \\u escape");
                    int cp;
                    try {
                        cp = Integer.parseInt(new String(s, i, 4, StandardCharsets.ISO_8859_1), 16);
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    i += 4;
                    byte[] u = String.valueOf((char) cp).getBytes(StandardCharsets.UTF_8);
                    out.write(u, 0, u.length);
                }
                default -> throw error("bad escape");
            }
        }
    }
}
