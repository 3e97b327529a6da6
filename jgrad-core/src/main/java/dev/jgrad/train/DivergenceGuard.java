package dev.jgrad.train;

import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Parameter;

import java.nio.file.Path;

/**
 * Stops training at the first step whose loss or gradient is NaN or infinite, before the
 * optimizer could write a bad value into the weights, with a {@link TrainingDivergedException}
 * naming the epoch, the step, the parameter and the last good checkpoint (it listens for them).
 */
public final class DivergenceGuard implements GradientHook, TrainingListener {
    private Path lastCheckpoint;

    /** A guard that already knows a checkpoint (a resumed run's). */
    public DivergenceGuard(Path lastCheckpoint) {
        this.lastCheckpoint = lastCheckpoint;
    }

    public DivergenceGuard() {
        this(null);
    }

    @Override
    public void apply(StepContext step) {
        if (!Double.isFinite(step.loss())) {
            throw new TrainingDivergedException("the loss is " + step.loss(), step.epoch(), step.batch(), lastCheckpoint);
        }
        int bad = TensorOps.firstNonFinite(step.network().parallel(), step.gradients());
        if (bad >= 0) {
            throw new TrainingDivergedException("the gradient of " + parameterAt(step, bad) + " is " + step.gradients().get(bad),
                    step.epoch(), step.batch(), lastCheckpoint);
        }
    }

    @Override
    public void onCheckpoint(int epoch, Path file) {
        lastCheckpoint = file;
    }

    /** The last checkpoint written or resumed from, or null. */
    public Path lastCheckpoint() {
        return lastCheckpoint;
    }

    private static String parameterAt(StepContext step, int flat) {
        int at = 0;
        for (Parameter p : step.network().parameters()) {
            int n = p.value().size();
            if (flat < at + n) return p.name() + "[" + (flat - at) + "]";
            at += n;
        }
        return "parameter " + flat;
    }
}
