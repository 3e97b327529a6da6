package dev.jgrad.serve;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests on their way to a batcher: handed to the HTTP server's threads (waiting for one
 * to run, headers or body being read, parsed), not yet queued for a pass. A batching leader
 * opens its window only if this is above zero: with nothing on its way, no request can join its
 * batch, and waiting would only add the window to every answer (with one client, to all).
 *
 * <p>Each request holds one {@link Arrival}, taken when the HTTP layer accepts it and left
 * either when the batcher has queued its rows or, whatever happened instead (a 4xx, an
 * exception, a client gone), when the HTTP layer is done with it. Leaving is idempotent, so the
 * layer leaves in a {@code finally}; a count that leaked would only make windows open as they
 * did before this count existed, never hold an answer back for longer than a window.
 *
 * <p>One count for all the models of an API: a request is counted before its path is routed,
 * so it may open a window of another model's batcher.
 *
 * <p>Thread-safety: safe for concurrent use; an {@link Arrival} belongs to its request's thread.
 */
final class InFlight {
    private final AtomicInteger count = new AtomicInteger();

    /** One request on its way; {@link #leave()} once, or more often, when it no longer is. */
    final class Arrival implements AutoCloseable {
        private boolean left;

        /** The request is queued for a pass, or is done without one. */
        void leave() {
            if (left) return;
            left = true;
            count.decrementAndGet();
        }

        @Override
        public void close() {
            leave();
        }
    }

    /** A request accepted by the HTTP layer. */
    Arrival arrive() {
        count.incrementAndGet();
        return new Arrival();
    }

    /** Requests on their way now. */
    int count() {
        return count.get();
    }
}
