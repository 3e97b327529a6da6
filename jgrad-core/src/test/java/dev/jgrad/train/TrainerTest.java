package dev.jgrad.train;

import dev.jgrad.nn.Activations;
import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.IdxReader;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.optim.Schedule;
import dev.jgrad.optim.Sgd;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    @TempDir
    Path dir;

    static Dataset.Split digits() {
        Dataset d = BuiltinData.digits();
        Normalizer n = Normalizer.fit(Normalizer.Kind.PIXELS, d.features());
        Dataset.Split s = d.split(0.2, 42);
        Normalizer fitted = Normalizer.fit(Normalizer.Kind.MINMAX, s.train().features());
        assertTrue(n.scale().length == 64);
        return new Dataset.Split(fitted.apply(s.train()), fitted.apply(s.validation()));
    }

    static Sequential net(int threads, long seed) {
        return Sequential.builder(64).seed(seed).threads(threads).dense(64, Activations.RELU).dropout(0.1).dense(10, Activations.SOFTMAX).build();
    }

    @Test
    void learnsTheBuiltInDigits() {
        Dataset.Split s = digits();
        Sequential net = net(2, 1);
        History h = Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(3e-3)).epochs(15).batchSize(32)
                .validation(s.validation()).build().fit(s.train());
        Evaluation val = h.last().validation();
        // Chance is 0.1; a small MLP reaches about 0.97 on this data.
        assertTrue(val.accuracy() > 0.93, "validation accuracy " + val.accuracy());
        assertTrue(h.last().trainLoss() < h.epochs().getFirst().trainLoss());
        assertEquals(s.validation().size(), java.util.Arrays.stream(val.confusion()).flatMapToInt(java.util.Arrays::stream).sum());
    }

    @Test
    void fashionMnistSubsetWellAboveChance() throws IOException {
        Path fm = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(IdxReader.isIdxDirectory(fm), "dataset-fashion-mnist is installed by .ci/run");
        IdxReader.TrainTest tt = IdxReader.readDirectory(fm);
        Normalizer px = Normalizer.fit(Normalizer.Kind.PIXELS, tt.train().features());
        Dataset train = px.apply(tt.train().head(10_000)), test = px.apply(tt.test().head(2_000));
        Sequential net = Sequential.builder(784).seed(1).dense(128, Activations.RELU).dense(10, Activations.SOFTMAX).build();
        Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(1e-3)).epochs(3).batchSize(64).build().fit(train);
        Evaluation e = Metrics.evaluate(net, Losses.SOFTMAX_CROSS_ENTROPY, test, 500);
        assertTrue(e.accuracy() > 0.75, "test accuracy " + e.accuracy());   // chance: 0.10
    }

    @Test
    void aSeedGivesTheSameWeightsWhateverTheThreadCount() {
        Dataset.Split s = digits();
        double[][] results = new double[3][];
        int[] threads = {1, 2, 1};
        for (int i = 0; i < 3; i++) {
            try (Sequential net = net(threads[i], 7)) {
                Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(1e-3)).epochs(2).batchSize(50).seed(9)
                        .build().fit(s.train());
                results[i] = net.parameterBuffer().toDoubleArray();
            }
        }
        assertArrayEquals(results[0], results[1], "1 thread vs 2 threads");
        assertArrayEquals(results[0], results[2], "run to run");
    }

    @Test
    void resumingFromACheckpointEndsBitForBitWhereAnUninterruptedRunEnds() throws IOException {
        Dataset.Split s = digits();
        Path full = dir.resolve("full"), part = dir.resolve("part");
        Sequential a = net(2, 5);
        Trainer.builder(a, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(2e-3)).schedule(Schedule.cosine(4, 0.1))
                .epochs(4).batchSize(40).seed(3).checkpointDir(full).build().fit(s.train());

        Sequential b = net(2, 5);
        Trainer.builder(b, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(2e-3)).schedule(Schedule.cosine(4, 0.1))
                .epochs(2).batchSize(40).seed(3).checkpointDir(part).build().fit(s.train());
        Sequential c = net(1, 99);   // other initial weights: the checkpoint must replace them all
        Trainer resumed = Trainer.builder(c, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(2e-3))
                .schedule(Schedule.cosine(4, 0.1)).epochs(4).batchSize(40).seed(12345).checkpointDir(part).build();
        resumed.resume(part.resolve(Trainer.CHECKPOINT_FILE));
        assertEquals(2, resumed.nextEpoch());
        History h = resumed.fit(s.train());
        assertEquals(4, h.epochs().size());
        assertArrayEquals(a.parameterBuffer().toDoubleArray(), c.parameterBuffer().toDoubleArray());
        // A checkpoint is also a usable model.
        assertEquals(10, ModelFile.load(full.resolve(Trainer.CHECKPOINT_FILE)).classNames().size());
    }

    @Test
    void divergenceStopsWithEpochStepAndLastCheckpointAndOverwritesNothing() throws IOException {
        Dataset.Split s = digits();
        Path ck = dir.resolve("ck");
        Sequential net = net(1, 2);
        Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Sgd(0.01)).epochs(1).batchSize(64)
                .checkpointDir(ck).build().fit(s.train());
        Path file = ck.resolve(Trainer.CHECKPOINT_FILE);
        byte[] saved = Files.readAllBytes(file);
        Trainer t = Trainer.builder(net, Losses.MSE).optimizer(new Sgd(1e30)).epochs(3).batchSize(64).checkpointDir(ck).build();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(regressionCopy(s.train())));
        assertTrue(e.getMessage().contains("epoch 1, step"), e.getMessage());
        assertTrue(e.getMessage().contains("no checkpoint") || e.getMessage().contains("last.safetensors"), e.getMessage());
        assertArrayEquals(saved, Files.readAllBytes(file), "the saved checkpoint is untouched");
    }

    /** The digits as a 10-output regression onto one-hot targets, to diverge quickly under MSE. */
    static Dataset regressionCopy(Dataset d) {
        return new Dataset(d.name(), d.features(), (dev.jgrad.tensor.FloatTensor) d.oneHotTargets(dev.jgrad.tensor.DType.F32),
                java.util.List.of(), null);
    }

    @Test
    void earlyStoppingRestoresTheBestEpoch() {
        Dataset.Split s = digits();
        Sequential net = net(1, 4);
        Trainer t = Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(0.05)).epochs(30).batchSize(16)
                .validation(s.validation()).earlyStopping(EarlyStopping.on(Metric.LOSS, 2)).build();
        History h = t.fit(s.train());
        assertTrue(h.stoppedEarly(), "a high learning rate overfits quickly");
        int best = h.bestEpoch();
        double bestLoss = h.epochs().get(best).validation().loss();
        for (EpochResult r : h.epochs()) assertTrue(r.validation().loss() >= bestLoss);
        assertEquals(bestLoss, Metrics.evaluate(net, Losses.SOFTMAX_CROSS_ENTROPY, s.validation(), 256).loss(), 1e-6);
    }

    @Test
    void mismatchedDataNamesBothSides() {
        Dataset.Split s = digits();
        Sequential wrong = Sequential.builder(64).dense(7, Activations.SOFTMAX).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.builder(wrong, Losses.SOFTMAX_CROSS_ENTROPY).build().fit(s.train()));
        assertTrue(e.getMessage().contains("10 outputs") && e.getMessage().contains("[B, 7]"), e.getMessage());
        Parallel.common();
    }
}
