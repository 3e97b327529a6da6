package dev.jgrad.tensor;

import java.util.Arrays;

/** A float32 tensor: the training dtype. */
public final class FloatTensor extends ArrayView implements Tensor {
    private final float[] data;

    public FloatTensor(Shape shape) {
        this(new float[shape.size()], 0, shape);
    }

    public FloatTensor(float[] data, int offset, Shape shape) {
        super(data.length, offset, shape);
        this.data = data;
    }

    /** The backing array, shared with every view of it. */
    public float[] data() {
        return data;
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public double get(int i) {
        return data[offset + i];
    }

    @Override
    public void set(int i, double v) {
        data[offset + i] = (float) v;
    }

    @Override
    public FloatTensor view(int at, Shape s) {
        checkView(at, s);
        return new FloatTensor(data, offset + at, s);
    }

    @Override
    public void fill(double v) {
        Arrays.fill(data, offset, offset + size(), (float) v);
    }

    @Override
    public void copyFrom(Tensor src) {
        checkCopy(src);
        switch (src) {
            case FloatTensor same -> System.arraycopy(same.data, same.offset, data, offset, size());
            case DoubleTensor other -> {
                double[] s = other.data();
                for (int i = 0, n = size(); i < n; i++) data[offset + i] = (float) s[other.offset + i];
            }
        }
    }
}
