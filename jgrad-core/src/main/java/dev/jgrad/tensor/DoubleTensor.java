package dev.jgrad.tensor;

import java.util.Arrays;

/** A float64 tensor: the dtype of exact checks. */
public final class DoubleTensor extends ArrayView implements Tensor {
    private final double[] data;

    public DoubleTensor(Shape shape) {
        this(new double[shape.size()], 0, shape);
    }

    public DoubleTensor(double[] data, int offset, Shape shape) {
        super(data.length, offset, shape);
        this.data = data;
    }

    /** The backing array, shared with every view of it. */
    public double[] data() {
        return data;
    }

    @Override
    public DType dtype() {
        return DType.F64;
    }

    @Override
    public double get(int i) {
        return data[offset + i];
    }

    @Override
    public void set(int i, double v) {
        data[offset + i] = v;
    }

    @Override
    public DoubleTensor view(int at, Shape s) {
        checkView(at, s);
        return new DoubleTensor(data, offset + at, s);
    }

    @Override
    public void fill(double v) {
        Arrays.fill(data, offset, offset + size(), v);
    }

    @Override
    public void copyFrom(Tensor src) {
        checkCopy(src);
        switch (src) {
            case DoubleTensor same -> System.arraycopy(same.data, same.offset, data, offset, size());
            case FloatTensor other -> {
                float[] s = other.data();
                for (int i = 0, n = size(); i < n; i++) data[offset + i] = s[other.offset + i];
            }
        }
    }
}
