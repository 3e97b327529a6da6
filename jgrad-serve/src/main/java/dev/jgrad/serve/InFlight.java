package dev.jgrad.serve;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests on their way to a batcher: accepted by the HTTP layer, body being read or
 * parsed, not yet queued for a pass. A batching leader waits in its window only while this is
 * above zero: with nothing on its way, no request can join its batch, and waiting would only
 * add the window to every answer (with one client, to all of them).
 *
 * <p>Each request holds one {@link Arrival}, taken when the HTTP layer accepts it and left
 * either when the batcher has queued its rows or, whatever happened instead (a 4xx, an
 * exception, a client gone), when the HTTP layer is done with it. Leaving is idempotent, so the
 * layer leaves in a {@code finally}; a count that leaked would only make every window run to
 * its end, never hold an answer back for longer.
 *
 * <p>One count for all the models of an API: a request for one model is counted before its
 * path is routed, so a leader of another model may wait for it, for no longer than the time to
 * read and parse it (and never past its window).
 *
 * <p>Thread-safety: safe for concurrent use; an {@link Arrival} belongs to its request's thread.
 */
final class InFlight {
    private final AtomicInteger count = new AtomicInteger();
    private final CopyOnWriteArrayList<Batcher> waiting = new CopyOnWriteArrayList<>();

    /** One request on its way; {@link #leave()} once, or more often, when it no longer is. */
    final class Arrival implements AutoCloseable {
        private boolean left;

        /** The request is queued for a pass, or is done without one: no leader waits for it. */
        void leave() {
            if (left) return;
            left = true;
            if (count.decrementAndGet() == 0) {
                // The last one on its way has arrived (or gone): a leader waiting for it runs now.
                for (Batcher b : waiting) b.nothingInFlight();
            }
        }

        @Override
        public void close() {
            leave();
        }
    }

    /** Whose leaders to wake when nothing is in flight any more. */
    void register(Batcher b) {
        waiting.add(b);
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
