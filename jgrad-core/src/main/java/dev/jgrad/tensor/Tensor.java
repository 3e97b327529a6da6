package dev.jgrad.tensor;

/**
 * A dense row-major tensor over a plain Java array, seen from an offset. A view shares the
 * array; nothing copies behind the caller's back. Element access by flat index is relative to
 * the offset. The two implementations differ only in their element type, so code written
 * against this interface runs in float32 for training and float64 for exact checks.
 */
public sealed interface Tensor permits FloatTensor, DoubleTensor {

    DType dtype();

    Shape shape();

    /** Index of this tensor's first element in its backing array. */
    int offset();

    default int size() {
        return shape().size();
    }

    default int rows() {
        return shape().rows();
    }

    default int cols() {
        return shape().cols();
    }

    double get(int i);

    void set(int i, double v);

    default double get(int r, int c) {
        return get(r * cols() + c);
    }

    default void set(int r, int c, double v) {
        set(r * cols() + c, v);
    }

    /** A view of {@code shape.size()} elements starting {@code at} elements into this tensor. */
    Tensor view(int at, Shape shape);

    default Tensor reshape(Shape shape) {
        if (shape.size() != size()) {
            throw new IllegalArgumentException("cannot reshape " + shape() + " to " + shape);
        }
        return view(0, shape);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) of a matrix, as a view. */
    default Tensor rowRange(int from, int to) {
        if (from < 0 || to > rows() || from > to) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + shape());
        }
        return view(from * cols(), Shape.of(to - from, cols()));
    }

    void fill(double v);

    default void zero() {
        fill(0);
    }

    /** Copies all elements of {@code src} (same size, any dtype) into this tensor. */
    void copyFrom(Tensor src);

    /** A fresh tensor of the given dtype holding this tensor's values. */
    default Tensor to(DType dtype) {
        Tensor t = zeros(dtype, shape());
        t.copyFrom(this);
        return t;
    }

    default Tensor copy() {
        return to(dtype());
    }

    default double[] toDoubleArray() {
        double[] out = new double[size()];
        for (int i = 0; i < out.length; i++) out[i] = get(i);
        return out;
    }

    default double[][] toRows() {
        int r = rows(), c = cols();
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[i][j] = get(i * c + j);
        return out;
    }

    static Tensor zeros(DType dtype, Shape shape) {
        return dtype == DType.F32 ? new FloatTensor(shape) : new DoubleTensor(shape);
    }

    static Tensor zeros(DType dtype, int... dims) {
        return zeros(dtype, Shape.of(dims));
    }

    /** A matrix from rows of equal length. */
    static Tensor of(DType dtype, double[][] rows) {
        int c = rows.length == 0 ? 0 : rows[0].length;
        Tensor t = zeros(dtype, Shape.of(rows.length, c));
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != c) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, row 0 has " + c);
            }
            for (int j = 0; j < c; j++) t.set(i * c + j, rows[i][j]);
        }
        return t;
    }

    static Tensor vector(DType dtype, double... values) {
        Tensor t = zeros(dtype, Shape.of(values.length));
        for (int i = 0; i < values.length; i++) t.set(i, values[i]);
        return t;
    }
}
