package dev.jgrad.kernel;

/**
 * Compiles the chosen kernels and fused passes before they are needed. Vector API code runs a
 * thousand times slower interpreted than compiled, so without this a network's first training
 * step takes about a second; with it, one to two seconds of one core that can be spent while
 * data loads. Nothing to do for the scalar references.
 */
public final class WarmUp {
    private WarmUp() {
    }

    /** Runs every kernel and fused pass on small inputs, on this thread, until the JIT has compiled it. */
    public static void run() {
        Kernels.get().warmUp();
        FusedPasses.get().warmUp();
    }

    /** Starts {@link #run()} on a daemon thread and returns that thread. */
    public static Thread inBackground() {
        Thread t = new Thread(WarmUp::run, "jgrad-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        return t;
    }
}
