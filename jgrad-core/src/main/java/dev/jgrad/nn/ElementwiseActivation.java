package dev.jgrad.nn;

import dev.jgrad.tensor.DoubleTensor;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;

/**
 * An activation applied element by element: subclasses give f(z) and f'(z) once, in double
 * precision, and both dtypes run the same formulas (float32 rounds once, at the store).
 */
public abstract class ElementwiseActivation implements Activation {

    /** f(z). */
    public abstract double f(double z);

    /** f'(z), given z and y = f(z) (many derivatives are cheapest in terms of y). */
    public abstract double df(double z, double y);

    @Override
    public void forward(Tensor z, Tensor y) {
        checkSame(z, y);
        int n = z.size();
        switch (z) {
            case FloatTensor fz -> {
                float[] zs = fz.data(), ys = ((FloatTensor) y).data();
                int zo = fz.offset(), yo = y.offset();
                for (int i = 0; i < n; i++) ys[yo + i] = (float) f(zs[zo + i]);
            }
            case DoubleTensor dz -> {
                double[] zs = dz.data(), ys = ((DoubleTensor) y).data();
                int zo = dz.offset(), yo = y.offset();
                for (int i = 0; i < n; i++) ys[yo + i] = f(zs[zo + i]);
            }
        }
    }

    @Override
    public void backward(Tensor z, Tensor y, Tensor g, Tensor delta) {
        checkSame(z, y);
        checkSame(z, g);
        checkSame(z, delta);
        int n = z.size();
        switch (z) {
            case FloatTensor fz -> {
                float[] zs = fz.data(), ys = ((FloatTensor) y).data(), gs = ((FloatTensor) g).data(),
                        ds = ((FloatTensor) delta).data();
                int zo = fz.offset(), yo = y.offset(), go = g.offset(), d0 = delta.offset();
                for (int i = 0; i < n; i++) ds[d0 + i] = (float) (gs[go + i] * df(zs[zo + i], ys[yo + i]));
            }
            case DoubleTensor dz -> {
                double[] zs = dz.data(), ys = ((DoubleTensor) y).data(), gs = ((DoubleTensor) g).data(),
                        ds = ((DoubleTensor) delta).data();
                int zo = dz.offset(), yo = y.offset(), go = g.offset(), d0 = delta.offset();
                for (int i = 0; i < n; i++) ds[d0 + i] = gs[go + i] * df(zs[zo + i], ys[yo + i]);
            }
        }
    }

    static void checkSame(Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape()) || a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("activation operands differ: " + a.dtype() + " " + a.shape()
                    + " and " + b.dtype() + " " + b.shape());
        }
    }

    @Override
    public String toString() {
        return spec();
    }
}
