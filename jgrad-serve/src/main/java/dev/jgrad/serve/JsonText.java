package dev.jgrad.serve;

import dev.jgrad.io.Json;

/** Writing JSON text for the server's answers: strings quoted and escaped, floats as Java prints them. */
final class JsonText {
    private JsonText() {
    }

    static void quote(StringBuilder sb, String s) {
        Json.quote(sb, s);
    }

    /** Floats as the shortest text that reads back to the same float (Float.toString's digits). */
    static void floats(StringBuilder sb, float[] v, int off, int n) {
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(',');
            sb.append(v[off + i]);
        }
        sb.append(']');
    }
}
