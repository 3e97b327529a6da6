package dev.jgrad.data;

/** Input data that cannot be read; the message names the file and, where there is one, the record and field. */
public final class InvalidDataException extends IllegalArgumentException {
    public InvalidDataException(String message) {
        super(message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
