package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The inference form of a layer that has none of its own (a user's layer registered in
 * {@link LayerRegistry}): private copies of the layer ({@link Layer#copyConfig()}) share one
 * snapshot of its parameters and statistics, and each call borrows a copy, runs its ordinary
 * forward in evaluation mode and copies the output out. Concurrent calls each get a copy of
 * their own (made when none is free), so nothing is shared while it runs. The bits of a row are
 * those of the layer's own forward at the batch size it is called with: a layer whose forward
 * depends on the batch makes batched answers differ from single ones.
 *
 * <p>Thread-safety: safe for concurrent use by any number of threads.
 */
final class PooledInference implements InferenceLayer {
    private final Layer config;
    private final Tensor params;
    /** Bound as the copies' gradient buffer, which an evaluation forward pass never touches. */
    private final Tensor unusedGrads;
    private final List<Tensor> statistics;
    private final ConcurrentLinkedQueue<Layer> free = new ConcurrentLinkedQueue<>();

    PooledInference(Layer layer) {
        this.config = layer.copyConfig();
        int n = layer.parameterCount();
        this.params = Tensor.zeros(DType.F32, Shape.of(n));
        this.unusedGrads = Tensor.zeros(DType.F32, Shape.of(n));
        // A copy bound to the snapshot says where each named parameter lives in it.
        Layer probe = config.copyConfig();
        probe.bind(params, unusedGrads, Parallel.common(), new Rng(0));
        List<Parameter> from = layer.parameters(), to = probe.parameters();
        for (int i = 0; i < to.size(); i++) to.get(i).value().copyFrom(from.get(i).value());
        this.statistics = layer.buffers().stream().map(b -> b.value().to(DType.F32)).toList();
    }

    @Override
    public int inputSize() {
        return config.inputSize();
    }

    @Override
    public int outputSize() {
        return config.outputSize();
    }

    @Override
    public void forward(Parallel par, float[] x, int xOff, int rows, float[] y, int yOff, float[] scratch) {
        Layer copy = free.poll();
        if (copy == null) copy = newCopy(par);
        try {
            Tensor out = copy.forward(new FloatTensor(x, xOff, Shape.of(rows, inputSize())), false);
            new FloatTensor(y, yOff, Shape.of(rows, outputSize())).copyFrom(out);
        } finally {
            free.add(copy);
        }
    }

    private Layer newCopy(Parallel par) {
        Layer copy = config.copyConfig();
        copy.bind(params, unusedGrads, par, new Rng(0));
        List<Parameter> own = copy.buffers();
        for (int i = 0; i < own.size(); i++) own.get(i).value().copyFrom(statistics.get(i));
        return copy;
    }
}
