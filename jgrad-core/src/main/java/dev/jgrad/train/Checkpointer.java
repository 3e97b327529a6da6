package dev.jgrad.train;

import dev.jgrad.io.CheckpointFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a checkpoint after every epoch, as a listener: {@value CheckpointFile#FILE} in the
 * checkpoint directory, atomically, holding a usable model and the trainer's whole state (see
 * {@link CheckpointFile}), then tells every listener where it is.
 */
final class Checkpointer implements TrainingListener {
    private final Path dir;
    private final Trainer trainer;

    Checkpointer(Path dir, Trainer trainer) {
        this.dir = dir;
        this.trainer = trainer;
    }

    @Override
    public void onEpochEnd(EpochResult r) {
        Path file = dir.resolve(CheckpointFile.FILE);
        try {
            Files.createDirectories(dir);
            CheckpointFile.write(file, trainer.checkpointModel(), trainer.state());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);   // AtomicFile names the file
        }
        trainer.checkpointed(r.epoch(), file);
    }
}
