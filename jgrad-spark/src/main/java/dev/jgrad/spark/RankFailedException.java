package dev.jgrad.spark;

/**
 * A rank of a distributed run could not go on: a peer died, hung past the read timeout, or fell
 * out of step. Every other rank of the run fails with it.
 */
public final class RankFailedException extends RuntimeException {

    RankFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
