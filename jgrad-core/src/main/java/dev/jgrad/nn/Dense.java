package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * A fully connected layer with its activation: z = W x + b, y = f(z), W out × in.
 * In batch form (rows are samples): Z = X Wᵀ + 1 bᵀ, Y = f(Z); given G = dL/dY,
 * Δ = G ⊙ f'(Z), dW += Δᵀ X (the shape of W, not a Jacobian), db += column sums of Δ,
 * dX = Δ W.
 */
public final class Dense implements ActivatedLayer {
    /** Saved as {@code in}, {@code out}, {@code activation} (its spec) and {@code init}. */
    public static final LayerCodec CODEC = new LayerCodec() {
        @Override
        public String type() {
            return "dense";
        }

        @Override
        public void write(Layer layer, LayerConfig c) {
            Dense d = (Dense) layer;
            c.put("in", d.in).put("out", d.out).put("activation", d.activation.spec())
                    .put("init", d.init.name().toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public Layer read(LayerConfig c, int inputWidth) {
            Init init;
            try {
                init = Init.parse(c.getString("init", "glorot_uniform"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("dense layer: 'init' " + e.getMessage());
            }
            return new Dense(c.getSize("in"), c.getSize("out"), c.getActivation("activation"), init);
        }
    };

    private final int in;
    private final int out;
    private final Activation activation;
    private final Init init;

    private Tensor w, b, dw, db;
    private Parallel parallel;

    private Tensor x;
    private int rows = -1;
    private Tensor zBuf, yBuf, deltaBuf, dxBuf;
    private Tensor z, y, delta, dx;

    public Dense(int in, int out, Activation activation) {
        this(in, out, activation, Init.defaultFor(activation));
    }

    public Dense(int in, int out, Activation activation, Init init) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Dense sizes must be positive: " + in + " → " + out);
        long count = (long) out * in + out;    // exact: both below 2^31
        if (count > Sequential.MAX_PARAMETERS) {
            throw new IllegalArgumentException("dense layer " + in + " → " + out + " has " + count
                    + " parameters, more than a network holds (" + Sequential.MAX_PARAMETERS + ")");
        }
        this.in = in;
        this.out = out;
        this.activation = activation;
        this.init = init;
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int outputSize() {
        return out;
    }

    @Override
    public Activation activation() {
        return activation;
    }

    public Init init() {
        return init;
    }

    @Override
    public int parameterCount() {
        return out * in + out;
    }

    @Override
    public void bind(Tensor params, Tensor grads, Parallel parallel, Rng rng) {
        w = params.view(0, Shape.of(out, in));
        b = params.view(out * in, Shape.of(out));
        dw = grads.view(0, Shape.of(out, in));
        db = grads.view(out * in, Shape.of(out));
        this.parallel = parallel;
        rows = -1;
        zBuf = yBuf = deltaBuf = dxBuf = null;
    }

    @Override
    public void initialize(Random rng) {
        init.fill(w, in, out, rng);
        init.fillBias(b, in, rng);
    }

    public Tensor weight() {
        return w;
    }

    public Tensor bias() {
        return b;
    }

    @Override
    public Tensor preActivation() {
        return z;
    }

    @Override
    public Tensor forward(Tensor input, boolean training) {
        product(input);                                     // Z = X Wᵀ
        activation.forwardWithBias(z, b, y);                //   + 1 bᵀ, then Y = f(Z)
        return y;
    }

    /** Z = X·Wᵀ, keeping X for the backward pass. */
    private void product(Tensor input) {
        if (input.cols() != in) {
            throw new IllegalArgumentException(describe() + ": input " + input.shape() + " has " + input.cols()
                    + " columns, expected " + in + " (W is " + w.shape() + ")");
        }
        ensureRows(input.rows());
        x = input;
        TensorOps.matmulNT(parallel, input, w, z, false);
    }

    @Override
    public Tensor forwardPreActivation(Tensor input, boolean training) {
        product(input);                                     // Z = X Wᵀ
        TensorOps.addRowVector(z, b);                       //   + 1 bᵀ
        return z;
    }

    @Override
    public Tensor completeActivation() {
        activation.forward(z, y);
        return y;
    }

    /**
     * Evaluation forward over a copy of W and b: Z = X·Wᵀ, then the bias and f as above. W is
     * packed once into the layout the kernels' GEMM packs Wᵀ into on every training step, and Z
     * summed in the GEMM's order: each row has the same bits in any batch, and those of
     * {@link #forward} in a batch of six rows or more.
     */
    @Override
    public InferenceLayer inference() {
        float[] wCopy = new float[out * in], bCopy = new float[out];
        for (int i = 0; i < wCopy.length; i++) wCopy[i] = (float) w.get(i);
        for (int i = 0; i < out; i++) bCopy[i] = (float) b.get(i);
        return new Inference(in, out, activation, TensorOps.packTransposed(wCopy, out, in), bCopy);
    }

    /** Dense's {@link InferenceLayer}: immutable, so shared by every thread. W packed by {@link TensorOps#packTransposed}. */
    private record Inference(int inputSize, int outputSize, Activation activation, float[] packedW, float[] b)
            implements InferenceLayer {
        @Override
        public int scratchSize(int rows) {
            return rows * outputSize;
        }

        @Override
        public void forward(Parallel par, float[] x, int xOff, int rows, float[] y, int yOff, float[] scratch) {
            Shape shape = Shape.of(rows, outputSize);
            TensorOps.matmulPackedNT(par, rows, outputSize, inputSize, x, xOff, packedW, scratch, 0);   // Z = X Wᵀ
            activation.forwardWithBias(new FloatTensor(scratch, 0, shape),                               //   + 1 bᵀ, then Y = f(Z)
                    new FloatTensor(b, 0, Shape.of(outputSize)), new FloatTensor(y, yOff, shape));
        }
    }

    @Override
    public Tensor backward(Tensor gradOutput, boolean needInputGrad) {
        return backward(gradOutput, needInputGrad, true);
    }

    @Override
    public boolean writesGradients() {
        return true;
    }

    @Override
    public Tensor backward(Tensor gradOutput, boolean needInputGrad, boolean accumulate) {
        if (!gradOutput.shape().equals(y.shape())) {
            throw new IllegalArgumentException(describe() + ": gradient " + gradOutput.shape()
                    + " does not match output " + y.shape());
        }
        activation.backward(z, y, gradOutput, delta);       // Δ = G ⊙ f'(Z)
        return backwardFromDelta(delta, needInputGrad, accumulate);
    }

    @Override
    public Tensor backwardFromDelta(Tensor d, boolean needInputGrad, boolean accumulate) {
        if (!d.shape().equals(z.shape())) {
            throw new IllegalArgumentException(describe() + ": delta " + d.shape() + " does not match Z " + z.shape());
        }
        TensorOps.matmulTN(parallel, d, x, dw, accumulate); // dW (+)= Δᵀ X
        if (!accumulate) db.fill(0);
        TensorOps.addColumnSums(d, db);                     // db (+)= Σ_rows Δ
        if (!needInputGrad) return null;
        ensureDx();
        TensorOps.matmulNN(parallel, d, w, dx, false);      // dX = Δ W
        return dx;
    }

    private void ensureRows(int n) {
        if (n == rows) return;
        DType dt = w.dtype();
        if (zBuf == null || zBuf.rows() < n) {
            zBuf = Tensor.zeros(dt, n, out);
            yBuf = Tensor.zeros(dt, n, out);
            deltaBuf = Tensor.zeros(dt, n, out);
            dxBuf = null;
        }
        z = zBuf.view(0, Shape.of(n, out));
        y = yBuf.view(0, Shape.of(n, out));
        delta = deltaBuf.view(0, Shape.of(n, out));
        dx = null;
        rows = n;
    }

    private void ensureDx() {
        if (dx != null) return;
        if (dxBuf == null || dxBuf.rows() < zBuf.rows()) dxBuf = Tensor.zeros(w.dtype(), zBuf.rows(), in);
        dx = dxBuf.view(0, Shape.of(rows, in));
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(new Parameter("weight", w, dw, Parameter.Role.WEIGHT), new Parameter("bias", b, db, Parameter.Role.BIAS));
    }

    @Override
    public Layer copyConfig() {
        return new Dense(in, out, activation, init);
    }

    @Override
    public String kind() {
        return "dense";
    }

    @Override
    public String describe() {
        return "Dense(" + in + " → " + out + ", " + activation.spec() + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
