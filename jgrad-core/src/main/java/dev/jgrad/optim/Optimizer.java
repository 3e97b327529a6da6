package dev.jgrad.optim;

import dev.jgrad.tensor.Tensor;

import java.util.Map;

/**
 * Updates a network's flat parameter buffer from its flat gradient buffer, knowing nothing of
 * layers. Update rules, defaults, bias correction and the placement of eps follow PyTorch's
 * documentation, so a run can be compared step by step.
 */
public interface Optimizer {

    /** One update: params ← params − (rule applied to grads), at the current learning rate. */
    void step(Tensor params, Tensor grads);

    /**
     * The same update with the element-wise pass split over a pool. Each element's arithmetic is
     * unchanged, so the result is the same bits as {@link #step(Tensor, Tensor)}.
     */
    default void step(Tensor params, Tensor grads, dev.jgrad.kernel.Parallel parallel) {
        step(params, grads);
    }

    double learningRate();

    void setLearningRate(double lr);

    /** Steps taken so far (bias corrections depend on it). */
    long steps();

    /**
     * The names of the state tensors this optimizer keeps, one value per parameter each
     * ({@code exp_avg}, {@code exp_avg_sq} for Adam); {@link #state()} adds {@code step}.
     */
    java.util.List<String> stateNames();

    /** Everything needed to resume bit for bit: named state tensors (moments) and the step count. */
    Map<String, Tensor> state();

    /** Restores what {@link #state()} returned. */
    void loadState(Map<String, Tensor> state);

    /** Human-readable configuration, e.g. {@code adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)}. */
    String describe();
}
