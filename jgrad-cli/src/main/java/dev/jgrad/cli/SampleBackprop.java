package dev.jgrad.cli;

import dev.jgrad.nn.ActivatedLayer;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Dense;
import dev.jgrad.nn.ElementwiseActivation;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sample through a float64 network in evaluation mode (dropout is the identity, batch norm
 * uses its running statistics), forward and then backward layer by layer with the layers' own
 * backward rules, every intermediate copied out of the layers' reused buffers. For dense layers
 * the derivation's δ xᵀ and Wᵀ δ are also computed here by hand and compared with what the layer
 * gave.
 */
final class SampleBackprop {
    private SampleBackprop() {
    }

    /** A gradient with the shape of what it differentiates. */
    record Grad(int[] dims, double[] values) {
    }

    /**
     * One layer. z, fPrime and delta are null for layers without a pre-activation; gradY is null
     * for an output layer fused with the loss (the loss hands δ = dL/dz down directly).
     */
    record Step(int index, String prefix, Layer layer, double[] x, double[] z, double[] y, double[] gradY,
                double[] fPrime, String deltaRule, double[] delta, Map<String, Grad> grads, double[] dx) {
        boolean isDense() {
            return layer instanceof Dense;
        }
    }

    /** The whole pass; steps in forward order. derivationGap: largest |δxᵀ − dW| or |Wᵀδ − dx| over the dense layers. */
    record Pass(double[] x, double[] target, double loss, boolean fused, double[] lossInput, List<Step> steps,
                double derivationGap) {
        double[] inputGradient() {
            return steps.getFirst().dx();
        }
    }

