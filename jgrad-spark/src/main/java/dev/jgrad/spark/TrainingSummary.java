package dev.jgrad.spark;

import java.io.Serializable;
import java.util.List;

/**
 * How a fit went: the loss (and accuracy for a classifier) of each epoch over all rows, and
 * where each rank's time went.
 *
 * @param epochs      one entry per epoch, from the first (a resumed run includes the epochs of its checkpoint)
 * @param ranks       one entry per rank, rank 0 first (empty for parameter averaging)
 * @param resumedFrom epochs taken from a checkpoint (0: trained from the start)
 */
public record TrainingSummary(List<Epoch> epochs, List<Rank> ranks, int resumedFrom) implements Serializable {

    public TrainingSummary {
        epochs = List.copyOf(epochs);
        ranks = List.copyOf(ranks);
    }

    /**
     * One epoch: the mean training loss over all rows, the training accuracy (NaN for a regressor)
     * and the seconds of training it took.
     */
    public record Epoch(int epoch, double loss, double accuracy, double seconds) implements Serializable {
    }

    /**
     * One rank's training steps: seconds computing (forward, backward, optimizer), seconds in the
     * gradient sums, and of those the seconds spent waiting for the first bytes from a peer
     * (slower ranks, the latency of the ring) rather than moving data; in total and, in
     * {@code epochs}, for each epoch this fit trained (the first of them includes the JIT
     * compiler's warm-up).
     */
    public record Rank(int rank, long steps, double computeSeconds, double sumSeconds, double waitSeconds, List<Split> epochs)
            implements Serializable {
        public Rank {
            epochs = List.copyOf(epochs);
        }
    }

    /** The split of one rank's steps in one epoch, as in {@link Rank}. */
    public record Split(long steps, double computeSeconds, double sumSeconds, double waitSeconds) implements Serializable {
    }

    static TrainingSummary of(List<RankLoop.Result> results) {
        List<Epoch> e = results.getFirst().epochs().stream().map(x -> new Epoch(x.epoch(), x.loss(), x.accuracy(), x.seconds())).toList();
        List<Rank> r = results.stream().map(x -> new Rank(x.rank(), x.times().steps(), x.times().computeNanos() / 1e9,
                x.times().sumNanos() / 1e9, x.times().waitNanos() / 1e9, x.epochTimes().stream().map(t -> new Split(t.steps(),
                        t.computeNanos() / 1e9, t.sumNanos() / 1e9, t.waitNanos() / 1e9)).toList())).toList();
        return new TrainingSummary(e, r, results.getFirst().resumedFrom());
    }
}
