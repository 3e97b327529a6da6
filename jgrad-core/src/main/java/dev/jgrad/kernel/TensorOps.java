package dev.jgrad.kernel;

import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;

/**
 * The kernels on tensors, in the three shapes of a dense layer (DESIGN.md, batch form). Each
 * checks shapes and dtypes and names both shapes when they disagree, then calls the chosen
 * {@link Kernels} with strides that express the transposition.
 */
public final class TensorOps {
    private TensorOps() {
    }

    private static final Kernels K = Kernels.get();

    /** Z (+)= X·Wᵀ: X is B×in, W is out×in, Z is B×out (the forward pass). */
    public static void matmulNT(Parallel par, Tensor x, Tensor w, Tensor z, boolean accumulate) {
        int b = x.rows(), in = x.cols(), out = w.rows();
        if (w.cols() != in || z.rows() != b || z.cols() != out) {
            throw new IllegalArgumentException("X·Wᵀ: X " + x.shape() + ", W " + w.shape() + ", Z " + z.shape()
                    + " (need X [B, in], W [out, in], Z [B, out])");
        }
        gemm(par, b, out, in, x, in, 1, w, 1, in, z, accumulate);
    }

    /**
     * W (n × k, rows contiguous) copied into the layout the chosen kernels' GEMM reads B = Wᵀ in
     * ({@link Kernels#packTransposed}), for {@link #matmulPackedNT}. For weights that stay fixed,
     * as a model frozen for prediction.
     */
    public static float[] packTransposed(float[] w, int n, int k) {
        return K.packTransposed(w, 0, n, k);
    }

    /**
     * Z = X·Wᵀ for inference over plain arrays: X rows × k at xOff, W n × k packed by
     * {@link #packTransposed}, Z rows × n at zOff. Each row has the same bits whatever the batch,
     * and those of {@link #matmulNT} in a batch of six rows or more (see {@link Kernels#gemmPackedNT}).
     */
    public static void matmulPackedNT(Parallel par, int rows, int n, int k, float[] x, int xOff, float[] packed,
                                      float[] z, int zOff) {
        K.gemmPackedNT(par, rows, n, k, x, xOff, k, packed, z, zOff, n);
    }

    /**
     * Compiles the kernels of {@link #matmulPackedNT} before they are needed, once per JVM; for
     * a model about to answer requests.
     */
    public static void warmUpPacked() {
        K.warmUpPacked();
    }

    /** dW (+)= Δᵀ·X: Δ is B×out, X is B×in, dW is out×in (the weight gradient, same shape as W). */
    public static void matmulTN(Parallel par, Tensor delta, Tensor x, Tensor dw, boolean accumulate) {
        int b = delta.rows(), out = delta.cols(), in = x.cols();
        if (x.rows() != b || dw.rows() != out || dw.cols() != in) {
            throw new IllegalArgumentException("Δᵀ·X: Δ " + delta.shape() + ", X " + x.shape() + ", dW " + dw.shape()
                    + " (need Δ [B, out], X [B, in], dW [out, in])");
        }
        gemm(par, out, in, b, delta, 1, out, x, in, 1, dw, accumulate);
    }

    /** dX (+)= Δ·W: Δ is B×out, W is out×in, dX is B×in (the gradient handed to the layer below). */
    public static void matmulNN(Parallel par, Tensor delta, Tensor w, Tensor dx, boolean accumulate) {
        int b = delta.rows(), out = delta.cols(), in = w.cols();
        if (w.rows() != out || dx.rows() != b || dx.cols() != in) {
            throw new IllegalArgumentException("Δ·W: Δ " + delta.shape() + ", W " + w.shape() + ", dX " + dx.shape()
                    + " (need Δ [B, out], W [out, in], dX [B, in])");
        }
        gemm(par, b, in, out, delta, out, 1, w, in, 1, dx, accumulate);
    }

