package dev.jgrad.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Where rank 0 keeps a checkpoint after every epoch and where a restarted run finds them. Each
 * epoch's checkpoint is a file of its own, written once and never changed, so a rank that reads
 * it while a late task of a failed attempt is still writing the next one reads a whole file.
 */
interface CheckpointStore extends Serializable {

    /** Epochs done in the newest complete checkpoint, or 0 when there is none. */
    int latest() throws IOException;

    /** Copies the checkpoint taken after {@code epochsDone} epochs to a local file and returns it. */
    Path fetch(int epochsDone) throws IOException;

    /** Stores a local checkpoint file as the one taken after {@code epochsDone} epochs. */
    void store(int epochsDone, Path local) throws IOException;
}