    /** The parameter-name prefix of each layer, as {@link Sequential} names them ({@code layers.0}, {@code batch_norm.0}). */
    static List<String> prefixes(Sequential net) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<String> out = new ArrayList<>();
        for (Layer l : net.layers()) {
            int i = counts.merge(l.kind(), 1, Integer::sum) - 1;
            out.add((l.kind().equals("dense") ? "layers" : l.kind()) + "." + i);
        }
        return out;
    }

    static boolean fused(Sequential net, Loss loss) {
        return net.layers().getLast() instanceof ActivatedLayer a && loss.fusesWith(a.activation());
    }

    static Tensor row(double[] v) {
        Tensor t = Tensor.zeros(DType.F64, Shape.of(1, v.length));
        for (int i = 0; i < v.length; i++) t.set(i, v[i]);
        return t;
    }

    static Pass run(Sequential net, Loss loss, double[] x, double[] target) {
        if (net.dtype() != DType.F64) throw new IllegalArgumentException("explain runs in float64, the network is " + net.dtype());
        List<Layer> layers = net.layers();
        List<String> prefixes = prefixes(net);
        int n = layers.size();
        double[][] xs = new double[n][], zs = new double[n][], ys = new double[n][];
        Tensor h = row(x);
        for (int i = 0; i < n; i++) {
            Layer l = layers.get(i);
            xs[i] = h.toDoubleArray();
            h = l.forward(h, false);
            ys[i] = h.toDoubleArray();
            if (l instanceof ActivatedLayer a) zs[i] = a.preActivation().toDoubleArray();
        }
        boolean fused = fused(net, loss);
        double[] lossIn = fused ? zs[n - 1] : ys[n - 1];
        Tensor in = row(lossIn), t = row(target);
        loss.checkTarget(in, t);
        Tensor g = Tensor.zeros(DType.F64, in.shape());
        double value = loss.forwardBackward(in, t, g);

        for (Parameter p : net.parameters()) p.grad().zero();
        Step[] steps = new Step[n];
        double gap = 0;
        for (int i = n - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            double[] gradY = g.toDoubleArray();
            double[] fPrime = null, delta = null;
            String rule = null;
            Tensor dx;
            if (i == n - 1 && fused) {
                Activation a = ((ActivatedLayer) l).activation();
                rule = a == Activations.SOFTMAX ? "δ = dL/dz = softmax(z) − t: softmax fused with cross-entropy"
                        : "δ = dL/dz = σ(z) − t: sigmoid fused with binary cross-entropy (divided by the outputs)";
                delta = gradY;
                gradY = null;
                dx = ((ActivatedLayer) l).backwardFromDelta(g, true, true);
            } else {
                if (l instanceof ActivatedLayer al) {
                    Activation a = al.activation();
                    Tensor z = row(zs[i]), y = row(ys[i]), d = Tensor.zeros(DType.F64, z.shape());
                    a.backward(z, y, g, d);
                    delta = d.toDoubleArray();
                    if (a instanceof ElementwiseActivation e) {
                        fPrime = new double[zs[i].length];
                        for (int k = 0; k < fPrime.length; k++) fPrime[k] = e.df(zs[i][k], ys[i][k]);
                        rule = "δ = ∇_y L ⊙ f'(z)";
                    } else {
                        rule = a == Activations.SOFTMAX ? "δ = y ⊙ (∇_y L − (∇_y L · y)): the softmax Jacobian applied to ∇_y L"
                                : "δ = J_f(z)ᵀ ∇_y L (" + a.spec() + " is not element-wise)";
                    }
                }
                dx = l.backward(g, true);
            }
            double[] dxs = dx.toDoubleArray();       // before anything reuses the buffer (dropout hands g back)
            Map<String, Grad> grads = new LinkedHashMap<>();
            for (Parameter p : l.parameters()) grads.put(prefixes.get(i) + "." + p.name(), new Grad(p.grad().shape().dims(), p.grad().toDoubleArray()));
            if (l instanceof Dense dense) gap = Math.max(gap, derivationGap(dense, xs[i], delta, grads.get(prefixes.get(i) + ".weight"), dxs));
            steps[i] = new Step(i, prefixes.get(i), l, xs[i], zs[i], ys[i], gradY, fPrime, rule, delta, grads, dxs);
            g = row(dxs);
        }
        return new Pass(x, target, value, fused, lossIn, List.of(steps), gap);
    }

    /** dL/dW = δ xᵀ and dL/dx = Wᵀ δ by hand, against the layer's backward. */
    private static double derivationGap(Dense d, double[] x, double[] delta, Grad dW, double[] dx) {
        double gap = 0;
        Tensor w = d.weight();
        int out = d.outputSize(), in = d.inputSize();
        for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) gap = Math.max(gap, Math.abs(delta[r] * x[c] - dW.values()[r * in + c]));
        for (int c = 0; c < in; c++) {
            double s = 0;
            for (int r = 0; r < out; r++) s += w.get(r, c) * delta[r];
            gap = Math.max(gap, Math.abs(s - dx[c]));
        }
        return gap;
    }

    /**
     * The loss for input h to layer {@code from} (the layers below are not run), in evaluation
     * mode. Returns NaN when a dense layer's pre-activation moved across a kink of its activation
     * relative to {@code base} (a finite difference there measures neither slope).
     */
    static double lossFrom(Sequential net, Loss loss, Pass base, int from, double[] h) {
        List<Layer> layers = net.layers();
        Tensor t = row(h);
        boolean crossed = false;
        for (int i = from; i < layers.size(); i++) {
            Layer l = layers.get(i);
            t = l.forward(t, false);
            if (l instanceof ActivatedLayer a) crossed |= crossedKink(a, base.steps().get(i).z());
        }
        Tensor in = base.fused() ? ((ActivatedLayer) layers.getLast()).preActivation() : t;
        Tensor target = row(base.target());
        if (loss.kinkDistance(row(base.lossInput()), target) != Double.POSITIVE_INFINITY) {
            double room = loss.kinkDistance(row(base.lossInput()), target);
            for (int k = 0; k < in.size(); k++) crossed |= Math.abs(in.get(k) - base.lossInput()[k]) >= room && in.get(k) != base.lossInput()[k];
        }
        return crossed ? Double.NaN : loss.forward(in, target);
    }

    private static boolean crossedKink(ActivatedLayer a, double[] z0) {
        Tensor z = a.preActivation();
        for (int k = 0; k < z0.length; k++) {
            double room = a.activation().kinkDistance(z0[k]);
            if (room != Double.POSITIVE_INFINITY && z.get(k) != z0[k] && Math.abs(z.get(k) - z0[k]) >= room) return true;
        }
        return false;
    }
}
