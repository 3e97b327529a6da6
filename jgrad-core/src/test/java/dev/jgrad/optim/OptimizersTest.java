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
            assertClose(p, run(Sgd.builder().learningRate(lr).momentum(mu).dampening(tau).nesterov(nesterov).weightDecay(wd).build(), 6, DType.F64), 1e-14);
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
        assertClose(p, run(Adam.builder().learningRate(lr).betas(b1, b2).eps(eps).weightDecay(wd).amsgrad(true).build(), 7, DType.F64), 1e-13);
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
            assertClose(p, run(RmsProp.builder().learningRate(lr).alpha(alpha).eps(eps).weightDecay(wd).momentum(mu).centered(centered).build(), 6, DType.F64), 1e-13);
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
        assertClose(p, run(Adagrad.builder().learningRate(lr).lrDecay(decay).initialAccumulator(init).eps(eps).build(), 6, DType.F64), 1e-14);
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
    void familiesDescribeThemselvesAsBefore() {
        // Checkpoints compare these strings: they must not change.
        String[] want = {
                "sgd(lr=0.01, momentum=0, dampening=0, nesterov=false, weight_decay=0)",
                "sgd(lr=0.01, momentum=0.9, dampening=0, nesterov=false, weight_decay=0)",
                "sgd(lr=0.01, momentum=0.9, dampening=0, nesterov=true, weight_decay=0)",
                "adam(lr=0.001, betas=(0.9, 0.999), eps=1E-8, weight_decay=0)",
                "adamw(lr=0.001, betas=(0.9, 0.999), eps=1E-8, weight_decay=0)",
                "rmsprop(lr=0.01, alpha=0.99, eps=1E-8, weight_decay=0, momentum=0, centered=false)",
                "adagrad(lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1E-10)"};
        OptimizerKind[] kinds = OptimizerKind.values();
        assertEquals(want.length, kinds.length);
        for (int i = 0; i < kinds.length; i++) {
            assertEquals(want[i], kinds[i].create(kinds[i].defaultLearningRate(), 0, 0).describe());
        }
        assertEquals("sgd(lr=0.05, momentum=0.5, dampening=0, nesterov=true, weight_decay=0.0001)",
                OptimizerKind.NESTEROV.create(0.05, 0.5, 1e-4).describe());
        assertEquals("rmsprop(lr=0.05, alpha=0.99, eps=1E-8, weight_decay=0.0001, momentum=0.5, centered=false)",
                OptimizerKind.RMSPROP.create(0.05, 0.5, 1e-4).describe());
        assertEquals("adam(lr=0.002, betas=(0.8, 0.99), eps=0.000001, weight_decay=0.1, amsgrad)",
                Adam.builder().learningRate(2e-3).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1).amsgrad(true).build().describe());
        assertEquals("adamw(lr=0.001, betas=(0.9, 0.999), eps=1E-8, weight_decay=0.01)", Adam.adamW(1e-3).describe());
        assertEquals("sgd(lr=0.05, momentum=0.9, dampening=0.2, nesterov=false, weight_decay=0.0001)",
                Sgd.builder().learningRate(0.05).momentum(0.9).dampening(0.2).weightDecay(1e-4).build().describe());
        assertEquals("rmsprop(lr=0.01, alpha=0.9, eps=0.000001, weight_decay=0.05, momentum=0.5, centered=true)",
                RmsProp.builder().alpha(0.9).eps(1e-6).weightDecay(0.05).momentum(0.5).centered(true).build().describe());
        assertEquals("adagrad(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1, eps=1E-10)",
                Adagrad.builder().learningRate(0.1).lrDecay(0.05).weightDecay(0.01).initialAccumulator(0.1).build().describe());
    }

    @Test
    void buildersStartFromPyTorchsDefaults() {
        assertEquals("sgd(lr=0.001, momentum=0, dampening=0, nesterov=false, weight_decay=0)", Sgd.builder().build().describe());
        assertEquals("adam(lr=0.001, betas=(0.9, 0.999), eps=1E-8, weight_decay=0)", Adam.builder().build().describe());
        assertEquals("rmsprop(lr=0.01, alpha=0.99, eps=1E-8, weight_decay=0, momentum=0, centered=false)",
                RmsProp.builder().build().describe());
        assertEquals("adagrad(lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1E-10)",
                Adagrad.builder().build().describe());
        assertEquals(new Sgd(0.2).describe(), Sgd.builder().learningRate(0.2).build().describe());
        assertEquals(new Adam(0.2).describe(), Adam.builder().learningRate(0.2).build().describe());
        assertEquals(new RmsProp(0.2).describe(), RmsProp.builder().learningRate(0.2).build().describe());
        assertEquals(new Adagrad(0.2).describe(), Adagrad.builder().learningRate(0.2).build().describe());
    }

    @Test
    void namesParseInOnePlace() {
        for (OptimizerKind k : OptimizerKind.values()) {
            assertEquals(k, OptimizerKind.parse(k.spec()));
            assertEquals(k, OptimizerKind.parse(" " + k.spec().toUpperCase(java.util.Locale.ROOT)));
            assertEquals(k.spec(), k.toString());
        }
        assertEquals("adamw", OptimizerKind.ADAMW.spec());
        assertEquals(1e-3, OptimizerKind.ADAM.defaultLearningRate());
        assertEquals(1e-2, OptimizerKind.RMSPROP.defaultLearningRate());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerKind.parse("lbfgs"));
        assertEquals("unknown optimizer 'lbfgs' (known: sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad)", e.getMessage());
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertMessage("learningRate must be ≥ 0, got -1.0", () -> new Sgd(-1));
        assertMessage("learningRate must be ≥ 0, got NaN", () -> Adam.builder().learningRate(Double.NaN));
        assertMessage("beta2 must be in [0, 1), got 1.0", () -> Adam.builder().betas(0.9, 1));
        assertMessage("eps must be ≥ 0, got -1.0E-8", () -> Adam.builder().eps(-1e-8));
        assertMessage("weightDecay must be ≥ 0, got -0.1", () -> Adagrad.builder().weightDecay(-0.1));
        assertMessage("momentum must be in [0, 1], got 1.5", () -> Sgd.builder().momentum(1.5));
        assertMessage("dampening must be in [0, 1], got -0.5", () -> Sgd.builder().dampening(-0.5));
        assertMessage("alpha must be in [0, 1], got 2.0", () -> RmsProp.builder().alpha(2));
        assertMessage("lrDecay must be ≥ 0, got -1.0", () -> Adagrad.builder().lrDecay(-1));
        assertMessage("initialAccumulator must be ≥ 0, got -1.0", () -> Adagrad.builder().initialAccumulator(-1));
        assertMessage("weightDecay must be ≥ 0, got -0.01", () -> OptimizerKind.RMSPROP.create(0.01, 0, -0.01));
        assertMessage("Nesterov momentum requires momentum > 0 and zero dampening", () -> Sgd.builder().nesterov(true).build());
        assertMessage("Nesterov momentum requires momentum > 0 and zero dampening",
                () -> Sgd.builder().momentum(0.9).dampening(0.1).nesterov(true).build());
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1).step(Tensor.zeros(DType.F32, 3), Tensor.zeros(DType.F32, 4)));
    }

    private static void assertMessage(String want, org.junit.jupiter.api.function.Executable x) {
        assertEquals(want, assertThrows(IllegalArgumentException.class, x).getMessage());
    }

    @Test
    void aStepSpreadOverThreadsGivesTheSameBits() {
        java.util.Random r = new java.util.Random(3);
        int n = 100_003;   // several chunks and a ragged last one
        for (OptimizerKind kind : new OptimizerKind[]{OptimizerKind.SGD, OptimizerKind.NESTEROV, OptimizerKind.ADAM,
                OptimizerKind.ADAMW, OptimizerKind.RMSPROP, OptimizerKind.ADAGRAD}) {
            for (DType dt : DType.values()) {
                Tensor p1 = Tensor.zeros(dt, n), g = Tensor.zeros(dt, n);
                for (int i = 0; i < n; i++) {
                    p1.set(i, r.nextGaussian());
                    g.set(i, r.nextGaussian());
                }
                Tensor p2 = p1.copy();
                Optimizer a = kind.create(0.01, 0.5, 0.01), b = kind.create(0.01, 0.5, 0.01);
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

}
