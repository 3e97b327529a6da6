package dev.jgrad.nn;

/**
 * Sums a {@link BatchNorm} layer's per-feature sums over the parts of a batch that is split
 * across workers, so that each part is normalised with the statistics of the whole batch and
 * gets the whole batch's input gradient (synchronized batch norm). Every worker must make the
 * same calls in the same order, as they do when they run the same network on their parts.
 *
 * <p>An implementation replaces each array in place by its element-wise sum over the workers,
 * the same bits on every worker, and must not allocate per call (a training step allocates
 * nothing once warm). Without one a layer sums over its own rows only.
 */
public interface BatchSums {

    /**
     * Training forward: {@code a} is first [Σx per feature…, row count], then
     * [Σ(x − μ)² per feature…] about the whole batch's mean μ.
     */
    void sumStatistics(double[] a);

    /**
     * Training backward: {@code a} is [Σg per feature…, Σg·x̂ per feature…], where g is the
     * gradient this worker's backward pass received; the sum must be of the whole batch's loss
     * gradient, in the scale of this worker's g.
     */
    void sumGradients(double[] a);
}
