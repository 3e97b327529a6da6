package dev.jgrad.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * Sums over TCP between ranks on a ring: rank r sends to r+1 and receives from r−1 (rank 0 from
 * the last). A sum first runs down the chain 0 → 1 → … → N−1, each rank adding its own values to
 * the running partial sum, so every element is added in rank order; the last rank then sends the
 * total round the ring back to 0 and on to N−2. Both passes stream in chunks, and they overlap:
 * the last rank sends a chunk's total back as soon as it has added it, while the chunks behind it
 * are still arriving, and every rank reads and writes at once. So each rank sends about twice the
 * buffer per sum, as a ring all-reduce does, the order of every addition is fixed, and on two
 * ranks a sum takes about one transfer of the buffer rather than two.
 *
 * <p>Reading and writing at once on one thread needs non-blocking sockets: each sum is one loop
 * that writes what the peer can take, reads what has arrived, and otherwise blocks in a
 * {@link Selector} (no busy waiting). The sockets are channels, so chunks go from the float
 * array to a direct buffer and into the kernel with one copy each way. Listening sockets come
 * from {@link #listen}.
 *
 * <p>Every socket has a connect and a read timeout: a rank that dies closes its sockets and its
 * neighbours fail at once; one that hangs makes its neighbours fail after the read timeout (no
 * byte moving either way for that long); either way each rank that fails closes its own sockets,
 * so the failure travels round the ring and every rank stops. Each pass of a sum starts with a
 * header (its sequence number and length) that the receiver checks, so ranks that fall out of
 * step fail instead of adding the wrong buffers.
 */
public final class TcpChain implements Collective {
    private static final int MAGIC = 0x6A677264;   // "jgrd"
    /**
     * Floats per chunk: 64 KiB, so that a 235k-parameter gradient streams in 15 chunks and the
     * return pass starts after the first of them rather than after the whole buffer.
     */
    private static final int CHUNK = 1 << 14;
    private static final int HEADER = 12;

    private final int rank, size;
    private final SocketChannel out, in;
    private final Selector selector;
    private final SelectionKey outKey, inKey;
    private final int readTimeoutMs;
    private final ByteBuffer send = ByteBuffer.allocateDirect(HEADER + CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer receive = ByteBuffer.allocateDirect(HEADER + CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
    private final FloatBuffer sendFloats = send.asFloatBuffer();
    private final FloatBuffer receiveFloats = receive.asFloatBuffer();
    private final float[] scratch = new float[CHUNK];
    private long sequence;
    private long waitNanos;

    private TcpChain(int rank, int size, SocketChannel out, SocketChannel in, int readTimeoutMs) throws IOException {
        this.rank = rank;
        this.size = size;
        this.out = out;
        this.in = in;
        this.readTimeoutMs = readTimeoutMs;
        out.configureBlocking(false);
        in.configureBlocking(false);
        this.selector = Selector.open();
        this.outKey = out.register(selector, 0);
        this.inKey = in.register(selector, 0);
        send.limit(0);
    }

    /**
     * A listening socket for {@link #connect}, bound to {@code host} on a free port: backed by a
     * channel, as the ring's non-blocking sums need.
     */
    public static ServerSocket listen(InetAddress host, int backlog) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.bind(new InetSocketAddress(host, 0), backlog);
            return channel.socket();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Connects rank {@code rank} to its ring neighbours. {@code server} is this rank's listening
     * socket from {@link #listen} (its address is in {@code addresses}, as every rank published
     * it); {@code run} identifies the run so that a rank of another run, or of an earlier attempt
     * of this one, is turned away.
     */
    public static TcpChain connect(int rank, List<InetSocketAddress> addresses, ServerSocket server, long run,
                                   int connectTimeoutMs, int readTimeoutMs) throws IOException {
        int size = addresses.size();
        if (size < 2) throw new IllegalArgumentException("a ring needs 2 or more ranks, got " + size);
        if (server.getChannel() == null) throw new IllegalArgumentException("the listening socket must come from TcpChain.listen");
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
            return new TcpChain(rank, size, out.getChannel(), in.getChannel(), readTimeoutMs);
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
            Socket s = SocketChannel.open().socket();
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

    /*
     * A float sum as two streams of units, a unit being a header or a chunk. In: down the chain
     * (ranks > 0: a header, then chunks to add), then round the ring (ranks < N−1: a header, then
     * chunks to copy). Out: down the chain (ranks < N−1), then round the ring (the last rank, and
     * ranks that pass the total on: r + 1 < N−1). Out-unit j may go once in-units up to
     * need(j) have arrived: a chunk is passed on only after it has been added or copied.
     */

    @Override
    public void sum(float[] a, int off, int len) throws IOException {
        long seq = sequence++;
        int chunks = (len + CHUNK - 1) / CHUNK;
        boolean receivesDown = rank > 0, receivesRound = rank < size - 1;
        boolean sendsDown = rank < size - 1, sendsRound = rank == size - 1 || rank + 1 < size - 1;
        int inUnits = (receivesDown ? chunks + 1 : 0) + (receivesRound ? chunks + 1 : 0);
        int outUnits = (sendsDown ? chunks + 1 : 0) + (sendsRound ? chunks + 1 : 0);
        int inDone = 0, outDone = 0;
        boolean expecting = false;
        long lastProgress = System.nanoTime();
        try {
            while (inDone < inUnits || outDone < outUnits || send.hasRemaining()) {
                boolean progress = false;
                if (!send.hasRemaining() && outDone < outUnits && inDone >= need(outDone, chunks, sendsDown, receivesDown)) {
                    fill(outDone, chunks, sendsDown, a, off, len, seq);
                    outDone++;
                }
                if (send.hasRemaining() && out.write(send) > 0) progress = true;
                if (inDone < inUnits) {
                    if (!expecting) {
                        receive.clear().limit(inBytes(inDone, chunks, receivesDown, len));
                        expecting = true;
                    }
                    int got = in.read(receive);
                    if (got < 0) throw new EOFException();
                    if (got > 0) progress = true;
                    if (!receive.hasRemaining()) {
                        take(inDone, chunks, receivesDown, a, off, len, seq);
                        inDone++;
                        expecting = false;
                        progress = true;
                    }
                }
                if (progress) {
                    lastProgress = System.nanoTime();
                } else {
                    // Nothing moved: block until the peer sends or makes room. Time spent before the
                    // first byte of a pass's header is time spent waiting for a slower peer.
                    boolean waiting = inDone < inUnits && receive.position() == 0 && isHeader(inDone, chunks, receivesDown);
                    await(inDone < inUnits, send.hasRemaining(), lastProgress, waiting);
                }
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("rank " + rank + " of " + size + ": no data from a peer within the read timeout ("
                    + readTimeoutMs + " ms) in sum " + seq + "; a rank has stopped or hangs", e);
        } catch (EOFException e) {
            throw new IOException("rank " + rank + " of " + size + ": a peer closed its connection in sum " + seq
                    + "; a rank has failed", e);
        }
    }

    /** In-units that must have arrived before out-unit {@code j} may go. */
    private int need(int j, int chunks, boolean sendsDown, boolean receivesDown) {
        if (sendsDown && j <= chunks) {
            // Down the chain: rank 0 sends its own values; the others pass on chunk k once added.
            return j == 0 || rank == 0 ? 0 : j + 1;
        }
        int k = sendsDown ? j - chunks - 1 : j;   // 0: the header, 1 + c: chunk c
        if (k == 0) return 0;
        if (rank == size - 1) return k + 1;   // the total of chunk k − 1 is known once it has been added
        int before = receivesDown ? chunks + 1 : 0;
        return before + k + 1;   // passing the total on: chunk k − 1 once copied
    }

    private boolean isHeader(int u, int chunks, boolean receivesDown) {
        return u == 0 || (receivesDown && u == chunks + 1);
    }

    private int inBytes(int u, int chunks, boolean receivesDown, int len) {
        if (isHeader(u, chunks, receivesDown)) return HEADER;
        int k = (receivesDown && u > chunks ? u - chunks - 1 : u) - 1;
        return Math.min(CHUNK, len - k * CHUNK) * 4;
    }

    /** Puts out-unit {@code j} into the send buffer. */
    private void fill(int j, int chunks, boolean sendsDown, float[] a, int off, int len, long seq) {
        int k = (sendsDown && j <= chunks ? j : sendsDown ? j - chunks - 1 : j) - 1;
        send.clear();
        if (k < 0) {
            send.putLong(0, seq).putInt(8, len).limit(HEADER);
        } else {
            int n = Math.min(CHUNK, len - k * CHUNK);
            sendFloats.put(0, a, off + k * CHUNK, n);
            send.limit(n * 4);
        }
    }

    /** Takes in-unit {@code u} from the receive buffer: checks a header, adds or copies a chunk. */
    private void take(int u, int chunks, boolean receivesDown, float[] a, int off, int len, long seq) throws IOException {
        if (isHeader(u, chunks, receivesDown)) {
            check(receive.getLong(0), receive.getInt(8), seq, len);
            return;
        }
        boolean add = receivesDown && u <= chunks;
        int k = (receivesDown && u > chunks ? u - chunks - 1 : u) - 1;
        int n = Math.min(CHUNK, len - k * CHUNK), at = off + k * CHUNK;
        if (add) {
            receiveFloats.get(0, scratch, 0, n);
            for (int i = 0; i < n; i++) a[at + i] = scratch[i] + a[at + i];
        } else {
            receiveFloats.get(0, a, at, n);
        }
    }

    /**
     * Blocks until the in socket can be read ({@code reading}) or the out socket written
     * ({@code writing}); fails once nothing has moved for the read timeout.
     */
    private void await(boolean reading, boolean writing, long lastProgress, boolean waiting) throws IOException {
        long left = readTimeoutMs - (System.nanoTime() - lastProgress) / 1_000_000L;
        if (left <= 0) throw new SocketTimeoutException("no progress for " + readTimeoutMs + " ms");
        inKey.interestOps(reading ? SelectionKey.OP_READ : 0);
        outKey.interestOps(writing ? SelectionKey.OP_WRITE : 0);
        long t0 = System.nanoTime();
        selector.select(left);
        selector.selectedKeys().clear();
        if (waiting) waitNanos += System.nanoTime() - t0;
    }

    private void check(long s, int n, long seq, int len) throws IOException {
        if (s != seq || n != len) {
            throw new IOException("rank " + rank + ": out of step with its peer (sum " + s + " of " + n
                    + " values arrived, expected sum " + seq + " of " + len + ")");
        }
    }

    @Override
    public void sum(double[] a) throws IOException {
        // Doubles go in chunks of one buffer each, every chunk a sum of its own.
        int per = CHUNK * 4 / 8;
        for (int c = 0; c < a.length; c += per) sum(a, c, Math.min(per, a.length - c));
    }

    /**
     * The two passes of {@link #sum(double[])} over a[off .. off+len), which fits the buffer, one
     * after the other: these sums are small (batch statistics, per-epoch totals).
     */
    private void sum(double[] a, int off, int len) throws IOException {
        long seq = sequence++;
        try {
            if (rank > 0) {
                readFully(HEADER, true);
                check(receive.getLong(0), receive.getInt(8), seq, -len);
                readFully(len * 8, false);
                for (int i = 0; i < len; i++) a[off + i] = receive.getDouble(i * 8) + a[off + i];
            }
            if (rank < size - 1) writeDoubles(seq, a, off, len);
            if (rank == size - 1) {
                writeDoubles(seq, a, off, len);
            } else {
                readFully(HEADER, true);
                check(receive.getLong(0), receive.getInt(8), seq, -len);
                readFully(len * 8, false);
                for (int i = 0; i < len; i++) a[off + i] = receive.getDouble(i * 8);
                if (rank + 1 < size - 1) writeDoubles(seq, a, off, len);
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("rank " + rank + " of " + size + ": no data from a peer within the read timeout in sum "
                    + seq + "; a rank has stopped or hangs", e);
        } catch (EOFException e) {
            throw new IOException("rank " + rank + " of " + size + ": a peer closed its connection in sum " + seq
                    + "; a rank has failed", e);
        }
    }

    private void writeDoubles(long seq, double[] a, int off, int len) throws IOException {
        send.clear();
        send.putLong(0, seq).putInt(8, -len);
        for (int i = 0; i < len; i++) send.putDouble(HEADER + i * 8, a[off + i]);
        send.limit(HEADER + len * 8);
        long lastProgress = System.nanoTime();
        while (send.hasRemaining()) {
            if (out.write(send) > 0) lastProgress = System.nanoTime();
            else await(false, true, lastProgress, false);
        }
    }

    private void readFully(int n, boolean header) throws IOException {
        receive.clear().limit(n);
        long lastProgress = System.nanoTime();
        while (receive.hasRemaining()) {
            int got = in.read(receive);
            if (got < 0) throw new EOFException();
            if (got > 0) lastProgress = System.nanoTime();
            else await(true, false, lastProgress, header && receive.position() == 0);
        }
    }

    private final ByteBuffer probe = ByteBuffer.allocate(1);

    /**
     * Checks, without blocking, that both neighbours still hold their ends of the ring, for a
     * transport that uses the ring only to notice failures ({@link SharedMemorySum}): an end that
     * was closed or reset, or any byte arriving, is an error.
     */
    void checkPeers() throws IOException {
        for (SocketChannel c : new SocketChannel[]{in, out}) {
            probe.clear();
            int got = c.read(probe);
            if (got < 0) throw new EOFException();
            if (got > 0) throw new IOException("rank " + rank + ": unexpected data on the ring while summing through shared memory");
        }
    }

    @Override
    public void close() {
        closeQuietly(out);
        closeQuietly(in);
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing is best effort: the peer sees the connection end either way
        }
    }
}
