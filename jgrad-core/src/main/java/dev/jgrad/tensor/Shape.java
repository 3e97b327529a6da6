package dev.jgrad.tensor;

import java.util.Arrays;

/**
 * The dimensions of a dense row-major tensor. Rank 1 is a vector, rank 2 a matrix whose
 * rows are samples (the batch layout everything uses).
 */
public final class Shape {
    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        long s = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            s *= d;     // s ≤ 2^31 and d < 2^31 before the product: no long overflow
            if (s > Integer.MAX_VALUE) throw new IllegalArgumentException("shape too large: " + Arrays.toString(dims));
        }
        this.dims = dims;
        this.size = (int) s;
    }

    public static Shape of(int... dims) {
        if (dims.length == 0) throw new IllegalArgumentException("a shape needs at least one dimension");
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    public int size() {
        return size;
    }

    /** Rows of the matrix view: 1 for a vector. */
    public int rows() {
        return dims.length == 1 ? 1 : dims[0];
    }

    /** Columns of the matrix view: the product of all but the first dimension (a vector's length). */
    public int cols() {
        return dims.length == 1 ? dims[0] : (dims[0] == 0 ? 0 : size / dims[0]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Written as in NumPy and PyTorch error messages: {@code [128, 784]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
