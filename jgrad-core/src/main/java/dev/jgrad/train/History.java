package dev.jgrad.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The epochs of a run, and how it ended. */
public final class History {
    private final List<EpochResult> epochs = new ArrayList<>();
    private int bestEpoch = -1;
    private boolean stoppedEarly;

    void add(EpochResult r) {
        epochs.add(r);
    }

    void clear() {
        epochs.clear();
        bestEpoch = -1;
        stoppedEarly = false;
    }

    void setBestEpoch(int e) {
        bestEpoch = e;
    }

    void setStoppedEarly(boolean s) {
        stoppedEarly = s;
    }

    public List<EpochResult> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    public EpochResult last() {
        return epochs.isEmpty() ? null : epochs.getLast();
    }

    /** The epoch whose weights early stopping kept (−1 without early stopping). */
    public int bestEpoch() {
        return bestEpoch;
    }

    public boolean stoppedEarly() {
        return stoppedEarly;
    }

    /** Seconds spent in training loops (validation excluded). */
    public double trainingSeconds() {
        double s = 0;
        for (EpochResult r : epochs) s += r.seconds();
        return s;
    }
}
