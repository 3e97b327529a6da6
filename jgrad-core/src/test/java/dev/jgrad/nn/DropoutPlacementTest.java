package dev.jgrad.nn;

import dev.jgrad.kernel.Parallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DropoutPlacementTest {

    @Test
    void placedRowsDrawTheWholeBatchsMasksAndLeaveTheGeneratorWhereItWould() {
        int width = 5, rows = 8;
        Rng whole = new Rng(99), part = new Rng(99);
        Dropout a = new Dropout(width, 0.5), b = new Dropout(width, 0.5);
        a.bind(null, null, Parallel.common(), whole);
        b.bind(null, null, Parallel.common(), part);
        Tensor x = Tensor.zeros(DType.F32, rows, width);
        for (int i = 0; i < x.size(); i++) x.set(i, 1 + i);
        Tensor ya = a.forward(x, true).copy();
        int[] positions = {1, 4, 6};
        Tensor xs = Tensor.zeros(DType.F32, positions.length, width);
        for (int r = 0; r < positions.length; r++) {
            for (int j = 0; j < width; j++) xs.set(r * width + j, x.get(positions[r] * width + j));
        }
        b.placeRows(positions, rows);
        Tensor yb = b.forward(xs, true);
        int dropped = 0;
        for (int r = 0; r < positions.length; r++) {
            for (int j = 0; j < width; j++) {
                assertEquals(ya.get(positions[r] * width + j), yb.get(r * width + j), "row " + positions[r] + ", column " + j);
                if (yb.get(r * width + j) == 0) dropped++;
            }
        }
        assertEquals(true, dropped > 0 && dropped < positions.length * width, "a mask that drops some, not all: " + dropped);
        assertEquals(whole.state(), part.state());
        assertEquals(whole.nextLong(), part.nextLong());
    }

    @Test
    void skipMovesAsFarAsDrawing() {
        Rng a = new Rng(3), b = new Rng(3);
        for (int i = 0; i < 1000; i++) a.nextFloat();
        b.skip(1000);
        assertEquals(a.nextLong(), b.nextLong());
    }
}
