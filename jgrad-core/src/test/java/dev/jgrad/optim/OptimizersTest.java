package dev.jgrad.optim;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Each optimizer against its documented update rule, written out independently here for a
 * few parameters over several steps with changing gradients.
 */
class OptimizersTest {
    static final double[] P0 = {0.5, -1.5, 2.0};

    /** The gradient at step s (1-based) for parameter i: varied signs and sizes. */
    static double grad(int s, int i, double p) {
        return Math.sin(1.3 * s + i) + 0.1 * p;
    }

    static double[] run(Optimizer opt, int steps, DType dt) {
        Tensor p = Tensor.vector(dt, P0), g = Tensor.zeros(dt, 3);
        for (int s = 1; s <= steps; s++) {
            for (int i = 0; i < 3; i++) g.set(i, grad(s, i, p.get(i)));
            opt.step(p, g);
        }
        return p.toDoubleArray();
    }

    static void assertClose(double[] want, double[] got, double tol) {
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, "parameter " + i);
    }

    @Test
    void sgdPlain() {
        double[] p = P0.clone();
        for (int s = 1; s <= 5; s++) for (int i = 0; i < 3; i++) p[i] -= 0.1 * grad(s, i, p[i]);
        assertClose(p, run(new Sgd(0.1), 5, DType.F64), 1e-15);
    }

    @Test
    void sgdMomentumNesterovDampeningWeightDecay() {
        for (boolean nesterov : new boolean[]{false, true}) {
            double mu = 0.9, tau = nesterov ? 0 : 0.2, wd = 0.01, lr = 0.05;
            double[] p = P0.clone(), b = new double[3];
            for (int s = 1; s <= 6; s++) {
                for (int i = 0; i < 3; i++) {
                    double g = grad(s, i, p[i]) + wd * p[i];
                    b[i] = s == 1 ? g : mu * b[i] + (1 - tau) * g;
                    double d = nesterov ? g + mu * b[i] : b[i];
                    p[i] -= lr * d;
                }
            }
            assertClose(p, run(new Sgd(lr, mu, tau, nesterov, wd), 6, DType.F64), 1e-14);
        }
    }

    @Test
    void adamWithBiasCorrection() {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] p = P0.clone(), m = new double[3], v = new double[3];
        for (int s = 1; s <= 7; s++) {
            for (int i = 0; i < 3; i++) {
                double g = grad(s, i, p[i]);
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mh = m[i] / (1 - Math.pow(b1, s)), vh = v[i] / (1 - Math.pow(b2, s));
                p[i] -= lr * mh / (Math.sqrt(vh) + eps);
            }
        }
        assertClose(p, run(new Adam(lr), 7, DType.F64), 1e-13);
        // float32 follows within float precision.
        assertClose(p, run(new Adam(lr), 7, DType.F32), 1e-6);
    }

    @Test
    void adamL2AndAmsgrad() {
        double lr = 0.01, b1 = 0.8, b2 = 0.99, eps = 1e-6, wd = 0.1;
        double[] p = P0.clone(), m = new double[3], v = new double[3], vmax = new double[3];
        for (int s = 1; s <= 7; s++) {
            for (int i = 0; i < 3; i++) {
                double g = grad(s, i, p[i]) + wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                vmax[i] = Math.max(vmax[i], v[i]);
                p[i] -= lr / (1 - Math.pow(b1, s)) * m[i] / (Math.sqrt(vmax[i] / (1 - Math.pow(b2, s))) + eps);
            }
        }
        assertClose(p, run(new Adam(lr, b1, b2, eps, wd, false, true), 7, DType.F64), 1e-13);
    }

    @Test
    void adamWDecouplesWeightDecay() {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
        double[] p = P0.clone(), m = new double[3], v = new double[3];
        for (int s = 1; s <= 7; s++) {
            for (int i = 0; i < 3; i++) {
                double g = grad(s, i, p[i]);   // the gradient at the parameter before decay
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                p[i] -= lr * (m[i] / (1 - Math.pow(b1, s))) / (Math.sqrt(v[i] / (1 - Math.pow(b2, s))) + eps);
            }
        }
        assertClose(p, run(Adam.adamW(lr), 7, DType.F64), 1e-13);
    }

    @Test
    void rmsPropPlainCenteredAndMomentum() {
        for (int variant = 0; variant < 3; variant++) {
            boolean centered = variant == 1;
            double mu = variant == 2 ? 0.5 : 0, lr = 0.01, alpha = 0.99, eps = 1e-8, wd = variant == 2 ? 0.05 : 0;
            double[] p = P0.clone(), sq = new double[3], ga = new double[3], b = new double[3];
            for (int s = 1; s <= 6; s++) {
                for (int i = 0; i < 3; i++) {
                    double g = grad(s, i, p[i]) + wd * p[i];
                    sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
                    double avg;
                    if (centered) {
                        ga[i] = alpha * ga[i] + (1 - alpha) * g;
                        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + eps;
                    } else {
                        avg = Math.sqrt(sq[i]) + eps;
                    }
                    if (mu > 0) {
                        b[i] = mu * b[i] + g / avg;
                        p[i] -= lr * b[i];
                    } else {
                        p[i] -= lr * g / avg;
                    }
                }
            }
            assertClose(p, run(new RmsProp(lr, alpha, eps, wd, mu, centered), 6, DType.F64), 1e-13);
        }
    }

    @Test
    void adagradWithDecayAndInitialAccumulator() {
        double lr = 0.1, decay = 0.05, init = 0.1, eps = 1e-10;
        double[] p = P0.clone(), sum = {init, init, init};
        for (int s = 1; s <= 6; s++) {
            double clr = lr / (1 + (s - 1) * decay);
            for (int i = 0; i < 3; i++) {
                double g = grad(s, i, p[i]);
                sum[i] += g * g;
                p[i] -= clr * g / (Math.sqrt(sum[i]) + eps);
            }
        }
        assertClose(p, run(new Adagrad(lr, decay, 0, init, eps), 6, DType.F64), 1e-14);
    }

    @Test
    void stateRoundTripContinuesIdentically() {
        Optimizer a = new Adam(0.01);
        Tensor p = Tensor.vector(DType.F64, P0), g = Tensor.zeros(DType.F64, 3);
        for (int s = 1; s <= 3; s++) {
            for (int i = 0; i < 3; i++) g.set(i, grad(s, i, p.get(i)));
            a.step(p, g);
        }
        Map<String, Tensor> saved = a.state();
        Tensor q = p.copy();
        Optimizer b = new Adam(0.01);
        b.loadState(saved);
        assertEquals(3, b.steps());
        for (int s = 4; s <= 6; s++) {
            for (int i = 0; i < 3; i++) g.set(i, grad(s, i, p.get(i)));
            a.step(p, g);
            b.step(q, g);
        }
        assertClose(p.toDoubleArray(), q.toDoubleArray(), 0);
    }

    @Test
    void factoryAndBadSettings() {
        assertEquals("sgd", Optimizers.create("nesterov", 0.1, 0, 0).describe().substring(0, 3));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.create("lbfgs", 0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 0, 0, true, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(-1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1).step(Tensor.zeros(DType.F32, 3), Tensor.zeros(DType.F32, 4)));
    }

    @Test
    void aStepSpreadOverThreadsGivesTheSameBits() {
        java.util.Random r = new java.util.Random(3);
        int n = 100_003;   // several chunks and a ragged last one
        for (String name : new String[]{"sgd", "nesterov", "adam", "adamw", "rmsprop", "adagrad"}) {
            for (DType dt : DType.values()) {
                Tensor p1 = Tensor.zeros(dt, n), g = Tensor.zeros(dt, n);
                for (int i = 0; i < n; i++) {
                    p1.set(i, r.nextGaussian());
                    g.set(i, r.nextGaussian());
                }
                Tensor p2 = p1.copy();
                Optimizer a = Optimizers.create(name, 0.01, 0.5, 0.01), b = Optimizers.create(name, 0.01, 0.5, 0.01);
                try (dev.jgrad.kernel.Parallel two = dev.jgrad.kernel.Parallel.create(2)) {
                    for (int s = 0; s < 3; s++) {
                        a.step(p1, g);
                        b.step(p2, g, two);
                    }
                }
                assertClose(p1.toDoubleArray(), p2.toDoubleArray(), 0);
            }
        }
    }

    @Test
    void stepAndZeroUpdatesAlikeAndLeavesZeroGradients() {
        java.util.Random r = new java.util.Random(4);
        int n = 70_001;   // two full chunks and a ragged third
        for (String name : new String[]{"sgd", "adam", "rmsprop"}) {
            for (DType dt : DType.values()) {
                for (int threads : new int[]{1, 2}) {
                    Tensor p1 = Tensor.zeros(dt, n), g1 = Tensor.zeros(dt, n);
                    for (int i = 0; i < n; i++) {
                        p1.set(i, r.nextGaussian());
                        g1.set(i, r.nextGaussian());
                    }
                    Tensor p2 = p1.copy(), g2 = g1.copy();
                    Optimizer a = Optimizers.create(name, 0.01, 0.5, 0.01), b = Optimizers.create(name, 0.01, 0.5, 0.01);
                    try (dev.jgrad.kernel.Parallel par = dev.jgrad.kernel.Parallel.create(threads)) {
                        for (int s = 0; s < 2; s++) {
                            a.step(p1, g1, par);
                            Tensor keep = g1.copy();
                            b.stepAndZero(p2, g2, par);
                            for (int i = 0; i < n; i++) assertEquals(0.0, g2.get(i), name + " " + dt + " gradient " + i);
                            g2.copyFrom(keep);   // the same gradients again for the second step
                        }
                    }
                    assertClose(p1.toDoubleArray(), p2.toDoubleArray(), 0);
                }
            }
        }
    }
}
