package dev.jgrad.tensor;

import java.util.Arrays;

/** A float64 tensor: the dtype of exact checks. */
public final class DoubleTensor implements Tensor {
    private final double[] data;
    private final int offset;
    private final Shape shape;

    public DoubleTensor(Shape shape) {
        this(new double[shape.size()], 0, shape);
    }

    public DoubleTensor(double[] data, int offset, Shape shape) {
        if (offset < 0 || offset + shape.size() > data.length) {
            throw new IllegalArgumentException("view " + shape + " at offset " + offset
                    + " does not fit an array of " + data.length);
        }
        this.data = data;
        this.offset = offset;
        this.shape = shape;
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
    public Shape shape() {
        return shape;
    }

    @Override
    public int offset() {
        return offset;
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
        if (at < 0 || at + s.size() > size()) {
            throw new IndexOutOfBoundsException("view " + s + " at " + at + " exceeds " + shape);
        }
        return new DoubleTensor(data, offset + at, s);
    }

    @Override
    public void fill(double v) {
        Arrays.fill(data, offset, offset + size(), v);
    }

    @Override
    public void copyFrom(Tensor src) {
        if (src.size() != size()) {
            throw new IllegalArgumentException("cannot copy " + src.shape() + " into " + shape);
        }
        switch (src) {
            case DoubleTensor d -> System.arraycopy(d.data, d.offset(), data, offset, size());
            case FloatTensor f -> {
                float[] s = f.data();
                for (int i = 0, n = size(); i < n; i++) data[offset + i] = s[f.offset() + i];
            }
        }
    }

    @Override
    public String toString() {
        return "DoubleTensor" + shape;
    }
}
