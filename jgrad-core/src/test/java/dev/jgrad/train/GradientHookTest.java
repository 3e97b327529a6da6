package dev.jgrad.train;

import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Sgd;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A gradient hook plugged into the training loop sees every step's gradient and changes what the optimizer does. */
class GradientHookTest {

    static Dataset digits() {
        Dataset d = BuiltinData.digits();
        return Normalizer.fit(Normalizer.Kind.MINMAX, d.features()).apply(d);
    }

    static Sequential net() {
        return Sequential.builder(64).seed(4).threads(1).dense(24, Activations.TANH).dense(10, Activations.SOFTMAX).build();
    }

    static double[] train(double lr, GradientHook hook) {
        Sequential net = net();
        Trainer.Builder b = Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Sgd(lr)).epochs(2).batchSize(64).seed(2);
        if (hook != null) b.gradientHook(hook);
        b.build().fit(digits());
        return net.parameterBuffer().toDoubleArray();
    }

    @Test
    void halvingTheGradientIsHalvingTheLearningRate() {
        // Scaling by ½ is exact in binary, so plain SGD with lr and g/2 takes the very steps of lr/2 and g.
        GradientHook halve = step -> {
            Tensor g = step.gradients();
            for (int i = 0; i < g.size(); i++) g.set(i, g.get(i) * 0.5);
        };
        double[] hooked = train(0.2, halve);
        assertArrayEquals(train(0.1, null), hooked);
        assertFalse(java.util.Arrays.equals(train(0.2, null), hooked), "the hook changed the run");
    }

    @Test
    void theHookSeesEveryStepBeforeTheUpdate() {
        List<String> seen = new ArrayList<>();
        double[] before = net().parameterBuffer().toDoubleArray();
        GradientHook record = step -> {
            // The parameters are still those of the step before: the update comes after the hooks.
            if (step.epoch() == 0 && step.batch() == 0) assertArrayEquals(before, step.parameters().toDoubleArray());
            assertTrue(Double.isFinite(step.loss()) && step.loss() > 0);
            assertEquals(step.network().parameterCount(), step.gradients().size());
            seen.add(step.epoch() + ":" + step.batch() + ":" + step.rows());
        };
        train(0.1, record);
        int n = digits().size(), batches = (n + 63) / 64;
        assertEquals(2 * batches, seen.size());
        assertEquals("0:0:64", seen.getFirst());
        assertEquals("1:" + (batches - 1) + ":" + (n - 64 * (batches - 1)), seen.getLast());
    }

    @Test
    void aHookThatPoisonsTheGradientIsCaughtBeforeTheUpdate() {
        GradientHook poison = step -> {
            if (step.epoch() == 1 && step.batch() == 3) step.gradients().set(5, Double.NaN);
        };
        Sequential net = net();
        Trainer t = Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Sgd(0.1)).epochs(3).batchSize(64)
                .gradientHook(poison).build();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(digits()));
        assertEquals(1, e.epoch());
        assertEquals(3, e.step());
        assertTrue(e.getMessage().contains("layers.0.weight[5]"), e.getMessage());
        for (double v : net.parameterBuffer().toDoubleArray()) assertTrue(Double.isFinite(v));
    }
}
