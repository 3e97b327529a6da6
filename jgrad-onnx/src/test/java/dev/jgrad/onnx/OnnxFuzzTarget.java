package dev.jgrad.onnx;

import dev.jgrad.io.InvalidModelException;
import dev.jgrad.io.Model;

import java.lang.management.ManagementFactory;

/**
 * What {@link OnnxImporter#read(byte[], String)} must do with any bytes at all, the contract
 * jgrad-core's reader fuzz targets hold their readers to: return a model whose network is whole,
 * or throw {@link InvalidModelException} whose message starts with the source's name, and
 * allocate no more than {@link #MAX_BYTES_PER_INPUT_BYTE} bytes per input byte plus
 * {@link #MAX_BASE_BYTES}. Anything else (another exception, an error, a message that does not
 * name the source, memory out of proportion) fails the target.
 */
final class OnnxFuzzTarget {
    private OnnxFuzzTarget() {
    }

    static final String SOURCE = "fuzz.onnx";
    static final long MAX_BASE_BYTES = 64L << 20;
    static final long MAX_BYTES_PER_INPUT_BYTE = 256;

    static void read(byte[] data) {
        long bound = MAX_BASE_BYTES + MAX_BYTES_PER_INPUT_BYTE * data.length;
        long allocated = readOnce(data);
        // The first read also loads and initialises classes (the kernels among them): only a
        // second read that allocates as much is the importer's doing.
        if (allocated > bound) allocated = readOnce(data);
        if (allocated > bound) {
            throw new AssertionError(allocated + " bytes allocated for an input of " + data.length + " bytes (bound " + bound + ")");
        }
    }

    private static long readOnce(byte[] data) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(id);
        try {
            Model m = OnnxImporter.read(data, SOURCE);
            if (m.network().parameterCount() < 0) throw new AssertionError("a negative parameter count");
        } catch (InvalidModelException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith(SOURCE)) {
                throw new AssertionError("the message does not start with the source '" + SOURCE + "': " + e.getMessage(), e);
            }
        } catch (RuntimeException e) {
            throw new AssertionError("undocumented exception " + e, e);
        }
        return mx.getThreadAllocatedBytes(id) - before;
    }
}
