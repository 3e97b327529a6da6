package dev.jgrad.train;

/**
 * One epoch of training: mean training loss (and accuracy for classifiers, NaN otherwise) over
 * its batches, validation metrics (null without validation data), wall time of the training
 * loop alone, throughput, and the learning rate at its end.
 */
public record EpochResult(int epoch, double trainLoss, double trainAccuracy, Evaluation validation,
                          double seconds, double samplesPerSecond, double learningRate) {
}
