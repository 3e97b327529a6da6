package dev.jgrad.train;

import dev.jgrad.optim.GradientTransforms;

/**
 * Gradient clipping as a hook: each element to ±limit (torch.nn.utils.clip_grad_value_), or the
 * global norm to at most a maximum (clip_grad_norm_).
 */
public final class GradientClipping implements GradientHook {
    private final double limit;
    private final boolean byNorm;

    private GradientClipping(double limit, boolean byNorm) {
        if (!(limit > 0) || Double.isInfinite(limit)) {
            throw new IllegalArgumentException("a clipping limit must be positive and finite, got " + limit);
        }
        this.limit = limit;
        this.byNorm = byNorm;
    }

    /** Clamps every gradient element to [−limit, limit]. */
    public static GradientClipping byValue(double limit) {
        return new GradientClipping(limit, false);
    }

    /** Scales the whole gradient so that its L2 norm is at most {@code maxNorm}. */
    public static GradientClipping byNorm(double maxNorm) {
        return new GradientClipping(maxNorm, true);
    }

    @Override
    public void apply(StepContext step) {
        if (byNorm) GradientTransforms.clipByNorm(step.gradients(), limit);
        else GradientTransforms.clipByValue(step.gradients(), limit);
    }
}
