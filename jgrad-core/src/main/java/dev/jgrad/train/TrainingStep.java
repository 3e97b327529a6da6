package dev.jgrad.train;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.tensor.Tensor;

import java.util.List;

/**
 * One training step as an explicit pipeline: forward → backward → gradient hooks → optimizer
 * step. The forward pass stops before an output activation that the loss fuses with; the
 * backward pass writes the gradients (they were cleared by the last step); the hooks see and
 * may change the gradient; the optimizer updates the parameters; the gradients are cleared for
 * the next step. A {@link Trainer} runs one per batch; a loop of one's own (one rank of a
 * distributed run) can run it directly.
 */
public final class TrainingStep {
    private final Sequential net;
    private final Loss loss;
    private final Optimizer optimizer;
    private final List<GradientHook> hooks;
    private final StepContext context;
    private final Tensor params, grads;

    /** A step over {@code net} with the hooks in the order given. */
    public TrainingStep(Sequential net, Loss loss, Optimizer optimizer, List<GradientHook> hooks) {
        this.net = net;
        this.loss = loss;
        this.optimizer = optimizer;
        this.hooks = List.copyOf(hooks);
        this.context = new StepContext(net);
        this.params = net.parameterBuffer();
        this.grads = net.gradientBuffer();
        net.zeroGrad();
    }

    /** Trains on one batch (x, t) and returns the batch's loss. */
    public double run(Tensor x, Tensor t, int epoch, int batch) {
        return run(x, t, epoch, batch, null, 0);
    }

    /**
     * Trains on one batch (x, t) as {@link #run(Tensor, Tensor, int, int)} does, to the bit,
     * while the network's pool runs {@code alongside}'s tasks {@code 0 .. tasks-1} during the
     * stretch that one thread computes alone (the last layer and the loss; see
     * {@link Sequential#forwardBackward}); they are all done when this returns. The training
     * loop gathers the next batch there. Returns the batch's loss.
     */
    public double run(Tensor x, Tensor t, int epoch, int batch, Parallel.Task alongside, int tasks) {
        double value = net.forwardBackward(x, loss, t, alongside, tasks);
        context.set(epoch, batch, x.rows(), value);
        for (GradientHook h : hooks) h.apply(context);
        optimizer.step(params, grads, net.parallel());
        net.zeroGrad();
        return value;
    }
}
