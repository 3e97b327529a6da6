package dev.jgrad.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * OpenBLAS's cblas_sgemm called in-process through the foreign function API, so the GEMM
 * comparison can alternate between the two libraries within one process, a fraction of a second
 * apart: on a shared machine whose speed drifts by tens of percent from one second to the next,
 * that is what makes the ratio meaningful. A benchmark aid only; jgrad itself loads nothing native.
 */
final class OpenBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final String[] CANDIDATES = {
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    };

    private final MethodHandle sgemm;
    private final MethodHandle setThreads;
    /** The library's own account of itself: its build configuration and the core type its kernels were chosen for. */
    final String library, config, coreName;

    private OpenBlas(String library, SymbolLookup lookup) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        // critical(true): the Java arrays are passed as they lie, with the collector held off for the call.
        sgemm = linker.downcallHandle(lookup.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT,
                        ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT),
                Linker.Option.critical(true));
        setThreads = linker.downcallHandle(lookup.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT));
        // Only OpenBLAS exports these; a reference BLAS under the same file name fails here.
        config = text(linker, lookup, "openblas_get_config");
        coreName = text(linker, lookup, "openblas_get_corename");
    }

    /** Calls a no-argument function of the library that returns a C string. */
    private static String text(Linker linker, SymbolLookup lookup, String function) {
        MethodHandle h = linker.downcallHandle(lookup.find(function).orElseThrow(() -> new IllegalStateException(
                function + " not found: the library is not OpenBLAS")), FunctionDescriptor.of(ADDRESS));
        try {
            return ((MemorySegment) h.invokeExact()).reinterpret(4096).getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The library named by -Djgrad.openblas, or the first of Debian's usual places that exists. */
    static Optional<OpenBlas> load() {
        String named = System.getProperty("jgrad.openblas");
        for (String path : named != null ? new String[]{named} : CANDIDATES) {
            if (Files.isReadable(Path.of(path))) {
                return Optional.of(new OpenBlas(path, SymbolLookup.libraryLookup(Path.of(path), Arena.global())));
            }
        }
        return Optional.empty();
    }

    void threads(int n) {
        try {
            setThreads.invokeExact(n);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shape's product, in its layout, by OpenBLAS: the same operands and output as {@link GemmShape#run}. */
    void run(GemmShape g) {
        boolean ta = g.layout.equals("TN"), tb = g.layout.equals("NT");
        int lda = ta ? g.m : g.k, ldb = tb ? g.k : g.n;
        try {
            sgemm.invokeExact(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, g.m, g.n, g.k, 1f,
                    MemorySegment.ofArray(g.a), lda, MemorySegment.ofArray(g.b), ldb, 0f, MemorySegment.ofArray(g.c), g.n);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
