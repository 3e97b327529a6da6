package dev.jgrad.nn;

import dev.jgrad.kernel.FloatExp;
import dev.jgrad.kernel.FusedPasses;
import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleFunction;

/**
 * The activations jgrad ships, each with f and f' side by side, in the numerically stable
 * forms (no overflow in sigmoid or softplus for large |z|, log-sum-exp in softmax).
 */
public final class Activations {
    private Activations() {
    }

    public static final Activation IDENTITY = new Identity();
    public static final Activation SIGMOID = new Sigmoid();
    public static final Activation TANH = new Tanh();
    public static final Activation RELU = new Relu();
    public static final Activation SELU = new Selu();
    public static final Activation GELU = new Gelu();
    public static final Activation GELU_TANH = new GeluTanh();
    public static final Activation SILU = new Silu();
    public static final Activation SOFTPLUS = new Softplus();
    public static final Activation SOFTMAX = new Softmax();

    public static Activation leakyRelu(double slope) {
        return new LeakyRelu(slope);
    }

    public static Activation elu(double alpha) {
        return new Elu(alpha);
    }

    /**
     * Makes an activation without a parameter known by name, so that {@link #parse} (the command
     * line, model files) reads it: {@code a.spec()} must be {@code name}. The built-in activations
     * are registered the same way; registering the same activation again is harmless, another one
     * under a taken name is refused.
     */
    public static void register(String name, Activation a) {
        put(name, new Entry(p -> a, Double.NaN, a));
    }

    /**
     * Makes an activation with one numeric parameter known by name: {@code name(0.2)} is
     * {@code factory.apply(0.2)} and a bare {@code name} is {@code factory.apply(defaultParameter)}.
     * Its spec must read back to an equal activation.
     */
    public static void register(String name, double defaultParameter, DoubleFunction<Activation> factory) {
        put(name, new Entry(factory, defaultParameter, null));
    }

    /**
     * Reads a name as written by {@link Activation#spec()}: {@code relu}, {@code leaky_relu},
     * {@code leaky_relu(0.2)}, {@code elu(0.5)}, {@code gelu}, {@code gelu_tanh}, {@code swish}, ...,
     * or one {@link #register registered} by the user. The one place where activation names are read.
     */
    public static Activation parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        String name = s;
        Double arg = null;
        int open = s.indexOf('(');
        if (open >= 0) {
            if (!s.endsWith(")")) throw new IllegalArgumentException("bad activation '" + text + "': missing ')'");
            name = s.substring(0, open).trim();
            try {
                arg = Double.parseDouble(s.substring(open + 1, s.length() - 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad activation '" + text + "': the parameter is not a number");
            }
            if (!Double.isFinite(arg)) throw new IllegalArgumentException("bad activation '" + text + "': the parameter is not finite");
        }
        Entry e = REGISTRY.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown activation '" + text + "' (known: " + String.join(", ", KNOWN) + ")");
        }
        if (e.fixed != null) {
            if (arg != null) throw new IllegalArgumentException("activation '" + name + "' takes no parameter");
            return e.fixed;
        }
        return e.factory.apply(arg == null ? e.defaultParameter : arg);
    }

    /** A registered name: a fixed activation, or a factory of one with a parameter. */
    private record Entry(DoubleFunction<Activation> factory, double defaultParameter, Activation fixed) {
    }

    private static final Map<String, Entry> REGISTRY = new ConcurrentHashMap<>();
    /** Names listed in the message for an unknown one: the primary names, without aliases. */
    private static final List<String> KNOWN = new CopyOnWriteArrayList<>();

