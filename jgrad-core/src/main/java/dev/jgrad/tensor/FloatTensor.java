package dev.jgrad.tensor;

import java.util.Arrays;

/** A float32 tensor: the training dtype. */
public final class FloatTensor implements Tensor {
    private final float[] data;
    private final int offset;
    private final Shape shape;

    public FloatTensor(Shape shape) {
        this(new float[shape.size()], 0, shape);
    }

    public FloatTensor(float[] data, int offset, Shape shape) {
        if (offset < 0 || offset + shape.size() > data.length) {
            throw new IllegalArgumentException("view " + shape + " at offset " + offset
                    + " does not fit an array of " + data.length);
        }
        this.data = data;
        this.offset = offset;
        this.shape = shape;
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
        data[offset + i] = (float) v;
    }

    @Override
    public FloatTensor view(int at, Shape s) {
        if (at < 0 || at + s.size() > size()) {
            throw new IndexOutOfBoundsException("view " + s + " at " + at + " exceeds " + shape);
        }
        return new FloatTensor(data, offset + at, s);
    }

    @Override
    public void fill(double v) {
        Arrays.fill(data, offset, offset + size(), (float) v);
    }

    @Override
    public void copyFrom(Tensor src) {
        if (src.size() != size()) {
            throw new IllegalArgumentException("cannot copy " + src.shape() + " into " + shape);
        }
        switch (src) {
            case FloatTensor f -> System.arraycopy(f.data, f.offset(), data, offset, size());
            case DoubleTensor d -> {
                double[] s = d.data();
                for (int i = 0, n = size(); i < n; i++) data[offset + i] = (float) s[d.offset() + i];
            }
        }
    }

    @Override
    public String toString() {
        return "FloatTensor" + shape;
    }
}
