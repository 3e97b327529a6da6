package dev.jgrad.cli;

import dev.jgrad.train.TrainingListener;

import java.io.PrintStream;

/**
 * The timeline of a {@code jgrad train} run, printed to standard error when the system property
 * {@code jgrad.timeline} is set ({@code JGRAD_JAVA_OPTS=-Djgrad.timeline=20 ./jgrad train ...}):
 * milliseconds since the JVM started at each stage (data loaded, warm-up joined, fit started)
 * and the duration of every N-th training step, where N is the property's value. It is how the
 * cost of the first epoch was found; it prints nothing and costs nothing when the property is
 * absent.
 */
final class TrainTimeline implements TrainingListener {
    private static final String PROPERTY = "jgrad.timeline";
    private final PrintStream out = System.err;
    private final int every;
    private final long jvmStartMillis;
    private long last;

    private TrainTimeline(int every) {
        this.every = every;
        this.jvmStartMillis = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli)
                .orElse(System.currentTimeMillis());
    }

    /** The timeline the system property asks for, or null when it is absent. */
    static TrainTimeline fromProperty() {
        String v = System.getProperty(PROPERTY);
        if (v == null) return null;
        int every;
        try {
            every = v.isEmpty() ? 20 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + " takes a step interval, not '" + v + "'");
        }
        return new TrainTimeline(Math.max(1, every));
    }

    /** Prints a stage with its time since the JVM started. */
    void mark(String stage) {
        out.printf("timeline %7d ms  %s%n", System.currentTimeMillis() - jvmStartMillis, stage);
    }

    /** Prints a stage that happened at {@code nanoTime} (System.nanoTime()), before now. */
    void mark(String stage, long nanoTime) {
        if (nanoTime == 0) return;
        out.printf("timeline %7d ms  %s%n", System.currentTimeMillis() - jvmStartMillis - (System.nanoTime() - nanoTime) / 1_000_000, stage);
    }

    @Override
    public void onEpochStart(int epoch) {
        mark("epoch " + (epoch + 1) + " starts");
        last = System.nanoTime();
    }

    @Override
    public void onBatchEnd(int epoch, int batch, int batches, double loss, int samples) {
        long now = System.nanoTime();
        if (batch % every == 0 || batch == batches - 1) {
            out.printf("timeline %7d ms  epoch %d step %d: %.3f ms%n", System.currentTimeMillis() - jvmStartMillis,
                    epoch + 1, batch, (now - last) / 1e6);
        }
        last = System.nanoTime();
    }
}
