package dev.jgrad.train;

/**
 * Runs on every training step between the backward pass and the optimizer's update, with the
 * flat gradient buffer in hand: what a distributed all-reduce, gradient clipping, penalties or
 * any gradient surgery needs. Hooks run in the order they were added, before jgrad's own
 * (penalties, the finiteness check, clipping: see {@link TrainingStep}), so that a hook that
 * combines the gradients of several workers hands those steps the combined gradient.
 *
 * <p>A hook may change the gradients in place; it must not change the parameters or allocate
 * on every step (a training step allocates nothing once warm).
 */
@FunctionalInterface
public interface GradientHook {

    /** Called once per step; {@code step} is reused from step to step, so keep no reference to it. */
    void apply(StepContext step);
}
