package dev.jgrad.train;

/**
 * Stops training when the monitored validation metric has not improved by more than
 * {@code minDelta} for {@code patience} epochs; with {@code restoreBest} the weights of the best
 * epoch are put back. Loss, MSE and MAE improve downwards, accuracy upwards.
 */
public record EarlyStopping(String monitor, int patience, double minDelta, boolean restoreBest) {

    public EarlyStopping {
        if (patience < 0) throw new IllegalArgumentException("patience must be ≥ 0, got " + patience);
        if (!monitor.equals("loss") && !monitor.equals("accuracy") && !monitor.equals("mse") && !monitor.equals("mae")) {
            throw new IllegalArgumentException("early stopping monitors loss, accuracy, mse or mae, not '" + monitor + "'");
        }
    }

    public boolean higherIsBetter() {
        return monitor.equals("accuracy");
    }

    boolean improves(double value, double best) {
        if (Double.isNaN(best)) return !Double.isNaN(value);
        return higherIsBetter() ? value > best + minDelta : value < best - minDelta;
    }
}
