package dev.jgrad.spark;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Sums through shared memory between ranks on one host, as NCCL's shared-memory transport and
 * MPI's shared-memory byte transfer layer do. Rank 0 creates a file in {@code /dev/shm} (or
 * {@code java.io.tmpdir} where there is no {@code /dev/shm}) under an unguessable name, readable
 * by its owner only; every rank maps it; rank 0 deletes it as soon as every rank has mapped it,
 * so a run leaves nothing behind. The file holds a control line per rank, one slot per rank and
 * a result area.
 *
 * <p>A sum of a buffer: each rank copies the buffer into its slot and arrives at a barrier; then
 * rank r adds up the r-th of N contiguous slices of the elements over all slots in rank order,
 * ((r0 + r1) + r2) + …, the order of {@link TcpChain}, so the bits are the same and do not depend
 * on timing; it writes its slice of the total to the result area and arrives at a second
 * barrier; then every rank copies the total back. A rank never copies its own slice into its
 * slot (only it reads that) and takes its own slice of the total directly. Buffers larger than
 * the slots are summed piece by piece, each piece a sum of its own.
 *
 * <p>A barrier is a counter per rank in the mapped memory, written with release and read with
 * acquire semantics. A rank that waits spins for a few microseconds, then yields its core
 * (on a machine whose cores are all busy a spinning rank would hold back the very peer it waits
 * for), then parks for growing intervals. While it waits it notices failures three ways: a peer
 * that closes its collective marks its control line; a peer whose process dies closes its ring
 * sockets ({@link TcpChain}, kept open for this and polled while waiting); and a peer that hangs
 * makes the wait fail after the read timeout. Each rank also writes the sequence number and
 * length of its sum into its control line, and the ranks check them against each other, so ranks
 * that fall out of step fail instead of adding the wrong buffers. Failures are
 * {@link IOException}s, as {@link TcpChain}'s are.
 *
 * <p>{@link #over} decides between this and the TCP ring, the same way on every rank.
 */
public final class SharedMemorySum implements Collective {
    /** Bytes of a rank's control line: two cache lines, so that no two ranks' counters share one. */
    private static final long LINE = 128;
    private static final long COUNTER = 0, CLOSED = 8, SEQUENCE = 16, LENGTH = 24;
    /** Elements added per step of the slice loop: small enough for L1. */
    private static final int STRIDE = 2048;
    /** Slots are never smaller than this (bytes): the double sums of batch statistics fit. */
    private static final int MIN_SLOT = 1 << 16;
    /** Name of the system property that forces the TCP ring ({@code tcp}) or allows shared memory ({@code auto}). */
    public static final String TRANSPORT_PROPERTY = "jgrad.spark.transport";

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final TcpChain tcp;
    /** The file this rank mapped: deleted by now; kept for tests that check so. */
    final Path file;
    private final int rank, size;
    private final Arena arena;
    private final MemorySegment mem;
    private final long control, slotBytes, result;
    private final int readTimeoutMs;
    private final long spinNanos, yieldNanos;
    private final float[] acc = new float[STRIDE], add = new float[STRIDE];
    private final double[] accD = new double[STRIDE], addD = new double[STRIDE];
    private long sequence, barriers, waitNanos;
    private boolean closed;

    private SharedMemorySum(TcpChain tcp, Arena arena, MemorySegment mem, long slotBytes, int readTimeoutMs, Path file) {
        this.tcp = tcp;
        this.file = file;
        this.rank = tcp.rank();
        this.size = tcp.size();
        this.arena = arena;
        this.mem = mem;
        this.control = controlBytes(size);
        this.slotBytes = slotBytes;
        this.result = control + size * slotBytes;
        this.readTimeoutMs = readTimeoutMs;
        this.spinNanos = Long.getLong("jgrad.spark.shm.spinMicros", 20) * 1000;
        this.yieldNanos = Long.getLong("jgrad.spark.shm.yieldMicros", 2000) * 1000;
    }

    private static long controlBytes(int size) {
        return (size * LINE + 4095) & ~4095L;
    }

    /**
     * The collective for the ranks of {@code tcp}: sums through shared memory when every rank is
     * on one host ({@code sameHost}, which every rank must compute alike, from the addresses they
     * all published), none refuses (a rank refuses when {@code transport} is {@code tcp}, or the
     * system property {@value #TRANSPORT_PROPERTY} is), and rank 0's file can be created, opened
     * and mapped by all; the TCP ring itself otherwise. The ranks agree through two small sums
     * over the ring, so every rank ends with the same choice, and each logs it in one line.
     * {@code capacityFloats} sizes the slots: the largest float buffer summed at once.
     */
    public static Collective over(TcpChain tcp, boolean sameHost, String transport, int capacityFloats, int readTimeoutMs)
            throws IOException {
        String forced = System.getProperty(TRANSPORT_PROPERTY, "auto");
        for (String t : new String[]{transport, forced}) {
            if (!t.equals("auto") && !t.equals("tcp")) {
                throw new IllegalArgumentException("transport takes auto or tcp, not '" + t + "'");
            }
        }
        boolean wants = sameHost && transport.equals("auto") && forced.equals("auto");
        int size = tcp.size(), rank = tcp.rank();
        long slotBytes = Math.max(MIN_SLOT, ((long) capacityFloats * 4 + 63) & ~63L);
        long bytes = controlBytes(size) + (size + 1) * slotBytes;
        String why = sameHost ? "shared memory is turned off (transport=tcp)" : "the ranks are on different hosts";
        Path dir = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        Path file = null;
        Arena arena = null;
        MemorySegment mem = null;
        Path path = null;
        try {
            // First exchange: the votes, and rank 0's file name (128 random bits in four doubles,
            // which sum exactly since the other ranks add zeros).
            double[] a = new double[6];
            a[0] = wants ? 0 : 1;
            if (rank == 0 && wants) {
                byte[] nonce = new byte[16];
                new SecureRandom().nextBytes(nonce);
                try {
                    file = create(dir, "jgrad-sum-" + HexFormat.of().formatHex(nonce), bytes);
                    ByteBuffer b = ByteBuffer.wrap(nonce);
                    for (int i = 0; i < 4; i++) a[1 + i] = Integer.toUnsignedLong(b.getInt());
                    a[5] = dir.toString().equals("/dev/shm") ? 0 : 1;
                } catch (IOException e) {
                    a[0] = 1;
                    why = "rank 0 could not create a " + bytes + "-byte file in " + dir + ": " + e.getMessage();
                }
            }
            tcp.sum(a);
            if (a[0] == 0) {
                String failure = null;
                Path theirs = file;
                if (rank != 0) {
                    ByteBuffer b = ByteBuffer.allocate(16);
                    for (int i = 0; i < 4; i++) b.putInt((int) (long) a[1 + i]);
                    theirs = (a[5] == 0 ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir")))
                            .resolve("jgrad-sum-" + HexFormat.of().formatHex(b.array()));
                }
                try {
                    arena = Arena.ofShared();
                    mem = map(theirs, bytes, arena);
                    path = theirs;
                } catch (IOException | RuntimeException e) {
                    failure = e.toString();
                }
                // Second exchange: how many ranks could not map the file.
                double[] failed = {mem != null ? 0 : 1};
                tcp.sum(failed);
                if (file != null) {
                    Files.deleteIfExists(file);   // every rank has mapped it, or given up
                    file = null;
                }
                if (failed[0] == 0) {
                    Collective c = new SharedMemorySum(tcp, arena, mem, slotBytes, readTimeoutMs, path);
                    log(rank, size, "shared memory (" + dir + ", " + bytes + " bytes mapped)");
                    return c;
                }
                why = failure != null ? "rank " + rank + " could not map rank 0's file: " + failure
                        : (int) failed[0] + " rank(s) could not map rank 0's file";
            } else if (wants && !why.startsWith("rank 0 could not")) {
                why = "another rank turned shared memory down (another host, transport=tcp, or rank 0 could not create the file)";
            }
            if (arena != null) arena.close();
            log(rank, size, "TCP, because " + why);
            return tcp;
        } catch (IOException | RuntimeException e) {
            if (arena != null) arena.close();
            throw e;
        } finally {
            if (file != null) Files.deleteIfExists(file);
        }
    }

    private static void log(int rank, int size, String what) {
        System.err.println("jgrad-spark: rank " + rank + " of " + size + " sums gradients through " + what);
    }

    /** Creates the file, owner-only, and fills it with zeros so that a full file system fails here, not as a fault later. */
    private static Path create(Path dir, String name, long bytes) throws IOException {
        Path file = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            long usable = Files.getFileStore(dir).getUsableSpace();
            if (usable < bytes) throw new IOException(usable + " bytes free, " + bytes + " needed");
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 16);
            for (long at = 0; at < bytes; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - at));
                at += ch.write(zeros, at);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }

    /** Maps {@code file} after checking that it has the expected size. */
    private static MemorySegment map(Path file, long bytes, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() != bytes) throw new IOException(file + " has " + ch.size() + " bytes, expected " + bytes);
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        }
    }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }
    @Override public long waitNanos() { return waitNanos; }

    @Override
    public void sum(float[] a, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, a.length);
        int piece = (int) (slotBytes / 4);
        int at = 0;
        do {
            int n = Math.min(piece, len - at);
            sumPiece(a, off + at, n);
            at += n;
        } while (at < len);
    }

    private void sumPiece(float[] a, int off, int len) throws IOException {
        long seq = sequence++;
        int from = slice(len, rank), to = slice(len, rank + 1);
        long mine = control + rank * slotBytes;
        // Phase 1: this rank's buffer into its slot, all but its own slice.
        MemorySegment.copy(a, off, mem, ValueLayout.JAVA_FLOAT, mine, from);
        MemorySegment.copy(a, off + to, mem, ValueLayout.JAVA_FLOAT, mine + to * 4L, len - to);
        arrive(seq, len, true);
        // Phase 2: this rank's slice of the total, in rank order.
        for (int i = from; i < to; i += STRIDE) {
            int n = Math.min(STRIDE, to - i);
            if (rank == 0) System.arraycopy(a, off + i, acc, 0, n);
            else MemorySegment.copy(mem, ValueLayout.JAVA_FLOAT, control + i * 4L, acc, 0, n);
            for (int q = 1; q < size; q++) {
                if (q == rank) System.arraycopy(a, off + i, add, 0, n);
                else MemorySegment.copy(mem, ValueLayout.JAVA_FLOAT, control + q * slotBytes + i * 4L, add, 0, n);
                for (int k = 0; k < n; k++) acc[k] = acc[k] + add[k];
            }
            MemorySegment.copy(acc, 0, mem, ValueLayout.JAVA_FLOAT, result + i * 4L, n);
            System.arraycopy(acc, 0, a, off + i, n);
        }
        arrive(seq, len, false);
        // Phase 3: the other slices of the total.
        MemorySegment.copy(mem, ValueLayout.JAVA_FLOAT, result, a, off, from);
        MemorySegment.copy(mem, ValueLayout.JAVA_FLOAT, result + to * 4L, a, off + to, len - to);
    }

    @Override
    public void sum(double[] a) throws IOException {
        int piece = (int) (slotBytes / 8);
        int at = 0;
        do {
            int n = Math.min(piece, a.length - at);
            sumPiece(a, at, n);
            at += n;
        } while (at < a.length);
    }

    private void sumPiece(double[] a, int off, int len) throws IOException {
        long seq = sequence++;
        int from = slice(len, rank), to = slice(len, rank + 1);
        long mine = control + rank * slotBytes;
        MemorySegment.copy(a, off, mem, ValueLayout.JAVA_DOUBLE, mine, from);
        MemorySegment.copy(a, off + to, mem, ValueLayout.JAVA_DOUBLE, mine + to * 8L, len - to);
        arrive(seq, -len - 1, true);   // doubles: a negative length, so a float sum and a double sum never match
        for (int i = from; i < to; i += STRIDE) {
            int n = Math.min(STRIDE, to - i);
            if (rank == 0) System.arraycopy(a, off + i, accD, 0, n);
            else MemorySegment.copy(mem, ValueLayout.JAVA_DOUBLE, control + i * 8L, accD, 0, n);
            for (int q = 1; q < size; q++) {
                if (q == rank) System.arraycopy(a, off + i, addD, 0, n);
                else MemorySegment.copy(mem, ValueLayout.JAVA_DOUBLE, control + q * slotBytes + i * 8L, addD, 0, n);
                for (int k = 0; k < n; k++) accD[k] = accD[k] + addD[k];
            }
            MemorySegment.copy(accD, 0, mem, ValueLayout.JAVA_DOUBLE, result + i * 8L, n);
            System.arraycopy(accD, 0, a, off + i, n);
        }
        arrive(seq, -len - 1, false);
        MemorySegment.copy(mem, ValueLayout.JAVA_DOUBLE, result, a, off, from);
        MemorySegment.copy(mem, ValueLayout.JAVA_DOUBLE, result + to * 8L, a, off + to, len - to);
    }

    /** The first element of rank r's slice of len elements. */
    private int slice(int len, int r) {
        return (int) ((long) len * r / size);
    }

    /**
     * Arrives at the next barrier and waits until every rank has: publishes this rank's writes
     * (release), sees every other rank's (acquire). At the first barrier of a sum ({@code first})
     * it also checks that all ranks are at the same sum: no rank can have moved on to the next
     * sum before every rank has passed the second barrier of this one.
     */
    private void arrive(long seq, int len, boolean first) throws IOException {
        if (closed) throw new IOException("rank " + rank + ": the collective is closed");
        long line = rank * LINE;
        long target = ++barriers;
        if (first) {
            LONG.set(mem, line + SEQUENCE, seq);
            LONG.set(mem, line + LENGTH, (long) len);
        }
        LONG.setRelease(mem, line + COUNTER, target);
        long t0 = 0, lastCheck = 0, park = 20_000;
        int spins = 0;
        for (int q = 0; q < size; q++) {
            long ql = q * LINE;
            while ((long) LONG.getAcquire(mem, ql + COUNTER) < target) {
                if ((++spins & 63) != 0) {
                    Thread.onSpinWait();
                    continue;
                }
                long now = System.nanoTime();
                if (t0 == 0) {
                    t0 = now;
                    lastCheck = now;
                    continue;
                }
                long waited = now - t0;
                if ((long) LONG.getAcquire(mem, ql + CLOSED) != 0) {
                    throw new IOException("rank " + rank + " of " + size + ": rank " + q + " closed its side in sum " + seq
                            + "; a rank has failed");
                }
                if (waited > readTimeoutMs * 1_000_000L) {
                    throw new IOException("rank " + rank + " of " + size + ": no word from rank " + q + " within the read timeout ("
                            + readTimeoutMs + " ms) in sum " + seq + "; a rank has stopped or hangs");
                }
                if (now - lastCheck > 5_000_000L) {
                    lastCheck = now;
                    try {
                        tcp.checkPeers();
                    } catch (EOFException e) {
                        throw new IOException("rank " + rank + " of " + size + ": a peer closed its connection in sum " + seq
                                + "; a rank has failed", e);
                    }
                }
                if (waited < spinNanos) {
                    Thread.onSpinWait();
                } else if (waited < spinNanos + yieldNanos) {
                    Thread.yield();
                } else {
                    LockSupport.parkNanos(park);
                    park = Math.min(park * 2, 1_000_000L);
                }
            }
        }
        if (t0 != 0) waitNanos += System.nanoTime() - t0;
        if (!first) return;
        for (int q = 0; q < size; q++) {
            long s = (long) LONG.get(mem, q * LINE + SEQUENCE), n = (long) LONG.get(mem, q * LINE + LENGTH);
            if (s != seq || n != len) {
                throw new IOException(String.format(Locale.ROOT, "rank %d: out of step with rank %d (it is at sum %d of %d values,"
                        + " this rank at sum %d of %d)", rank, q, s, n, seq, (long) len));
            }
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            LONG.setRelease(mem, rank * LINE + CLOSED, 1L);
        } finally {
            try {
                arena.close();
            } finally {
                tcp.close();
            }
        }
    }
}
