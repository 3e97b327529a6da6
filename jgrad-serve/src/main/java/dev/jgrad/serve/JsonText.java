package dev.jgrad.serve;

/** Writing JSON text for the server's answers: strings quoted and escaped, floats as Java prints them. */
final class JsonText {
    private JsonText() {
    }

    static void quote(StringBuilder sb, String s) {
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
