package dev.jgrad.train;

import dev.jgrad.io.TrainingState;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Early stopping as a listener: after each epoch, compares the monitored metric (validation's,
 * or the training loss without validation data) with the best so far, keeps the best weights
 * when they are to be restored, and asks to stop after {@link EarlyStopping#patience()} epochs
 * without improvement; at the end of training it puts the best weights back. Its state goes into
 * checkpoints.
 */
final class EarlyStopper implements TrainingListener {
    private final EarlyStopping config;
    private final Sequential net;
    private final History history;
    private double best = Double.NaN;
    private int bestEpoch = -1;
    private int waited;
    private boolean stop;
    private Tensor bestParams;
    private List<Tensor> bestBuffers;

    EarlyStopper(EarlyStopping config, Sequential net, History history) {
        this.config = config;
        this.net = net;
        this.history = history;
    }

    @Override
    public void onEpochEnd(EpochResult r) {
        double v = r.validation() != null ? r.validation().metric(config.monitor()) : r.trainLoss();
        if (config.improves(v, best)) {
            best = v;
            bestEpoch = r.epoch();
            waited = 0;
            if (config.restoreBest()) keepBest();
        } else if (++waited >= config.patience()) {
            stop = true;
        }
        history.setBestEpoch(bestEpoch);
    }

    @Override
    public boolean stopRequested() {
        return stop;
    }

    @Override
    public void onTrainEnd(History history) {
        if (!config.restoreBest() || bestParams == null) return;
        net.parameterBuffer().copyFrom(bestParams);
        for (int i = 0; i < bestBuffers.size(); i++) net.buffers().get(i).value().copyFrom(bestBuffers.get(i));
    }

    /** The epoch of the best value so far, −1 before the first. */
    public int bestEpoch() {
        return bestEpoch;
    }

    private void keepBest() {
        if (bestParams == null) {
            bestParams = net.parameterBuffer().copy();
            bestBuffers = new ArrayList<>();
            for (Parameter b : net.buffers()) bestBuffers.add(b.value().copy());
        } else {
            bestParams.copyFrom(net.parameterBuffer());
            for (int i = 0; i < bestBuffers.size(); i++) bestBuffers.get(i).copyFrom(net.buffers().get(i).value());
        }
    }

    /** The state a checkpoint keeps. */
    TrainingState.EarlyStop state() {
        return new TrainingState.EarlyStop(best, bestEpoch, waited, bestParams, bestBuffers);
    }

    /** Restores what {@link #state()} gave. */
    void restore(TrainingState.EarlyStop s) {
        best = s.best();
        bestEpoch = s.bestEpoch();
        waited = s.epochsWaited();
        bestParams = s.bestParameters();
        bestBuffers = s.bestBuffers() == null ? null : new ArrayList<>(s.bestBuffers());
        stop = false;
    }
}
