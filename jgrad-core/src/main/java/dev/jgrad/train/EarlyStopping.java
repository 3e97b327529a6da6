package dev.jgrad.train;

/**
 * Stops training when the monitored validation metric has not improved by more than
 * {@code minDelta} for {@code patience} epochs; with {@code restoreBest} the weights of the best
 * epoch are put back. Loss, MSE and MAE improve downwards, accuracy upwards.
 */
public record EarlyStopping(Metric monitor, int patience, double minDelta, boolean restoreBest) {

    public EarlyStopping {
        if (monitor == null) throw new IllegalArgumentException("early stopping needs a metric to monitor");
        if (patience < 0) throw new IllegalArgumentException("patience must be ≥ 0, got " + patience);
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("min delta must be ≥ 0 and finite, got " + minDelta);
        }
    }

    /** Stops after {@code patience} epochs without improvement of {@code monitor} and restores the best weights. */
    public static EarlyStopping on(Metric monitor, int patience) {
        return new EarlyStopping(monitor, patience, 0, true);
    }

    boolean improves(double value, double best) {
        if (Double.isNaN(best)) return !Double.isNaN(value);
        return monitor.higherIsBetter() ? value > best + minDelta : value < best - minDelta;
    }
}
