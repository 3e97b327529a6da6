package dev.jgrad.cli;

import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingWarmUpTest {
    @TempDir
    Path dir;

    /** Trains with the copy's minimum set to {@code steps} (0: no copy) and returns the model file's bytes. */
    private byte[] train(String steps, String... extra) throws Exception {
        String before = System.getProperty("jgrad.warmUp.steps");
        System.setProperty("jgrad.warmUp.steps", steps);
        try {
            Path model = dir.resolve("m" + steps + extra.length + ".safetensors");
            String[] args = {"train", "--epochs", "2", "--seed", "5", "--quiet", "--validation", "0.1", "--out", model.toString()};
            String[] all = new String[args.length + extra.length];
            System.arraycopy(args, 0, all, 0, args.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            CliTest.Result r = CliTest.run(all);
            assertEquals(0, r.code(), r.err());
            return Files.readAllBytes(model);
        } finally {
            if (before == null) System.clearProperty("jgrad.warmUp.steps");
            else System.setProperty("jgrad.warmUp.steps", before);
        }
    }

    @Test
    void theCopyLeavesTheRealRunsBitsAlone() throws Exception {
        // Dropout draws from the network's generator and batch norm keeps running statistics:
        // a copy sharing either would show here. Two threads: the copy shares the pool.
        String[] options = {"--dropout", "0.1", "--norm", "batch", "--threads", "2"};
        byte[] without = train("0", options), with = train("200", options), longer = train("600", options);
        assertArrayEquals(without, with, "a run with the warm-up's copy writes the same model as one without");
        assertArrayEquals(without, longer);
        assertArrayEquals(train("0"), train("50"), "and with the default network and pool");
    }

    @Test
    void theCopyTrainsItsMinimumThenStopsWhenAskedAndNotBefore() throws Exception {
        Dataset digits = BuiltinData.digits();
        TrainingWarmUp w = TrainingWarmUp.start(30);
        w.train(() -> {
            try (Sequential net = Sequential.builder(digits.featureCount()).seed(1).dense(16, Activations.RELU)
                    .dense(10, Activations.SOFTMAX).build()) {
                Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).batchSize(32).epochs(1000)
                        .listener(w.listener()).build().fit(digits.head(320));
            }
        });
        w.finish();
        // Ten steps an epoch, and it stops only at an epoch's end.
        assertTrue(w.steps() >= 30 && w.steps() <= w.maxSteps(), "steps " + w.steps());
        assertEquals(0, w.steps() % 10, "steps " + w.steps());
    }

    @Test
    void noCopyRunsWhenItsMinimumIsZeroOrItCameTooLate() throws Exception {
        TrainingWarmUp none = TrainingWarmUp.start(0);
        boolean[] ran = {false};
        none.train(() -> ran[0] = true);
        none.finish();
        TrainingWarmUp late = TrainingWarmUp.start(10);
        late.abandon();
        late.train(() -> ran[0] = true);
        late.finish();
        assertEquals(false, ran[0]);
        assertEquals(0, none.steps() + late.steps());
    }
}
