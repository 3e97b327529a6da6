package dev.jgrad.optim;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every optimizer shares: the learning rate, the step count, state buffers shaped like the
 * parameters (created on the first step), and the dispatch to a float32 or float64 update loop.
 * Each update is one pass over the flat buffers.
 */
abstract class FlatOptimizer implements Optimizer {
    protected double lr;
    protected long t;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private final String[] stateNames;

    FlatOptimizer(double lr, String... stateNames) {
        this.lr = requireNonNegative("learningRate", lr);
        this.stateNames = stateNames;
    }

    @Override
    public final void step(Tensor params, Tensor grads) {
        step(params, grads, null);
    }

    /** The value a state buffer starts at (0 unless an optimizer says otherwise). */
    double initialState(String name) {
        return 0;
    }

    /** Elements per task when the update is spread over a pool: large enough to amortise a dispatch. */
    private static final int CHUNK = 1 << 15;

    @Override
    public final void step(Tensor params, Tensor grads, Parallel parallel) {
        if (params.size() != grads.size() || params.dtype() != grads.dtype()) {
            throw new IllegalArgumentException("parameters " + params.dtype() + " " + params.shape()
                    + " and gradients " + grads.dtype() + " " + grads.shape() + " differ");
        }
        if (state.isEmpty()) {
            for (String s : stateNames) {
                Tensor st = Tensor.zeros(params.dtype(), Shape.of(params.size()));
                st.fill(initialState(s));
                state.put(s, st);
            }
        } else {
            Tensor first = state.values().iterator().next();
            if (first.size() != params.size() || first.dtype() != params.dtype()) {
                throw new IllegalArgumentException("optimizer state " + first.dtype() + " " + first.shape()
                        + " does not fit parameters " + params.dtype() + " " + params.shape());
            }
        }
        t++;
        int n = params.size();
        int tasks = parallel == null || parallel.threads() == 1 ? 1 : (n + CHUNK - 1) / CHUNK;
        if (tasks <= 1) {
            // The chunks of a pool on one thread too (an element's update does not depend on them).
            for (int from = 0; from < n; from += CHUNK) range(params, grads, from, Math.min(n, from + CHUNK));
        } else {
            pending.params = params;
            pending.grads = grads;
            pending.n = n;
            try {
                parallel.run(tasks, pending);
            } finally {
                pending.params = pending.grads = null;
            }
        }
    }

    /** The arguments of a parallel step, kept so that dispatching allocates nothing. */
    private final class Pending implements Parallel.Task {
        Tensor params, grads;
        int n;

        @Override
        public void run(int task) {
            range(params, grads, task * CHUNK, Math.min(n, (task + 1) * CHUNK));
        }
    }

    private final Pending pending = new Pending();

    private void range(Tensor params, Tensor grads, int from, int to) {
        switch (params) {
            case FloatTensor p -> {
                float[] g = ((FloatTensor) grads).data();
                update(p.data(), p.offset(), g, grads.offset(), from, to);
            }
            case DoubleTensor p -> {
                double[] g = ((DoubleTensor) grads).data();
                update(p.data(), p.offset(), g, grads.offset(), from, to);
            }
        }
    }

    /**
     * The float32 update of elements [from, to): parameter i at p[po + i], gradient at g[go + i],
     * state at index i of the arrays from {@link #f}.
     */
    abstract void update(float[] p, int po, float[] g, int go, int from, int to);

    abstract void update(double[] p, int po, double[] g, int go, int from, int to);

    /** A float32 state buffer (its offset is 0). */
    final float[] f(String name) {
        return ((FloatTensor) state.get(name)).data();
    }

    final double[] d(String name) {
        return ((DoubleTensor) state.get(name)).data();
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    @Override
    public long steps() {
        return t;
    }

    @Override
    public java.util.List<String> stateNames() {
        return java.util.List.of(stateNames);
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) out.put(e.getKey(), e.getValue().copy());
        Tensor steps = Tensor.zeros(DType.F64, 1);
        steps.set(0, t);
        out.put("step", steps);
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> saved) {
        Tensor steps = saved.get("step");
        if (steps == null) throw new IllegalArgumentException("optimizer state lacks 'step'");
        state.clear();
        for (String s : stateNames) {
            Tensor v = saved.get(s);
            if (v == null) throw new IllegalArgumentException(describe() + ": saved state lacks '" + s + "'");
            state.put(s, v.copy());
        }
        t = (long) steps.get(0);
    }

    /** A number as briefly as it reads back: 0.001, 0.9, 1E-8. */
    static String num(double v) {
        return new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString().length() <= 8
                ? new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString()
                : new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toString();
    }

    /** v, if it is at least 0 (NaN is not); named as the builder's setter is, so a message points at it. */
    static double requireNonNegative(String what, double v) {
        if (!(v >= 0)) throw new IllegalArgumentException(what + " must be ≥ 0, got " + v);
        return v;
    }

    /** v, if it lies in [0, 1]. */
    static double requireUnit(String what, double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(what + " must be in [0, 1], got " + v);
        return v;
    }

    /** v, if it lies in [0, 1): a decay rate whose average must still forget. */
    static double requireDecay(String what, double v) {
        if (!(v >= 0 && v < 1)) throw new IllegalArgumentException(what + " must be in [0, 1), got " + v);
        return v;
    }
}
