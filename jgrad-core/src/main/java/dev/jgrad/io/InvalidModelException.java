package dev.jgrad.io;

/** A model or checkpoint file that cannot be used; the message names the file and what is wrong. */
public final class InvalidModelException extends IllegalArgumentException {
    public InvalidModelException(String message) {
        super(message);
    }
}
