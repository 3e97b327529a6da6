package dev.jgrad.kernel;

import java.lang.System.Logger.Level;

/**
 * The start-up choice between the scalar references and the Vector API, made once for the
 * linear algebra ({@link Kernels}) and the fused passes ({@link FusedPasses}) alike, so both run
 * on the same side. The Vector API classes are loaded by name so that nothing else links against
 * the incubator module; a class that fails to load falls back to its reference with a warning,
 * never silently. {@code -Djgrad.kernels=scalar} forces the references.
 */
final class Vectorization {
    static final System.Logger LOG = System.getLogger("dev.jgrad.kernel");
    /** Whether the Vector API classes may be loaded: not forced off, and the module readable. */
    static final boolean ENABLED = decide();

    private Vectorization() {
    }

    private static boolean decide() {
        if ("scalar".equalsIgnoreCase(System.getProperty("jgrad.kernels"))) {
            LOG.log(Level.INFO, "jgrad: scalar kernels (forced by -Djgrad.kernels=scalar)");
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.log(Level.WARNING, "jgrad: jdk.incubator.vector is not enabled, using scalar kernels"
                    + " (several times slower); start java with --add-modules jdk.incubator.vector");
            return false;
        }
        return true;
    }

    /** A new instance of the Vector API class named, or {@code scalar} where the choice or loading rules it out. */
    static <T> T load(Class<T> type, String className, T scalar) {
        if (!ENABLED) return scalar;
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.log(Level.WARNING, "jgrad: " + className + " failed to load (" + e
                    + "), using the scalar reference (several times slower)");
            return scalar;
        }
    }
}
