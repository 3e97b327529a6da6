package dev.jgrad.spark;

import java.io.IOException;

/**
 * What ranks of one run do together: sum a buffer over every rank so that each ends with the
 * same bits. Sums go in rank order, ((r0 + r1) + r2) + …, element by element, so the result does
 * not depend on timing, on which rank finished first, or on anything but the ranks' inputs.
 * Public, with {@link TcpChain}, so that the ring can be timed outside Spark (jgrad-bench's
 * ScalingBench).
 */
public interface Collective extends AutoCloseable {

    /** This rank's index, 0 … size−1. */
    int rank();

    /** The number of ranks. */
    int size();

    /** Replaces a[off .. off+len) on every rank by its sum over the ranks. */
    void sum(float[] a, int off, int len) throws IOException;

    /** Replaces a on every rank by its sum over the ranks, in double precision. */
    void sum(double[] a) throws IOException;

    /** Nanoseconds spent blocked waiting for the first bytes of a peer in the sums so far. */
    long waitNanos();

    @Override
    void close();

    /** The collective of a run with one rank: every sum is the identity. */
    static Collective single() {
        return new Collective() {
            @Override public int rank() { return 0; }
            @Override public int size() { return 1; }
            @Override public void sum(float[] a, int off, int len) { }
            @Override public void sum(double[] a) { }
            @Override public long waitNanos() { return 0; }
            @Override public void close() { }
        };
    }
}
