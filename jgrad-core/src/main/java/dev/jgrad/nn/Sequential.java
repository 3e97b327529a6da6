package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A stack of layers over one flat parameter buffer and one flat gradient buffer, each layer
 * seeing its slice as views. Backward accumulates gradients (+=) until {@link #zeroGrad()}, as in
 * PyTorch. When the loss fuses with the output activation (softmax cross-entropy after softmax,
 * BCE-with-logits after sigmoid) and the last layer is an {@link ActivatedLayer}, the loss reads
 * Z and hands dL/dZ straight to that layer.
 *
 * <p>Parameter names follow the model file: the i-th dense layer's are {@code layers.<i>.weight}
 * and {@code layers.<i>.bias}; other layers use their kind, e.g. {@code batch_norm.0.weight}.
 *
 * <p>A network is not safe for concurrent use: it keeps per-batch buffers. To serve predictions
 * from many threads, freeze it into an {@code InferenceModel} (package {@code infer}): one copy
 * of the weights, no gradient buffers, a cheap predictor per thread, and each row's answer the
 * bits this network gives that row alone.
 */
public final class Sequential implements AutoCloseable {
    private final int inputSize;
    private final List<Layer> layers;
    private final DType dtype;
    private final Parallel parallel;
    private final boolean ownsParallel;
    private final Tensor params;
    private final Tensor grads;
    private final List<Parameter> parameters;
    private final List<Parameter> buffers;
    private final Rng rng = new Rng(0);

    private final Tensor[] layerGrads;
    /** Set by {@link #zeroGrad()}: the buffer is not cleared yet, and the next backward writes it rather than adding. */
    private boolean gradientsCleared;

    private Tensor output;
    /** The last forward pass left the output activation out (see {@link #forward(Tensor, Loss)}). */
    private boolean outputPending;
    private Tensor lossGradBuf;
    private Tensor lossGrad;
    private Tensor inputGradient;

    Sequential(int inputSize, List<Layer> layers, DType dtype, Parallel parallel, boolean ownsParallel) {
        if (layers.isEmpty()) throw new IllegalArgumentException("a network needs at least one layer");
        int width = inputSize;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (l.inputSize() != width) {
                throw new IllegalArgumentException("layer " + i + " " + l.describe() + " takes [B, " + l.inputSize()
                        + "] but the layer before it gives [B, " + width + "]");
            }
            width = l.outputSize();
        }
        this.inputSize = inputSize;
        this.layers = List.copyOf(layers);
        this.dtype = dtype;
        this.parallel = parallel;
        this.ownsParallel = ownsParallel;
        long sum = 0;
        for (Layer l : layers) sum += l.parameterCount();
        if (sum > MAX_PARAMETERS) {
            throw new IllegalArgumentException("the layers have " + sum + " parameters in all, more than a network holds ("
                    + MAX_PARAMETERS + ", one Java array)");
        }
        int total = (int) sum;
        this.params = Tensor.zeros(dtype, Shape.of(total));
        this.grads = Tensor.zeros(dtype, Shape.of(total));
        List<Parameter> named = new ArrayList<>();
        List<Parameter> namedBuffers = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>();
        int at = 0;
        this.layerGrads = new Tensor[this.layers.size()];
        for (int i = 0; i < this.layers.size(); i++) {
            Layer l = this.layers.get(i);
            int n = l.parameterCount();
            layerGrads[i] = grads.view(at, Shape.of(n));
            l.bind(params.view(at, Shape.of(n)), layerGrads[i], parallel, rng);
            at += n;
            int index = counts.merge(l.kind(), 1, Integer::sum) - 1;
            String prefix = (l.kind().equals("dense") ? "layers" : l.kind()) + "." + index + ".";
            for (Parameter p : l.parameters()) named.add(p.renamed(prefix + p.name()));
            for (Parameter b : l.buffers()) namedBuffers.add(b.renamed(prefix + b.name()));
        }
        this.parameters = Collections.unmodifiableList(named);
        this.buffers = Collections.unmodifiableList(namedBuffers);
    }

    /** Most parameters a network holds: they live in one Java array. */
    public static final int MAX_PARAMETERS = Integer.MAX_VALUE - 8;

    /** An uninitialised network over the given (unbound) layers; parameters start at zero. */
    public static Sequential of(int inputSize, List<Layer> layers, DType dtype, Parallel parallel) {
        return new Sequential(inputSize, layers, dtype, parallel, false);
    }

    /** A network built layer by layer, starting from inputs of this width. */
    public static SequentialBuilder builder(int inputSize) {
        return new SequentialBuilder(inputSize);
    }

    /** Re-initialises every parameter from the seed, and seeds training-time randomness from it too. */
    public void initialize(long seed) {
        Random init = new Random(seed);
        for (Layer l : layers) l.initialize(init);
        rng.setState(seed ^ 0x5DEECE66DL);
    }

    /**
     * Tells every dropout layer that the next training batches are rows {@code positions} of a
     * larger batch of {@code total} rows (see {@link Dropout#placeRows}); {@code null} undoes it.
     */
    public void placeRows(int[] positions, int total) {
        for (Layer l : layers) if (l instanceof Dropout d) d.placeRows(positions, total);
    }

    /**
     * Has every batch-norm layer sum its training statistics through {@code sums}, as when one
     * batch is split over several workers (see {@link BatchNorm#sumWith}); {@code null} undoes it.
     */
    public void sumBatchStatistics(BatchSums sums) {
        for (Layer l : layers) if (l instanceof BatchNorm b) b.sumWith(sums);
    }

    /**
     * For a worker that holds none of a split batch's rows: every batch-norm layer takes part in
     * the batch's sums in the order that a training step's forward and backward passes would.
     */
    public void joinBatchWithoutRows() {
        for (Layer l : layers) if (l instanceof BatchNorm b) b.forwardWithoutRows();
        for (int i = layers.size() - 1; i >= 0; i--) if (layers.get(i) instanceof BatchNorm b) b.backwardWithoutRows();
    }

    /** The generator of training-time randomness (dropout); its state goes into checkpoints. */
    public Rng rng() {
        return rng;
    }

    /** Saved, untrained state (batch norm running statistics), e.g. {@code batch_norm.0.running_mean}. */
    public List<Parameter> buffers() {
        return buffers;
    }

    public int inputSize() {
        return inputSize;
    }

    public int outputSize() {
        return layers.getLast().outputSize();
    }

    public DType dtype() {
        return dtype;
    }

    public Parallel parallel() {
        return parallel;
    }

    public List<Layer> layers() {
        return layers;
    }

    public List<Parameter> parameters() {
        settleGradients();
        return parameters;
    }

    /** All parameters, one flat buffer in layer order. */
    public Tensor parameterBuffer() {
        return params;
    }

    /** All gradients, laid out as {@link #parameterBuffer()}. */
    public Tensor gradientBuffer() {
        settleGradients();
        return grads;
    }

    public int parameterCount() {
        return params.size();
    }

    public Parameter parameter(String name) {
        settleGradients();
        for (Parameter p : parameters) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException("no parameter '" + name + "'");
    }

    /** Inference: Y for a batch X (evaluation mode: no dropout, running normalisation statistics). */
    public Tensor forward(Tensor x) {
        return forward(x, false);
    }

    public Tensor forward(Tensor x, boolean training) {
        Tensor h = layersBeforeLast(x, training);
        output = layers.getLast().forward(h, training);
        outputPending = false;
        return output;
    }

    /**
     * A training forward pass for {@code loss}, returning what the loss reads. When the loss
     * fuses with the output activation (softmax cross-entropy after softmax) that activation is
     * left out: the loss and the backward pass read Z, so Y would be computed for nothing (a
     * softmax is an exponential per logit). Y is computed after all if something asks for it (a
     * loss that reads it). Otherwise the same as {@code forward(x, true)}, to the bit.
     */
    public Tensor forward(Tensor x, Loss loss) {
        if (!fused(loss)) return forward(x, true);
        Tensor h = layersBeforeLast(x, true);
        output = ((ActivatedLayer) layers.getLast()).forwardPreActivation(h, true);
        outputPending = true;
        return output;
    }

    /** Checks the input and runs every layer but the last. */
    private Tensor layersBeforeLast(Tensor x, boolean training) {
        if (x.cols() != inputSize || x.shape().rank() > 2) {
            throw new IllegalArgumentException("input " + x.shape() + " does not fit the network's input [B, "
                    + inputSize + "]");
        }
        if (x.dtype() != dtype) {
            throw new IllegalArgumentException("input is " + x.dtype() + " " + x.shape() + " but the network is "
                    + dtype + "; convert with tensor.to(" + dtype + ")");
        }
        int bad = TensorOps.firstNonFinite(parallel, x);
        if (bad >= 0) {
            throw new IllegalArgumentException("input " + x.shape() + " holds " + x.get(bad) + " at row "
                    + bad / x.cols() + ", column " + bad % x.cols());
        }
        Tensor h = x.shape().rank() == 1 ? x.reshape(Shape.of(1, x.size())) : x;
        for (int i = 0; i < layers.size() - 1; i++) h = layers.get(i).forward(h, training);
        return h;
    }

    /** True when the loss reads the last layer's Z rather than its output. */
    private boolean fused(Loss loss) {
        return layers.getLast() instanceof ActivatedLayer a && loss.fusesWith(a.activation());
    }

    /** The activation the last layer applies last, or null when it is not an {@link ActivatedLayer}. */
    public Activation outputActivation() {
        return layers.getLast() instanceof ActivatedLayer a ? a.activation() : null;
    }

    /** What the loss reads for the last forward pass: Y, or the last layer's Z when the two are fused. */
    public Tensor lossInput(Loss loss) {
        if (output == null) throw new IllegalStateException("call forward before computing a loss");
        if (fused(loss)) return ((ActivatedLayer) layers.getLast()).preActivation();
        if (outputPending) {
            // forward(x, loss) left the output activation out for a fused loss; this one reads Y.
            output = ((ActivatedLayer) layers.getLast()).completeActivation();
            outputPending = false;
        }
        return output;
    }

    /** The loss of the last forward pass against target. */
    public double loss(Loss loss, Tensor target) {
        Tensor in = lossInput(loss);
        checkTarget(loss, in, target);
        return loss.forward(in, target);
    }

    /** Backpropagates the loss of the last forward pass; gradients accumulate. Returns the loss. */
    public double backward(Loss loss, Tensor target) {
        return backward(loss, target, false);
    }

    /**
     * Backpropagates and, when asked, keeps dL/dX for {@link #inputGradient()}.
     * Returns the loss value.
     */
    public double backward(Loss loss, Tensor target, boolean computeInputGradient) {
        Tensor g = backwardLast(loss, target, computeInputGradient);
        return backwardRest(g, headValue, computeInputGradient);
    }

    /**
     * A training step's passes: the same as {@code forward(x, loss)} then {@code backward(loss,
     * target)}, to the bit, with {@code alongside}'s tasks {@code 0 .. tasks-1} run on the pool
     * while this thread computes the last layer's forward, the loss and the last layer's backward.
     * That stretch is too small to split over the pool with profit (the classifier: 10 outputs),
     * so the other threads would wait through it; given other work (the next batch's gather, say),
     * they do it then, and this thread joins in when its part is done. The last layer's own
     * parallel calls then run on this thread alone, which changes no bits. Returns the loss.
     */
    public double forwardBackward(Tensor x, Loss loss, Tensor target, Parallel.Task alongside, int tasks) {
        if (alongside == null || tasks <= 0 || parallel == null || parallel.threads() == 1) {
            forward(x, loss);
            return backward(loss, target);
        }
        Tensor h = layersBeforeLast(x, true);
        HeadTask head = headTask;
        head.set(h, loss, target, alongside);
        try {
            parallel.run(tasks + 1, head);
            if (head.failure instanceof RuntimeException e) throw e;
            if (head.failure instanceof Error e) throw e;
            if (head.failure != null) throw new IllegalStateException(head.failure);
        } finally {
            head.clear();
        }
        return backwardRest(headGrad, headValue, false);
    }

    /** The last layer's forward (as {@code forward(h, loss)} runs it), the loss and the last layer's backward. */
    private void head(Tensor h, Loss loss, Tensor target) {
        if (fused(loss)) {
            output = ((ActivatedLayer) layers.getLast()).forwardPreActivation(h, true);
            outputPending = true;
        } else {
            output = layers.getLast().forward(h, true);
            outputPending = false;
        }
        headGrad = backwardLast(loss, target, false);
    }

    /** The loss and the last layer's backward; the loss's value goes to {@link #headValue}. Returns dL/d(its input). */
    private Tensor backwardLast(Loss loss, Tensor target, boolean computeInputGradient) {
        Tensor in = lossInput(loss);
        checkTarget(loss, in, target);
        if (lossGradBuf == null || lossGradBuf.size() < in.size()) lossGradBuf = Tensor.zeros(dtype, in.shape());
        if (lossGrad == null || !lossGrad.shape().equals(in.shape())) lossGrad = lossGradBuf.view(0, in.shape());
        headValue = loss.forwardBackward(in, target, lossGrad);
        boolean write = gradientsCleared;
        int last = layers.size() - 1;
        if (fused(loss)) {
            return ((ActivatedLayer) layers.get(last)).backwardFromDelta(lossGrad, last > 0 || computeInputGradient, !write);
        }
        return backward(last, lossGrad, last > 0 || computeInputGradient, write);
    }

    /** The layers before the last one backward from g, then the gradients marked written. Returns the loss value. */
    private double backwardRest(Tensor g, double value, boolean computeInputGradient) {
        boolean write = gradientsCleared;
        for (int i = layers.size() - 2; i >= 0; i--) g = backward(i, g, i > 0 || computeInputGradient, write);
        // Cleared only now: should a layer throw half way, the next backward writes all of them again.
        gradientsCleared = false;
        inputGradient = computeInputGradient ? g : null;
        return value;
    }

    /** The loss value and dL/d(input of the last layer) that {@link #backwardLast} left. */
    private double headValue;
    private Tensor headGrad;
    private final HeadTask headTask = new HeadTask();

    /** Task 0 of {@link #forwardBackward}'s call: the head; task i + 1: the caller's task i. Reused, so a step allocates nothing. */
    private final class HeadTask implements Parallel.Task {
        private Tensor h, target;
        private Loss loss;
        private Parallel.Task alongside;
        /** What the head threw: kept until the other tasks are done, so they all run. */
        Throwable failure;

        void set(Tensor h, Loss loss, Tensor target, Parallel.Task alongside) {
            this.h = h;
            this.loss = loss;
            this.target = target;
            this.alongside = alongside;
            this.failure = null;
        }

        void clear() {
            h = target = null;
            loss = null;
            alongside = null;
            failure = null;
        }

        @Override
        public void run(int index) {
            if (index > 0) {
                alongside.run(index - 1);
                return;
            }
            try {
                head(h, loss, target);
            } catch (Throwable e) {
                failure = e;
            }
        }
    }

    /** Layer i's backward, writing its gradients when they were cleared (or zeroing them first if it cannot). */
    private Tensor backward(int i, Tensor g, boolean needInputGrad, boolean write) {
        Layer l = layers.get(i);
        if (!write) return l.backward(g, needInputGrad);
        if (l.writesGradients()) return l.backward(g, needInputGrad, false);
        if (layerGrads[i].size() > 0) TensorOps.zero(parallel, layerGrads[i]);
        return l.backward(g, needInputGrad);
    }

    private void checkTarget(Loss loss, Tensor in, Tensor target) {
        loss.checkTarget(in, target);
        int bad = TensorOps.firstNonFinite(target);
        if (bad >= 0) {
            throw new IllegalArgumentException("target " + target.shape() + " holds " + target.get(bad) + " at row "
                    + bad / target.cols() + ", column " + bad % target.cols());
        }
    }

    /** dL/dX from the last {@code backward(loss, target, true)}. */
    public Tensor inputGradient() {
        if (inputGradient == null) throw new IllegalStateException("call backward(loss, target, true) first");
        return inputGradient;
    }

    /**
     * Sets every gradient to zero, as PyTorch's {@code zero_grad()}. The buffer is not rewritten
     * now: the next backward writes the gradients instead of adding to them (dense layers write
     * dW and db directly), which saves a pass over the buffer and a read of it on every training
     * step. Asking this network for its gradients before that backward ({@link #gradientBuffer()},
     * {@link #parameters()}, {@link #parameter(String)}) clears them for real; a gradient tensor
     * obtained before this call holds its old values until the next backward.
     */
    public void zeroGrad() {
        gradientsCleared = true;
    }

    /** Makes a pending {@link #zeroGrad()} visible: someone is about to read the gradients. */
    private void settleGradients() {
        if (!gradientsCleared) return;
        TensorOps.zero(parallel, grads);
        gradientsCleared = false;
    }

    /** True when any layer is random in training mode. */
    public boolean isStochastic() {
        for (Layer l : layers) if (l.isStochastic()) return true;
        return false;
    }

    /** A copy in another dtype (same architecture, same values, same thread pool). */
    public Sequential to(DType target) {
        List<Layer> fresh = new ArrayList<>();
        for (Layer l : layers) fresh.add(l.copyConfig());
        Sequential s = new Sequential(inputSize, fresh, target, parallel, false);
        s.params.copyFrom(params);
        for (int i = 0; i < buffers.size(); i++) s.buffers.get(i).value().copyFrom(buffers.get(i).value());
        s.rng.setState(rng.state());
        return s;
    }

    /** An independent copy with the same values. */
    public Sequential copy() {
        return to(dtype);
    }

    /** One line per layer with its parameter count. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("input [B, ").append(inputSize).append("]\n");
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            sb.append(String.format("%2d  %-40s %,10d parameters%n", i, l.describe(), l.parameterCount()));
        }
        sb.append(String.format("    %-40s %,10d parameters (%s)%n", "total", params.size(), dtype));
        return sb.toString();
    }

    @Override
    public void close() {
        if (ownsParallel) parallel.close();
    }
}
