package dev.jgrad.io;

import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Everything besides the model that a checkpoint holds so that a resumed run ends bit for bit
 * where an uninterrupted one would: where training stands, the optimizer's state buffers, the
 * generators, the schedule, early stopping and the history so far. Plain data, so that the
 * format (see {@link CheckpointFile}) depends on nothing above this package.
 *
 * @param nextEpoch      the epoch to run next (0-based), at most {@code epochs}
 * @param epochs         the epochs the run was configured for
 * @param optimizer      the optimizer's description without its learning rate (a resumed run must match)
 * @param optimizerState the optimizer's state tensors by name, {@code step} included
 * @param batchRng       the state of the generator that shuffles batches
 * @param networkRng     the state of the network's generator (dropout masks)
 * @param schedule       the learning-rate schedule's state
 * @param early          early stopping's state, or null without early stopping
 * @param history        one entry per epoch done
 */
public record TrainingState(int nextEpoch, int epochs, String optimizer, Map<String, Tensor> optimizerState,
                            long batchRng, long networkRng, double[] schedule, EarlyStop early,
                            List<Epoch> history) {

    public TrainingState {
        optimizerState = Map.copyOf(optimizerState);
        history = List.copyOf(history);
        schedule = schedule.clone();
    }

    /**
     * Early stopping's state: the best monitored value so far (NaN before the first), the epoch
     * it came from (−1 before), epochs waited since, and the best weights when they are restored
     * at the end (null otherwise).
     */
    public record EarlyStop(double best, int bestEpoch, int epochsWaited, Tensor bestParameters, List<Tensor> bestBuffers) {
        public EarlyStop {
            bestBuffers = bestBuffers == null ? null : List.copyOf(bestBuffers);
        }
    }

    /**
     * One epoch of the history: training loss and accuracy (NaN for regression), timing, the
     * learning rate at its end, and the validation loss, accuracy and sample count (null without
     * validation data).
     */
    public record Epoch(int epoch, double trainLoss, double trainAccuracy, double seconds, double samplesPerSecond,
                        double learningRate, Validation validation) {
    }

    /** An epoch's validation summary. */
    public record Validation(int samples, double loss, double accuracy) {
    }
}
