package dev.jgrad.train;

/**
 * Hears what training does: progress display, logging, reports, and the parts of the loop that
 * act between epochs (early stopping, checkpoints, the divergence guard's record of the last
 * checkpoint). The library itself never prints. All methods are optional; listeners are called
 * in the order they were added, after the trainer's own.
 */
public interface TrainingListener {

    default void onTrainStart(int epochs, int batchesPerEpoch, int samplesPerEpoch) {
    }

    default void onEpochStart(int epoch) {
    }

    /** After each optimizer step; {@code samples} counts this epoch's samples so far. */
    default void onBatchEnd(int epoch, int batch, int batches, double loss, int samples) {
    }

    default void onEpochEnd(EpochResult result) {
    }

    /** A checkpoint was written (atomically) after an epoch. */
    default void onCheckpoint(int epoch, java.nio.file.Path file) {
    }

    default void onTrainEnd(History history) {
    }

    /** Asked after each epoch's {@link #onEpochEnd}: true ends training there (early stopping). */
    default boolean stopRequested() {
        return false;
    }
}