    private static void gemm(Parallel par, int m, int n, int k, Tensor a, int aRs, int aCs,
                             Tensor b, int bRs, int bCs, Tensor c, boolean accumulate) {
        switch (c) {
            case FloatTensor fc -> {
                FloatTensor fa = asFloat(a, c), fb = asFloat(b, c);
                K.gemm(par, m, n, k, fa.data(), fa.offset(), aRs, aCs, fb.data(), fb.offset(), bRs, bCs,
                        fc.data(), fc.offset(), n, accumulate);
            }
            case DoubleTensor dc -> {
                DoubleTensor da = asDouble(a, c), db = asDouble(b, c);
                K.gemm(par, m, n, k, da.data(), da.offset(), aRs, aCs, db.data(), db.offset(), bRs, bCs,
                        dc.data(), dc.offset(), n, accumulate);
            }
        }
    }

    /** Z[i, :] += b for every row i. */
    public static void addRowVector(Tensor z, Tensor bias) {
        if (bias.size() != z.cols()) {
            throw new IllegalArgumentException("bias " + bias.shape() + " does not match rows of " + z.shape());
        }
        switch (z) {
            case FloatTensor fz -> {
                FloatTensor fb = asFloat(bias, z);
                K.addRowVector(fz.data(), fz.offset(), z.rows(), z.cols(), fb.data(), fb.offset());
            }
            case DoubleTensor dz -> {
                DoubleTensor db = asDouble(bias, z);
                K.addRowVector(dz.data(), dz.offset(), z.rows(), z.cols(), db.data(), db.offset());
            }
        }
    }

    /** out += column sums of A (db = Σ over the batch of Δ). */
    public static void addColumnSums(Tensor a, Tensor out) {
        if (out.size() != a.cols()) {
            throw new IllegalArgumentException("column sums of " + a.shape() + " do not fit " + out.shape());
        }
        switch (a) {
            case FloatTensor fa -> {
                FloatTensor fo = asFloat(out, a);
                K.addColumnSums(fa.data(), fa.offset(), a.rows(), a.cols(), fo.data(), fo.offset());
            }
            case DoubleTensor da -> {
                DoubleTensor dout = asDouble(out, a);
                K.addColumnSums(da.data(), da.offset(), a.rows(), a.cols(), dout.data(), dout.offset());
            }
        }
    }

    /** Flat index of the first NaN or infinity in t, or -1; large tensors are searched on the pool. */
    public static int firstNonFinite(Parallel par, Tensor t) {
        return FlatPasses.firstNonFinite(par, t);
    }

    /** Sets every element of t to 0, large tensors on the pool. */
    public static void zero(Parallel par, Tensor t) {
        FlatPasses.zero(par, t);
    }

    /** Index (relative to off) of the first NaN or infinity among len elements of a, or -1. */
    public static int firstNonFinite(float[] a, int off, int len) {
        return K.firstNonFinite(a, off, len);
    }

    /** Flat index of the first NaN or infinity in t, or -1. */
    public static int firstNonFinite(Tensor t) {
        return switch (t) {
            case FloatTensor f -> K.firstNonFinite(f.data(), f.offset(), f.size());
            case DoubleTensor d -> K.firstNonFinite(d.data(), d.offset(), d.size());
        };
    }

    /** Column of the largest value in row r of a matrix (the first, on ties): a classifier's prediction. */
    public static int argmaxRow(Tensor y, int r) {
        int cols = y.cols(), o = r * cols, best = 0;
        for (int c = 1; c < cols; c++) if (y.get(o + c) > y.get(o + best)) best = c;
        return best;
    }

    static FloatTensor asFloat(Tensor t, Tensor like) {
        if (t instanceof FloatTensor f) return f;
        throw new IllegalArgumentException("dtype mismatch: " + t.dtype() + " " + t.shape() + " with "
                + like.dtype() + " " + like.shape());
    }

    static DoubleTensor asDouble(Tensor t, Tensor like) {
        if (t instanceof DoubleTensor d) return d;
        throw new IllegalArgumentException("dtype mismatch: " + t.dtype() + " " + t.shape() + " with "
                + like.dtype() + " " + like.shape());
    }
}
