package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;

/**
 * A layer's forward pass in evaluation mode over a fixed copy of its parameters, with no state of
 * its own: what a model shared by many request threads runs. The caller hands in the input, the
 * output and a scratch array, so one instance serves any number of threads at once.
 *
 * <p>Every layer has one ({@link Layer#inference()}); layers of jgrad compute each row of the
 * output from the same row of the input alone, with bits that depend neither on the batch it is
 * in nor on the thread count: a sample gets the same answer alone or batched with others.
 *
 * <p>Thread-safety: implementations are immutable and safe for concurrent use by any number of
 * threads, platform or virtual.
 */
public interface InferenceLayer {

    int inputSize();

    int outputSize();

    /** Floats of scratch {@link #forward} needs for a batch of {@code rows}. */
    default int scratchSize(int rows) {
        return 0;
    }

    /**
     * Y = layer(X) in evaluation mode for {@code rows} rows: X at {@code x[xOff ..]} (rows ×
     * inputSize, contiguous), Y written at {@code y[yOff ..]} (rows × outputSize). X is left as
     * it was; {@code scratch} holds at least {@link #scratchSize(int)} floats. X and Y may not overlap.
     */
    void forward(Parallel par, float[] x, int xOff, int rows, float[] y, int yOff, float[] scratch);
}
