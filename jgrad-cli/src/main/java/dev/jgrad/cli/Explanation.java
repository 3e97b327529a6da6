package dev.jgrad.cli;

import dev.jgrad.check.GradientCheck;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Dense;
import dev.jgrad.nn.ElementwiseActivation;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * One backward pass of a small dense network for one sample, computed here directly from the
 * derivation (z = Wx + b, y = f(z), δ = ∇_y L ⊙ f'(z), dL/dW = δxᵀ, dL/db = δ, dL/dx = Wᵀδ)
 * and then checked twice: against the library's own backward pass and against finite differences.
 */
record Explanation(Sequential net, Loss loss, double[] x, double[] t, double lossValue, List<Step> steps,
                   GradientCheck.Report check, double maxDiffFromLibrary) {

    /** One layer, with everything the derivation names. fPrime is null where δ has another rule (softmax). */
    record Step(int layer, int in, int out, String activation, double[] x, double[][] w, double[] b, double[] z,
                double[] y, double[] gradY, double[] fPrime, String deltaRule, double[] delta, double[][] dW,
                double[] db, double[] dx) {
    }

    static Explanation compute(Sequential net64, Loss loss, double[] x, double[] t) {
        List<Dense> dense = new ArrayList<>();
        for (Layer l : net64.layers()) {
            if (!(l instanceof Dense d)) throw new IllegalArgumentException("explain takes dense layers only, not " + l.describe());
            dense.add(d);
        }
        int n = dense.size();
        double[][] xs = new double[n][], zs = new double[n][], ys = new double[n][];
        double[] h = x;
        for (int i = 0; i < n; i++) {
            Dense d = dense.get(i);
            double[][] w = d.weight().toRows();
            double[] b = d.bias().toDoubleArray();
            double[] z = new double[d.outputSize()];
            for (int r = 0; r < z.length; r++) {
                double s = b[r];
                for (int c = 0; c < h.length; c++) s += w[r][c] * h[c];
                z[r] = s;
            }
            Tensor zt = Tensor.vector(DType.F64, z).reshape(dev.jgrad.tensor.Shape.of(1, z.length));
            Tensor yt = Tensor.zeros(DType.F64, 1, z.length);
            d.activation().forward(zt, yt);
            xs[i] = h;
            zs[i] = z;
            ys[i] = yt.toDoubleArray();
            h = ys[i];
        }
        Dense last = dense.getLast();
        boolean fused = loss.fusesWith(last.activation());
        Tensor target = Tensor.vector(DType.F64, t).reshape(dev.jgrad.tensor.Shape.of(1, t.length));
        int outW = last.outputSize();
        Tensor lossIn = Tensor.vector(DType.F64, fused ? zs[n - 1] : ys[n - 1]).reshape(dev.jgrad.tensor.Shape.of(1, outW));
        double value = loss.forward(lossIn, target);
        Tensor lg = Tensor.zeros(DType.F64, 1, outW);
        loss.backward(lossIn, target, lg);

        List<Step> steps = new ArrayList<>();
        double[] g = lg.toDoubleArray();
        for (int i = n - 1; i >= 0; i--) {
            Dense d = dense.get(i);
            Activation a = d.activation();
            double[] delta = new double[d.outputSize()];
            double[] fPrime = null;
            String rule;
            double[] gradY = g;
            if (i == n - 1 && fused) {
                rule = a == Activations.SOFTMAX ? "δ = dL/dz = (softmax(z) − t)/B: softmax fused with cross-entropy"
                        : "δ = dL/dz = (σ(z) − t)/(B·m): sigmoid fused with binary cross-entropy";
                delta = g.clone();
                gradY = null;
            } else if (a instanceof ElementwiseActivation e) {
                fPrime = new double[delta.length];
                for (int r = 0; r < delta.length; r++) {
                    fPrime[r] = e.df(zs[i][r], ys[i][r]);
                    delta[r] = g[r] * fPrime[r];
                }
                rule = "δ = ∇_y L ⊙ f'(z)";
            } else {
                double dot = 0;
                for (int r = 0; r < delta.length; r++) dot += g[r] * ys[i][r];
                for (int r = 0; r < delta.length; r++) delta[r] = ys[i][r] * (g[r] - dot);
                rule = "δ = y ⊙ (∇_y L − (∇_y L · y)): the softmax Jacobian applied to ∇_y L";
            }
            double[][] w = d.weight().toRows();
            double[][] dW = new double[delta.length][xs[i].length];
            for (int r = 0; r < delta.length; r++) for (int c = 0; c < xs[i].length; c++) dW[r][c] = delta[r] * xs[i][c];
            double[] dx = new double[xs[i].length];
            for (int c = 0; c < dx.length; c++) {
                double s = 0;
                for (int r = 0; r < delta.length; r++) s += w[r][c] * delta[r];
                dx[c] = s;
            }
            steps.add(new Step(i, d.inputSize(), d.outputSize(), a.spec(), xs[i], w, d.bias().toDoubleArray(), zs[i], ys[i],
                    gradY, fPrime, rule, delta, dW, delta.clone(), dx));
            g = dx;
        }

        // The library's backward on the same network and sample, for comparison.
        Tensor xt = Tensor.vector(DType.F64, x).reshape(dev.jgrad.tensor.Shape.of(1, x.length));
        net64.forward(xt, true);
        net64.zeroGrad();
        net64.backward(loss, target, true);
        double diff = 0;
        for (Step s : steps) {
            Tensor gw = net64.parameter("layers." + s.layer() + ".weight").grad();
            Tensor gb = net64.parameter("layers." + s.layer() + ".bias").grad();
            for (int r = 0; r < s.out(); r++) {
                for (int c = 0; c < s.in(); c++) diff = Math.max(diff, Math.abs(gw.get(r, c) - s.dW()[r][c]));
                diff = Math.max(diff, Math.abs(gb.get(r) - s.db()[r]));
            }
        }
        double[] libDx = net64.inputGradient().toDoubleArray();
        for (int c = 0; c < libDx.length; c++) diff = Math.max(diff, Math.abs(libDx[c] - steps.getLast().dx()[c]));
        GradientCheck.Report report = GradientCheck.defaults().run(net64, loss, xt, target);
        return new Explanation(net64, loss, x, t, value, steps, report, diff);
    }

    double error(String tensor) {
        GradientCheck.Entry e = check.worstPerTensor().get(tensor);
        return e == null ? Double.NaN : e.relativeError();
    }
}
