package dev.jgrad.serve;

/**
 * A request the server refuses: the HTTP status, the request field at fault (a path such as
 * {@code inputs[0].shape}, or null when the whole request is) and a message for the client. It is
 * answered as the protocol's error object, {@code {"error": "...", "field": "..."}}.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String field;

    public ApiError(int status, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    public int status() {
        return status;
    }

    /** The offending field, or null. */
    public String field() {
        return field;
    }

    /** The JSON body of the answer. */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"error\":");
        JsonText.quote(sb, field == null ? getMessage() : field + ": " + getMessage());
        if (field != null) {
            sb.append(",\"field\":");
            JsonText.quote(sb, field);
        }
        return sb.append('}').toString();
    }
}
