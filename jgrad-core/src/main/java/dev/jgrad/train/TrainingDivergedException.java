package dev.jgrad.train;

import java.nio.file.Path;

/** The loss or a gradient became NaN or infinite; nothing saved before was overwritten. */
public final class TrainingDivergedException extends RuntimeException {
    private final int epoch;
    private final int step;
    private final Path lastCheckpoint;

    public TrainingDivergedException(String what, int epoch, int step, Path lastCheckpoint) {
        super("training diverged at epoch " + (epoch + 1) + ", step " + (step + 1) + ": " + what
                + (lastCheckpoint != null ? "; last good checkpoint: " + lastCheckpoint : "; no checkpoint was written")
                + " (try a lower learning rate or gradient clipping)");
        this.epoch = epoch;
        this.step = step;
        this.lastCheckpoint = lastCheckpoint;
    }

    /** 0-based epoch. */
    public int epoch() {
        return epoch;
    }

    /** 0-based step within the epoch. */
    public int step() {
        return step;
    }

    public Path lastCheckpoint() {
        return lastCheckpoint;
    }
}
