package dev.jgrad.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Sums over TCP between ranks on a ring: rank r sends to r+1 and receives from r−1 (rank 0 from
 * the last). A sum first runs down the chain 0 → 1 → … → N−1, each rank adding its own values to
 * the running partial sum, so every element is added in rank order; the last rank then sends the
 * total round the ring back to 0 and on to N−2. Both passes are pipelined in chunks, so each
 * rank sends about twice the buffer per sum, as a ring all-reduce does, and the order of every
 * addition is fixed.
 *
 * <p>Every socket has a connect and a read timeout: a rank that dies closes its sockets and its
 * neighbours fail at once; one that hangs makes its neighbours fail after the read timeout; either
 * way each rank that fails closes its own sockets, so the failure travels round the ring and
 * every rank stops. Each sum starts with a header (its sequence number and length) that the
 * receiver checks, so ranks that fall out of step fail instead of adding the wrong buffers.
 */
final class TcpChain implements Collective {
    private static final int MAGIC = 0x6A677264;   // "jgrd"
    /** Floats per chunk: 256 KiB, large enough to stream and small enough to pipeline. */
    private static final int CHUNK = 1 << 16;

    private final int rank, size;
    private final Socket out, in;
    private final DataOutputStream os;
    private final DataInputStream is;
    private final byte[] bytes = new byte[CHUNK * 4];
    private final FloatBuffer floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    private final ByteBuffer doubles = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    private long sequence;
    private long waitNanos;

    private TcpChain(int rank, int size, Socket out, Socket in) throws IOException {
        this.rank = rank;
        this.size = size;
        this.out = out;
        this.in = in;
        this.os = new DataOutputStream(new BufferedOutputStream(out.getOutputStream(), 1 << 16));
        this.is = new DataInputStream(new BufferedInputStream(in.getInputStream(), 1 << 16));
    }

    /**
     * Connects rank {@code rank} to its ring neighbours. {@code server} is this rank's listening
     * socket, already bound (its address is in {@code addresses}, as every rank published it);
     * {@code run} identifies the run so that a rank of another run, or of an earlier attempt of
     * this one, is turned away.
     */
    static TcpChain connect(int rank, List<InetSocketAddress> addresses, ServerSocket server, long run,
                            int connectTimeoutMs, int readTimeoutMs) throws IOException {
        int size = addresses.size();
        if (size < 2) throw new IllegalArgumentException("a ring needs 2 or more ranks, got " + size);
        InetSocketAddress next = addresses.get((rank + 1) % size);
        Socket out = null, in = null;
        try {
            out = dial(next, connectTimeoutMs);
            out.setSoTimeout(readTimeoutMs);
            DataOutputStream hello = new DataOutputStream(out.getOutputStream());
            hello.writeInt(MAGIC);
            hello.writeLong(run);
            hello.writeInt(rank);
            hello.flush();
            server.setSoTimeout(connectTimeoutMs);
            int previous = (rank + size - 1) % size;
            long deadline = System.nanoTime() + connectTimeoutMs * 1_000_000L;
            while (in == null) {
                Socket s;
                try {
                    s = server.accept();
                } catch (SocketTimeoutException e) {
                    throw new IOException("rank " + rank + ": rank " + previous + " did not connect within "
                            + connectTimeoutMs + " ms", e);
                }
                s.setSoTimeout(readTimeoutMs);
                s.setTcpNoDelay(true);
                DataInputStream greet = new DataInputStream(s.getInputStream());
                int magic = greet.readInt();
                long otherRun = greet.readLong();
                int from = greet.readInt();
                if (magic == MAGIC && otherRun == run && from == previous) {
                    in = s;
                } else {
                    s.close();   // a stray or stale connection: keep waiting for the right one
                    if (System.nanoTime() > deadline) throw new IOException("rank " + rank + ": rank " + previous
                            + " did not connect within " + connectTimeoutMs + " ms");
                }
            }
            return new TcpChain(rank, size, out, in);
        } catch (IOException | RuntimeException e) {
            closeQuietly(out);
            closeQuietly(in);
            throw e;
        }
    }

