package dev.jgrad.tensor;

/**
 * What the two tensor classes share: a shape seen from an offset into a backing array, and the
 * bounds checks that keep every view inside it. Only the element type differs between them.
 */
abstract sealed class ArrayView permits FloatTensor, DoubleTensor {
    final int offset;
    final Shape shape;

    ArrayView(int arrayLength, int offset, Shape shape) {
        if (offset < 0 || offset + shape.size() > arrayLength) {
            throw new IllegalArgumentException("view " + shape + " at offset " + offset
                    + " does not fit an array of " + arrayLength);
        }
        this.offset = offset;
        this.shape = shape;
    }

    public Shape shape() {
        return shape;
    }

    public int offset() {
        return offset;
    }

    /** Throws unless {@code s.size()} elements from {@code at} lie inside this view. */
    final void checkView(int at, Shape s) {
        if (at < 0 || at + s.size() > shape.size()) {
            throw new IndexOutOfBoundsException("view " + s + " at " + at + " exceeds " + shape);
        }
    }

    /** Throws unless {@code src} has as many elements as this view. */
    final void checkCopy(Tensor src) {
        if (src.size() != shape.size()) {
            throw new IllegalArgumentException("cannot copy " + src.shape() + " into " + shape);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + shape;
    }
}