    private static void put(String name, Entry e) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.isEmpty() || !key.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("an activation name is letters, digits and '_', not '" + name + "'");
        }
        Entry before = REGISTRY.putIfAbsent(key, e);
        if (before != null) {
            if (before.fixed != null && before.fixed == e.fixed) return;
            throw new IllegalArgumentException("activation '" + key + "' is already registered");
        }
        KNOWN.add(e.fixed != null ? key : key + "(" + e.defaultParameter + ")");
    }

    private static void alias(String alias, String name) {
        REGISTRY.put(alias, REGISTRY.get(name));
    }

    static {
        register("identity", IDENTITY);
        register("sigmoid", SIGMOID);
        register("tanh", TANH);
        register("relu", RELU);
        register("leaky_relu", 0.01, Activations::leakyRelu);
        register("elu", 1.0, Activations::elu);
        register("selu", SELU);
        register("gelu", GELU);
        register("gelu_tanh", GELU_TANH);
        register("silu", SILU);
        register("softplus", SOFTPLUS);
        register("softmax", SOFTMAX);
        alias("linear", "identity");
        alias("none", "identity");
        alias("logistic", "sigmoid");
        alias("leakyrelu", "leaky_relu");
        alias("swish", "silu");
    }

    /** σ(z) without overflow: e^z/(1+e^z) for negative z. */
    static double sigmoid(double z) {
        if (z >= 0) return 1 / (1 + Math.exp(-z));
        double e = Math.exp(z);
        return e / (1 + e);
    }

    static final class Identity extends ElementwiseActivation {
        public String spec() { return "identity"; }
        public double f(double z) { return z; }
        public double df(double z, double y) { return 1; }

        @Override
        public void forward(Tensor z, Tensor y) {
            checkSame(z, y);
            y.copyFrom(z);
        }

        @Override
        public void backward(Tensor z, Tensor y, Tensor g, Tensor delta) {
            checkSame(z, g);
            if (delta != g) delta.copyFrom(g);
        }
    }

    static final class Sigmoid extends ElementwiseActivation {
        public String spec() { return "sigmoid"; }
        public double f(double z) { return sigmoid(z); }
        public double df(double z, double y) { return y * (1 - y); }
    }

    static final class Tanh extends ElementwiseActivation {
        public String spec() { return "tanh"; }
        public double f(double z) { return Math.tanh(z); }
        public double df(double z, double y) { return 1 - y * y; }
    }

    static final class Relu extends ElementwiseActivation {
        public String spec() { return "relu"; }
        public double f(double z) { return z > 0 ? z : 0; }
        public double df(double z, double y) { return z > 0 ? 1 : 0; }
        public double kinkDistance(double z) { return Math.abs(z); }

        // The training hot path: the chosen kernels, no double round trip.
        @Override
        public void forwardWithBias(Tensor z, Tensor bias, Tensor y) {
            if (z instanceof FloatTensor fz && y instanceof FloatTensor fy && bias instanceof FloatTensor fb) {
                checkSame(z, y);
                if (fb.size() != z.cols()) {
                    throw new IllegalArgumentException("bias " + bias.shape() + " does not match rows of " + z.shape());
                }
                FusedPasses.get().biasRelu(fz.data(), fz.offset(), fy.data(), fy.offset(), z.rows(), z.cols(), fb.data(), fb.offset());
            } else {
                super.forwardWithBias(z, bias, y);
            }
        }

        @Override
        public void forward(Tensor z, Tensor y) {
            if (z instanceof FloatTensor fz && y instanceof FloatTensor fy) {
                checkSame(z, y);
                float[] zs = fz.data(), ys = fy.data();
                int zo = fz.offset(), yo = fy.offset();
                for (int i = 0, n = z.size(); i < n; i++) ys[yo + i] = Math.max(zs[zo + i], 0f);
            } else {
                super.forward(z, y);
            }
        }

        @Override
        public void backward(Tensor z, Tensor y, Tensor g, Tensor delta) {
            if (z instanceof FloatTensor fz && g instanceof FloatTensor fg && delta instanceof FloatTensor fd) {
                checkSame(z, g);
                checkSame(z, delta);
                FusedPasses.get().reluBackward(fz.data(), fz.offset(), fg.data(), fg.offset(), fd.data(), fd.offset(), z.size());
            } else {
                super.backward(z, y, g, delta);
            }
        }
    }

    static final class LeakyRelu extends ElementwiseActivation {
        final double slope;
        LeakyRelu(double slope) { this.slope = slope; }
        public String spec() { return "leaky_relu(" + slope + ")"; }
        public double f(double z) { return z > 0 ? z : slope * z; }
        public double df(double z, double y) { return z > 0 ? 1 : slope; }
        public double kinkDistance(double z) { return Math.abs(z); }
    }

    static final class Elu extends ElementwiseActivation {
        final double alpha;
        Elu(double alpha) { this.alpha = alpha; }
        public String spec() { return alpha == 1.0 ? "elu" : "elu(" + alpha + ")"; }
        public double f(double z) { return z > 0 ? z : alpha * Math.expm1(z); }
        public double df(double z, double y) { return z > 0 ? 1 : y + alpha; }
        // f' is continuous at 0 only for alpha = 1, and f'' never is.
        public double kinkDistance(double z) { return Math.abs(z); }
    }

    static final class Selu extends ElementwiseActivation {
        static final double ALPHA = 1.6732632423543772848170429916717;
        static final double SCALE = 1.0507009873554804934193349852946;
        public String spec() { return "selu"; }
        public double f(double z) { return z > 0 ? SCALE * z : SCALE * ALPHA * Math.expm1(z); }
        public double df(double z, double y) { return z > 0 ? SCALE : y + SCALE * ALPHA; }
        public double kinkDistance(double z) { return Math.abs(z); }
    }

    /** GELU, exact form: z·Φ(z) with Φ the standard normal CDF (PyTorch's approximate='none'). */
    static final class Gelu extends ElementwiseActivation {
        static final double INV_SQRT2 = 0.7071067811865476;
        static final double INV_SQRT_2PI = 0.3989422804014327;
        public String spec() { return "gelu"; }
        static double phiCdf(double z) { return 0.5 * Erf.erfc(-z * INV_SQRT2); }
        public double f(double z) { return z * phiCdf(z); }
        // d/dz z·Φ(z) = Φ(z) + z·φ(z)
        public double df(double z, double y) { return phiCdf(z) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z); }
    }

    /** GELU, tanh approximation: ½z(1 + tanh(√(2/π)(z + 0.044715z³))) (PyTorch's approximate='tanh'). */
    static final class GeluTanh extends ElementwiseActivation {
        static final double C = 0.7978845608028654;
        static final double K = 0.044715;
        public String spec() { return "gelu_tanh"; }
        public double f(double z) { return 0.5 * z * (1 + Math.tanh(C * (z + K * z * z * z))); }
        public double df(double z, double y) {
            double t = Math.tanh(C * (z + K * z * z * z));
            return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * K * z * z);
        }
    }

    /** SiLU / swish: z·σ(z), f' = σ(z)(1 + z(1 − σ(z))). */
    static final class Silu extends ElementwiseActivation {
        public String spec() { return "silu"; }
        public double f(double z) { return z * sigmoid(z); }
        public double df(double z, double y) {
            double s = sigmoid(z);
            return s * (1 + z * (1 - s));
        }
    }

    /** softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)); f' = σ(z). */
    static final class Softplus extends ElementwiseActivation {
        public String spec() { return "softplus"; }
        public double f(double z) { return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))); }
        public double df(double z, double y) { return sigmoid(z); }
    }

    /**
     * Softmax over each row: y = e^(z − max z) / Σ e^(z − max z). Its Jacobian is not diagonal, so
     * backward applies it whole: δ_i = y_i (g_i − Σ_j g_j y_j). Paired with softmax cross-entropy
     * the two fuse and this backward is skipped (dL/dZ = (Y − T)/B).
     */
    static final class Softmax implements Activation {
        public String spec() { return "softmax"; }

        @Override
        public void forward(Tensor z, Tensor y) {
            ElementwiseActivation.checkSame(z, y);
            int rows = z.rows(), cols = z.cols();
            switch (z) {
                case FloatTensor fz -> {
                    float[] zs = fz.data(), ys = ((FloatTensor) y).data();
                    for (int r = 0; r < rows; r++) {
                        int zo = fz.offset() + r * cols, yo = y.offset() + r * cols;
                        float max = Float.NEGATIVE_INFINITY;
                        for (int j = 0; j < cols; j++) max = Math.max(max, zs[zo + j]);
                        for (int j = 0; j < cols; j++) ys[yo + j] = zs[zo + j] - max;
                    }
                    normalise(ys, y.offset(), rows, cols);
                }
                case DoubleTensor dz -> {
                    double[] zs = dz.data(), ys = ((DoubleTensor) y).data();
                    for (int r = 0; r < rows; r++) {
                        int zo = dz.offset() + r * cols, yo = y.offset() + r * cols;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < cols; j++) max = Math.max(max, zs[zo + j]);
                        double sum = 0;
                        for (int j = 0; j < cols; j++) sum += (ys[yo + j] = Math.exp(zs[zo + j] - max));
                        for (int j = 0; j < cols; j++) ys[yo + j] /= sum;
                    }
                }
            }
        }

        /**
         * Rows of z − max (float differences) in place into softmax: e^(z − max) is
         * {@code (float) Math.exp} of the difference, to the bit ({@link FloatExp}), taken over
         * the whole batch at once; each row's sum adds those floats in double, in column order.
         */
        private static void normalise(float[] ys, int off, int rows, int cols) {
            FloatExp.get().exp(ys, off, rows * cols);
            for (int r = 0; r < rows; r++) {
                int yo = off + r * cols;
                double sum = 0;
                for (int j = 0; j < cols; j++) sum += ys[yo + j];
                float inv = (float) (1 / sum);
                for (int j = 0; j < cols; j++) ys[yo + j] *= inv;
            }
        }

        @Override
        public void backward(Tensor z, Tensor y, Tensor g, Tensor delta) {
            ElementwiseActivation.checkSame(y, g);
            ElementwiseActivation.checkSame(y, delta);
            int rows = y.rows(), cols = y.cols();
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                double dot = 0;
                for (int j = 0; j < cols; j++) dot += g.get(o + j) * y.get(o + j);
                for (int j = 0; j < cols; j++) delta.set(o + j, y.get(o + j) * (g.get(o + j) - dot));
            }
        }

        @Override
        public String toString() {
            return spec();
        }
    }
}
