package dev.jgrad.train;

/**
 * Hears what training does, for progress display, logging and reports; the library itself
 * never prints. All methods are optional.
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
}
