package dev.jgrad.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The records of a CSV stream (RFC 4180 quoting; plain or gzip), one at a time: nothing but the
 * current record is held, so memory does not grow with the file. A record longer than
 * {@link CsvReader#MAX_RECORD_LENGTH} characters, bytes that are not UTF-8, a quote never
 * closed and a damaged gzip stream are each an {@link InvalidDataException} naming the source
 * and the line. Blank lines are skipped; a leading byte-order mark is dropped.
 */
final class CsvRecords implements Closeable {
    private final InputStream in;
    private final String source;
    private final char delimiter;
    private final int maxLength;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).flip();
    private final CharBuffer chars = CharBuffer.allocate(1 << 16).flip();
    private boolean eof, decoded, malformed, first = true;
    private int line = 1, recordLine;
    private final List<String> fields = new ArrayList<>();
    private final StringBuilder cur = new StringBuilder();

    CsvRecords(InputStream raw, String source, char delimiter, int maxLength) throws IOException {
        InputStream buffered = new BufferedInputStream(raw, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read(), b1 = buffered.read();
        buffered.reset();
        try {
            this.in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buffered, 1 << 16) : buffered;
        } catch (EOFException e) {
            throw new InvalidDataException(source + ": line 1: the gzip stream is truncated", e);
        } catch (ZipException e) {
            throw new InvalidDataException(source + ": line 1: corrupt gzip data (" + e.getMessage() + ")", e);
        }
        this.source = source;
        this.delimiter = delimiter;
        this.maxLength = maxLength;
    }

    /** The line on which the record last returned by {@link #next()} starts (1-based). */
    int line() {
        return recordLine;
    }

    /** The next record's fields, untrimmed, or null at the end of the input. */
    String[] next() throws IOException {
        while (true) {
            if (peek() < 0) return null;
            int start = line;
            fields.clear();
            cur.setLength(0);
            boolean quoted = false, anyQuote = false;
            long length = 0;
            while (true) {
                int c = read();
                if (c < 0) {
                    if (quoted) throw new InvalidDataException(source + ": line " + start + ": a quoted field is never closed");
                    break;
                }
                if (++length > maxLength) {
                    throw new InvalidDataException(source + ": line " + start + ": a record longer than " + maxLength
                            + " characters (not line-oriented text, or a quote never closed)");
                }
                if (quoted) {
                    if (c == '"') {
                        if (peek() == '"') {
                            read();
                            cur.append('"');
                        } else {
                            quoted = false;
                        }
                    } else if (c == '\r' || c == '\n') {
                        if (c == '\r' && peek() == '\n') read();
                        line++;
                        cur.append('\n');
                    } else {
                        cur.append((char) c);
                    }
                } else if (c == '"') {
                    quoted = anyQuote = true;
                } else if (c == delimiter) {
                    fields.add(cur.toString());
                    cur.setLength(0);
                } else if (c == '\r' || c == '\n') {
                    if (c == '\r' && peek() == '\n') read();
                    line++;
                    break;
                } else {
                    cur.append((char) c);
                }
            }
            fields.add(cur.toString());
            if (fields.size() == 1 && !anyQuote && fields.getFirst().isBlank()) continue;
            recordLine = start;
            return fields.toArray(new String[0]);
        }
    }

    private int read() throws IOException {
        int c = peek();
        if (c >= 0) chars.position(chars.position() + 1);
        return c;
    }

    private int peek() throws IOException {
        if (!chars.hasRemaining()) fill();
        if (!chars.hasRemaining()) return -1;
        char c = chars.get(chars.position());
        if (first) {
            first = false;
            if (c == '\uFEFF') {
                chars.position(chars.position() + 1);
                return peek();
            }
        }
        return c;
    }

    /**
     * Decodes more characters. Characters decoded before a malformed sequence are handed out
     * first, so that the error is raised on the line that holds it.
     */
    private void fill() throws IOException {
        chars.clear();
        try {
            while (chars.position() == 0 && !decoded) {
                if (malformed) {
                    throw new InvalidDataException(source + ": line " + line + ": bytes that are not UTF-8 text");
                }
                CoderResult r = decoder.decode(bytes, chars, eof);
                if (r.isError()) {
                    malformed = true;
                } else if (r.isOverflow()) {
                    break;
                } else if (eof) {
                    decoder.flush(chars);
                    decoded = true;
                } else {
                    bytes.compact();
                    int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
                    if (n < 0) eof = true;
                    else bytes.position(bytes.position() + n);
                    bytes.flip();
                }
            }
        } catch (EOFException e) {
            throw new InvalidDataException(source + ": line " + line + ": the gzip stream is truncated", e);
        } catch (ZipException e) {
            throw new InvalidDataException(source + ": line " + line + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } finally {
            chars.flip();
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
