package dev.jgrad.optim;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScheduleTest {

    @Test
    void epochWiseSchedulesMatchPyTorch() {
        Schedule step = Schedule.step(3, 0.5);
        assertEquals(1, step.factor(2, 0.9), 0);
        assertEquals(0.5, step.factor(3, 0), 0);
        assertEquals(0.25, step.factor(7, 0.5), 0);
        assertEquals(Math.pow(0.9, 4), Schedule.exponential(0.9).factor(4, 0.3), 1e-15);
        Schedule cos = Schedule.cosine(10, 0.1);
        assertEquals(1, cos.factor(0, 0.5), 1e-15);
        assertEquals(0.1 + 0.9 * (1 + Math.cos(Math.PI * 4 / 10)) / 2, cos.factor(4, 0), 1e-15);
        assertEquals(0.1, cos.factor(10, 0), 1e-15);
        assertEquals(0.1, cos.factor(12, 0), 1e-15);
    }

    @Test
    void warmupRampsPerStepThenHandsOver() {
        Schedule s = Schedule.warmup(2, Schedule.step(1, 0.5));
        assertEquals(0.25, s.factor(0, 0.5), 1e-6);
        assertEquals(0.75, s.factor(1, 0.5), 1e-6);
        assertEquals(1, s.factor(2, 0), 0);
        assertEquals(0.5, s.factor(3, 0), 0);
    }

    @Test
    void plateauReducesAfterPatienceAndSavesState() {
        Schedule s = Schedule.reduceOnPlateau(0.5, 2, 1e-4, 0.01);
        double[] losses = {1.0, 0.9, 0.95, 0.91, 0.92, 0.92, 0.8, 0.85, 0.85, 0.85};
        double[] want = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25};
        for (int e = 0; e < losses.length; e++) {
            s.onEpochEnd(e, losses[e]);
            assertEquals(want[e], s.factor(e + 1, 0), 0, "after epoch " + e);
        }
        Schedule t = Schedule.reduceOnPlateau(0.5, 2, 1e-4, 0.01);
        t.loadState(s.state());
        assertEquals(0.25, t.factor(0, 0), 0);
    }

    @Test
    void parsesTheCommandLineForms() {
        assertEquals("step(10, 0.5)", Schedule.parse("step:10:0.5", 30).describe());
        assertEquals("cosine(30, 0.0)", Schedule.parse("cosine", 30).describe());
        assertEquals("warmup(2, cosine(28, 0.0))", Schedule.parse("warmup:2,cosine", 30).describe());
        assertEquals("plateau(0.5, 3)", Schedule.parse("plateau:0.5:3", 30).describe());
        assertThrows(IllegalArgumentException.class, () -> Schedule.parse("step", 10));
        assertThrows(IllegalArgumentException.class, () -> Schedule.parse("linear", 10));
    }

    @Test
    void clippingAndPenalties() {
        Tensor g = Tensor.vector(DType.F64, 3, -4, 0);
        assertEquals(5, GradientTransforms.clipByNorm(g, 1), 1e-15);
        assertEquals(1, GradientTransforms.norm(g), 1e-6);
        assertEquals(0.6, g.get(0), 1e-6);
        Tensor small = Tensor.vector(DType.F64, 0.3, 0.4);
        GradientTransforms.clipByNorm(small, 1);
        assertEquals(0.3, small.get(0), 0);
        Tensor v = Tensor.vector(DType.F64, 3, -4, 0.5);
        GradientTransforms.clipByValue(v, 1);
        assertEquals(1, v.get(0), 0);
        assertEquals(-1, v.get(1), 0);
        assertEquals(0.5, v.get(2), 0);
        Tensor p = Tensor.vector(DType.F64, 2, -3, 5);
        Tensor gr = Tensor.zeros(DType.F64, 3);
        boolean[] mask = {true, true, false};
        GradientTransforms.addPenalties(p, gr, mask, 0.1, 0.01);
        assertEquals(2 * 0.01 * 2 + 0.1, gr.get(0), 1e-15);
        assertEquals(2 * 0.01 * -3 - 0.1, gr.get(1), 1e-15);
        assertEquals(0, gr.get(2), 0);
        assertEquals(0.01 * 13 + 0.1 * 5, GradientTransforms.penalty(p, mask, 0.1, 0.01), 1e-15);
    }
}