    private static Socket dial(InetSocketAddress to, int timeoutMs) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        IOException last = null;
        while (System.nanoTime() < deadline) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(to, (int) Math.max(1, Math.min(timeoutMs, (deadline - System.nanoTime()) / 1_000_000L)));
                return s;
            } catch (IOException e) {
                closeQuietly(s);
                last = e;
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while connecting to " + to, ie);
                }
            }
        }
        throw new IOException("could not connect to " + to + " within " + timeoutMs + " ms", last);
    }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }
    @Override public long waitNanos() { return waitNanos; }

    @Override
    public void sum(float[] a, int off, int len) throws IOException {
        long seq = sequence++;
        try {
            // Down the chain: receive the partial sum of ranks < r, add ours, pass it on.
            if (rank > 0) header(seq, len);
            if (rank < size - 1) {
                os.writeLong(seq);
                os.writeInt(len);
            }
            for (int c = 0; c < len; c += CHUNK) {
                int n = Math.min(CHUNK, len - c);
                if (rank > 0) {
                    read(n * 4, c == 0);
                    floats.clear();
                    for (int i = 0; i < n; i++) a[off + c + i] = floats.get(i) + a[off + c + i];
                }
                if (rank < size - 1) write(a, off + c, n);
            }
            os.flush();
            // Round the ring: the last rank holds the total and sends it on to 0, 1, …, N−2.
            if (rank == size - 1) {
                os.writeLong(seq);
                os.writeInt(len);
            } else {
                header(seq, len);
                if (rank + 1 < size - 1) {
                    os.writeLong(seq);
                    os.writeInt(len);
                }
            }
            for (int c = 0; c < len; c += CHUNK) {
                int n = Math.min(CHUNK, len - c);
                if (rank < size - 1) {
                    read(n * 4, false);
                    floats.clear();
                    floats.get(0, a, off + c, n);
                }
                if (rank == size - 1 || rank + 1 < size - 1) write(a, off + c, n);
            }
            os.flush();
        } catch (SocketTimeoutException e) {
            throw new IOException("rank " + rank + " of " + size + ": no data from a peer within the read timeout ("
                    + in.getSoTimeout() + " ms) in sum " + seq + "; a rank has stopped or hangs", e);
        } catch (EOFException e) {
            throw new IOException("rank " + rank + " of " + size + ": a peer closed its connection in sum " + seq
                    + "; a rank has failed", e);
        }
    }

    @Override
    public void sum(double[] a) throws IOException {
        // Doubles go in chunks of one buffer each, every chunk a sum of its own.
        int per = bytes.length / 8;
        for (int c = 0; c < a.length; c += per) sum(a, c, Math.min(per, a.length - c));
    }

    /** The two passes of {@link #sum(double[])} over a[off .. off+len), which fits the buffer. */
    private void sum(double[] a, int off, int len) throws IOException {
        long seq = sequence++;
        try {
            if (rank > 0) {
                header(seq, -len);
                read(len * 8, true);
                for (int i = 0; i < len; i++) a[off + i] = doubles.getDouble(i * 8) + a[off + i];
            }
            if (rank < size - 1) {
                os.writeLong(seq);
                os.writeInt(-len);
                writeDoubles(a, off, len);
            }
            os.flush();
            if (rank == size - 1) {
                os.writeLong(seq);
                os.writeInt(-len);
                writeDoubles(a, off, len);
            } else {
                header(seq, -len);
                read(len * 8, false);
                for (int i = 0; i < len; i++) a[off + i] = doubles.getDouble(i * 8);
                if (rank + 1 < size - 1) {
                    os.writeLong(seq);
                    os.writeInt(-len);
                    writeDoubles(a, off, len);
                }
            }
            os.flush();
        } catch (SocketTimeoutException e) {
            throw new IOException("rank " + rank + " of " + size + ": no data from a peer within the read timeout in sum "
                    + seq + "; a rank has stopped or hangs", e);
        } catch (EOFException e) {
            throw new IOException("rank " + rank + " of " + size + ": a peer closed its connection in sum " + seq
                    + "; a rank has failed", e);
        }
    }

    private void header(long seq, int len) throws IOException {
        long t0 = System.nanoTime();
        long s = is.readLong();
        waitNanos += System.nanoTime() - t0;
        int n = is.readInt();
        if (s != seq || n != len) {
            throw new IOException("rank " + rank + ": out of step with its peer (sum " + s + " of " + n
                    + " values arrived, expected sum " + seq + " of " + len + ")");
        }
    }

    private void read(int n, boolean first) throws IOException {
        is.readFully(bytes, 0, n);
    }

    private void write(float[] a, int from, int n) throws IOException {
        floats.clear();
        floats.put(a, from, n);
        os.write(bytes, 0, n * 4);
    }

    private void writeDoubles(double[] a, int off, int len) throws IOException {
        for (int i = 0; i < len; i++) doubles.putDouble(i * 8, a[off + i]);
        os.write(bytes, 0, len * 8);
    }

    @Override
    public void close() {
        closeQuietly(out);
        closeQuietly(in);
    }

    private static void closeQuietly(Socket s) {
        if (s == null) return;
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is best effort: the peer sees the connection end either way
        }
    }
}
