package dev.jgrad.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON jgrad reads and writes (safetensors headers, model metadata, checkpoints, the CLI's
 * --json output): objects as ordered maps, arrays as lists, numbers as Long when integral and
 * within range, Double otherwise, strings, booleans and null.
 *
 * <p>Reading is strict (RFC 8259 and nothing more) and bounded, because the text comes from
 * files of unknown origin: the bounds follow what Jackson's {@code StreamReadConstraints}
 * guarantee, tighter where model files never come near them. A document may nest at most
 * {@value #MAX_DEPTH} levels (the parser recurses, so this also keeps the stack small), hold at
 * most {@value #MAX_VALUES} values (each costs a few dozen bytes of heap), numbers of at most
 * {@value #MAX_NUMBER_LENGTH} characters, strings of at most {@value #MAX_STRING_LENGTH}
 * characters; duplicate keys, invalid UTF-8, unpaired surrogates, control characters in
 * strings, leading zeros, non-finite numbers and trailing text are refused. Every failure is an
 * {@link InvalidModelException} naming the source, the character position and the path of the
 * value ({@code $.layers[2].type}).
 */
public final class Json {
    private Json() {
    }

    /** Deepest nesting of objects and arrays accepted. */
    public static final int MAX_DEPTH = 64;
    /** Most values (of any kind, containers included) in one document. */
    public static final int MAX_VALUES = 1_000_000;
    /** Longest number, in characters. */
    public static final int MAX_NUMBER_LENGTH = 100;
    /** Longest string or key, in characters (Jackson's default maximum string length). */
    public static final int MAX_STRING_LENGTH = 20_000_000;

    /** Parses a document; failures name "JSON" as the source. */
    public static Object parse(String text) {
        return parse(text, "JSON");
    }

    /** Parses a document; failures are {@link InvalidModelException}s naming {@code source}. */
    public static Object parse(String text, String source) {
        Parser p = new Parser(text, source);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length()) throw p.error("unexpected text after the value");
        return v;
    }

    /** Parses UTF-8 bytes, refusing malformed UTF-8 with the byte offset where it starts. */
    public static Object parse(byte[] utf8, String source) {
        return parse(decode(utf8, source), source);
    }

    /** A document that must be an object. */
    public static Map<String, Object> parseObject(String text) {
        return parseObject(text, "JSON");
    }

    /** A document that must be an object; failures name {@code source}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, String source) {
        Object v = parse(text, source);
        if (!(v instanceof Map)) throw new InvalidModelException(source + ": expected a JSON object, found " + kind(v));
        return (Map<String, Object>) v;
    }

    /** UTF-8 bytes that must hold an object. */
    public static Map<String, Object> parseObject(byte[] utf8, String source) {
        return parseObject(decode(utf8, source), source);
    }

    /** Strict UTF-8: overlong forms, surrogates encoded in UTF-8 and truncated sequences are refused. */
    static String decode(byte[] utf8, String source) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(utf8);
        CharBuffer out = CharBuffer.allocate(utf8.length);
        var r = d.decode(in, out, true);
        if (!r.isError()) r = d.flush(out);
        if (r.isError()) {
            throw new InvalidModelException(source + ": invalid UTF-8 at byte " + in.position() + " of the JSON text");
        }
        return out.flip().toString();
    }

    private static String kind(Object v) {
        return switch (v) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            default -> "a number";
        };
    }

    public static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    public static void write(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> quote(sb, s);
            case Boolean b -> sb.append(b);
            case Integer n -> sb.append(n);
            case Long n -> sb.append(n);
            case Float f -> number(sb, f.doubleValue(), true);
            case Double d -> number(sb, d, false);
            case Number n -> sb.append(n);
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            }
            case Iterable<?> it -> {
                sb.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) sb.append(',');
                    first = false;
                    write(sb, o);
                }
                sb.append(']');
            }
            case double[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    number(sb, a[i], false);
                }
                sb.append(']');
            }
            case int[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            case double[][] rows -> {
                sb.append('[');
                for (int i = 0; i < rows.length; i++) {
                    if (i > 0) sb.append(',');
                    write(sb, rows[i]);
                }
                sb.append(']');
            }
            default -> quote(sb, v.toString());
        }
    }

    /** Shortest text that reads back to the same double (or float); NaN and infinities as strings, which JSON lacks. */
    private static void number(StringBuilder sb, double d, boolean isFloat) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            quote(sb, Double.toString(d));
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            sb.append((long) d);
        } else {
            sb.append(isFloat ? Float.toString((float) d) : Double.toString(d));
        }
    }

    /** Appends {@code s} as a JSON string: quoted, with quotes, backslashes and control characters escaped. */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    private static final class Parser {
        final String s;
        final String source;
        int i;
        int values;
        /** The keys and indexes leading to the value being read, for error messages. */
        final List<Object> path = new ArrayList<>();

        Parser(String s, String source) {
            this.s = s;
            this.source = source;
        }

        InvalidModelException error(String what) {
            StringBuilder at = new StringBuilder("$");
            for (Object p : path) {
                if (p instanceof Integer n) at.append('[').append(n).append(']');
                else at.append('.').append(shorten((String) p));
            }
            return new InvalidModelException(source + ": JSON: " + what + " at character " + i + " (" + at + ")");
        }

        private static String shorten(String k) {
            return k.length() > 60 ? k.substring(0, 60) + "…" : k;
        }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                i++;
            }
        }

        Object value(int depth) {
            if (i >= s.length()) throw error("unexpected end");
            if (++values > MAX_VALUES) throw error("more than " + MAX_VALUES + " values");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("unexpected character " + printable(c));
                }
            };
        }

        private static String printable(char c) {
            return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
        }

        Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) throw error("bad literal");
            i += word.length();
            return v;
        }

        Map<String, Object> object(int depth) {
            if (depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw error("expected a key");
                String k = string();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
                i++;
                ws();
                path.add(k);
                if (m.containsKey(k)) throw error("duplicate key");
                m.put(k, value(depth));
                path.removeLast();
                ws();
                if (i >= s.length()) throw error("unexpected end in an object");
                char c = s.charAt(i++);
                if (c == '}') return m;
                if (c != ',') {
                    i--;
                    throw error("expected ',' or '}'");
                }
            }
        }

        List<Object> array(int depth) {
            if (depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
            List<Object> l = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return l;
            }
            while (true) {
                ws();
                path.add(l.size());
                l.add(value(depth));
                path.removeLast();
                ws();
                if (i >= s.length()) throw error("unexpected end in an array");
                char c = s.charAt(i++);
                if (c == ']') return l;
                if (c != ',') {
                    i--;
                    throw error("expected ',' or ']'");
                }
            }
        }

        String string() {
            StringBuilder sb = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                if (sb.length() >= MAX_STRING_LENGTH) throw error("a string longer than " + MAX_STRING_LENGTH + " characters");
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c < 0x20) {
                    i--;
                    throw error("control character " + printable(c) + " in a string");
                }
                if (c == '\\') {
                    if (i >= s.length()) throw error("bad escape");
                    char e = s.charAt(i++);
                    switch (e) {
                        case '"', '\\', '/' -> sb.append(e);
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'n' -> sb.append('\n');
                        case 'r' -> sb.append('\r');
                        case 't' -> sb.append('\t');
                        case 'u' -> {
                            char u = hex4();
                            if (Character.isHighSurrogate(u)) {
                                if (!s.startsWith("\\u", i)) throw error("unpaired surrogate \\u" + Integer.toHexString(u));
                                i += 2;
                                char low = hex4();
                                if (!Character.isLowSurrogate(low)) throw error("unpaired surrogate \\u" + Integer.toHexString(u));
                                sb.append(u).append(low);
                            } else if (Character.isLowSurrogate(u)) {
                                throw error("unpaired surrogate \\u" + Integer.toHexString(u));
                            } else {
                                sb.append(u);
                            }
                        }
                        default -> {
                            i--;
                            throw error("bad escape \\" + printable(e));
                        }
                    }
                } else if (Character.isSurrogate(c)) {
                    // Only reachable from a String given directly: decoded UTF-8 holds pairs only.
                    if (!Character.isHighSurrogate(c) || i >= s.length() || !Character.isLowSurrogate(s.charAt(i))) {
                        i--;
                        throw error("unpaired surrogate");
                    }
                    sb.append(c).append(s.charAt(i++));
                } else {
                    sb.append(c);
                }
            }
        }

        private char hex4() {
            if (i + 4 > s.length()) throw error("bad \\u escape");
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int d = Character.digit(s.charAt(i + k), 16);
                if (d < 0 || s.charAt(i + k) > 'f') throw error("bad \\u escape");
                v = v * 16 + d;
            }
            i += 4;
            return (char) v;
        }

        /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and nothing else. */
        Object number() {
            int start = i;
            if (peek() == '-') i++;
            if (peek() == '0') i++;
            else if (digits() == 0) throw error("bad number");
            boolean integral = true;
            if (peek() == '.') {
                i++;
                integral = false;
                if (digits() == 0) throw error("bad number (no digit after '.')");
            }
            if (peek() == 'e' || peek() == 'E') {
                i++;
                integral = false;
                if (peek() == '+' || peek() == '-') i++;
                if (digits() == 0) throw error("bad number (no digit in the exponent)");
            }
            if (i - start > MAX_NUMBER_LENGTH) {
                i = start;
                throw error("a number longer than " + MAX_NUMBER_LENGTH + " characters");
            }
            String t = s.substring(start, i);
            if (integral) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException e) {
                    // beyond 64 bits: a double, like any other number that large
                }
            }
            double d = Double.parseDouble(t);
            if (Double.isInfinite(d)) {
                i = start;
                throw error("number " + t + " is out of range");
            }
            return d;
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private int digits() {
            int from = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            return i - from;
        }
    }
}
