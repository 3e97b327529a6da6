package dev.jgrad.kernel;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FlatPassesTest {
    private static final int C = FlatPasses.CHUNK;

    @Test
    void theFirstBadElementIsFoundWhicheverChunkHoldsIt() {
        try (Parallel two = Parallel.create(2); Parallel one = Parallel.create(1)) {
            for (DType dt : DType.values()) {
                int n = 3 * C + 17;
                for (int at : new int[]{0, C - 1, C, 2 * C + 5, n - 1}) {
                    Tensor t = Tensor.zeros(dt, n);
                    for (int i = 0; i < n; i++) t.set(i, i % 13 - 6);
                    assertEquals(-1, TensorOps.firstNonFinite(two, t));
                    t.set(at, Double.NaN);
                    // A later bad value in a chunk that finishes first must not win.
                    t.set(n - 1 == at ? at : n - 1, Double.POSITIVE_INFINITY);
                    assertEquals(at, TensorOps.firstNonFinite(two, t), dt + ", bad at " + at);
                    assertEquals(at, TensorOps.firstNonFinite(one, t), dt + ", bad at " + at + ", one thread");
                    assertEquals(at, TensorOps.firstNonFinite(t), dt + ", bad at " + at + ", no pool");
                }
            }
        }
    }

    @Test
    void aViewIsSearchedFromItsOwnOffset() {
        try (Parallel two = Parallel.create(2)) {
            Tensor whole = Tensor.zeros(DType.F32, 5 * C);
            whole.set(C / 2, Double.NaN);   // before the view: must not be seen
            Tensor view = whole.view(C, dev.jgrad.tensor.Shape.of(3 * C));
            assertEquals(-1, TensorOps.firstNonFinite(two, view));
            whole.set(C + 2 * C + 3, Double.NEGATIVE_INFINITY);
            assertEquals(2 * C + 3, TensorOps.firstNonFinite(two, view));
        }
    }

    @Test
    void zeroClearsEveryElementAndNothingElse() {
        try (Parallel two = Parallel.create(2)) {
            for (DType dt : DType.values()) {
                Tensor whole = Tensor.zeros(dt, 4 * C + 9);
                whole.fill(7);
                Tensor view = whole.view(3, dev.jgrad.tensor.Shape.of(3 * C + 1));
                TensorOps.zero(two, view);
                for (int i = 0; i < whole.size(); i++) {
                    double want = i >= 3 && i < 3 + 3 * C + 1 ? 0 : 7;
                    assertEquals(want, whole.get(i), dt + " element " + i);
                }
            }
        }
    }
}
