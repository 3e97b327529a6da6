package dev.jgrad.io;

import java.lang.management.ManagementFactory;

/**
 * Bytes of heap the current thread allocates while running an action: hostile-file tests assert
 * that a reader refuses a file that promises gigabytes without allocating anything near that.
 */
public final class HeapMeter {
    private HeapMeter() {
    }

    /** An action that may throw anything; its outcome is checked by the caller. */
    @FunctionalInterface
    public interface Action {
        void run() throws Throwable;
    }

    /** The bytes allocated by this thread while {@code action} ran (its exception, if any, is swallowed). */
    public static long allocatedBy(Action action) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(id);
        try {
            action.run();
        } catch (Throwable ignored) {
            // the caller asserts on the exception separately
        }
        return mx.getThreadAllocatedBytes(id) - before;
    }
}
