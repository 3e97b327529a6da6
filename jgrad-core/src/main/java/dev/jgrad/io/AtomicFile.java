package dev.jgrad.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that readers see the old content or the new, never a half: the bytes go to a
 * temporary file beside the target, are forced to disk, and the temporary file is renamed over
 * the target; then the directory entry is forced too. On failure the target is untouched.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes a file's whole content into the channel of the temporary file. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel out) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            if (dir != null) forceDirectory(dir);
        } catch (IOException e) {
            // A full disk or a closed device says only "No space left on device": name the file.
            throw new IOException("cannot write " + abs + ": " + (e.getMessage() != null ? e.getMessage() : e), e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms cannot open a directory for syncing; the rename itself is still atomic.
        }
    }
}
