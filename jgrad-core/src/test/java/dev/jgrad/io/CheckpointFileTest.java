package dev.jgrad.io;

import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Adam;
import dev.jgrad.optim.Schedule;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.train.EarlyStopping;
import dev.jgrad.train.Trainer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint is read back only when every field fits the run resuming it: each damaged or
 * foreign field is refused with {@link InvalidModelException} naming it, and the network and
 * trainer are left as they were.
 */
class CheckpointFileTest {
    @TempDir
    Path dir;
    Path good;
    Dataset train;

    static Sequential net(long seed) {
        return Sequential.builder(64).seed(seed).threads(1).dense(16, Activations.RELU).batchNorm()
                .dense(10, Activations.SOFTMAX).build();
    }

    Trainer trainer(Sequential net, int epochs) {
        return Trainer.builder(net, Losses.SOFTMAX_CROSS_ENTROPY).optimizer(new Adam(1e-3))
                .schedule(Schedule.parse("plateau:0.5:1", epochs)).earlyStopping(dev.jgrad.train.EarlyStopping.on(dev.jgrad.train.Metric.LOSS, 5))
                .epochs(epochs).batchSize(100).seed(2).checkpointDir(dir.resolve("run")).build();
    }

    @BeforeEach
    void writeOne() {
        Dataset d = BuiltinData.digits();
        train = Normalizer.fit(Normalizer.Kind.MINMAX, d.features()).apply(d);
        trainer(net(1), 2).fit(train);
        good = dir.resolve("run").resolve(CheckpointFile.FILE);
    }

    @Test
    void aGoodCheckpointResumes() throws IOException {
        Trainer t = trainer(net(9), 3);
        t.resume(good);
        assertEquals(2, t.nextEpoch());
        assertEquals(2, t.history().epochs().size());
    }

    @Test
    void everyDamagedFieldIsNamedAndNothingChanges() throws IOException {
        expectRefused("'next_epoch'", meta(m -> m.put("next_epoch", 7)));
        expectRefused("'next_epoch'", meta(m -> m.put("next_epoch", 1.5)));
        expectRefused("'epochs'", meta(m -> m.put("epochs", -1)));
        expectRefused("'batch_rng'", meta(m -> m.put("batch_rng", "twelve")));
        expectRefused("'network_rng'", meta(m -> m.remove("network_rng")));
        expectRefused("'schedule'", meta(m -> m.put("schedule", java.util.List.of(1.0))));
        expectRefused("'schedule[0]'", meta(m -> m.put("schedule", java.util.List.of("x", 1.0, 0.0))));
        expectRefused("'wait'", meta(m -> m.put("wait", -3)));
        expectRefused("'best_epoch'", meta(m -> m.put("best_epoch", 9)));
        expectRefused("'history'", meta(m -> m.put("history", "none")));
        expectRefused("history[1] field 'train_loss'", meta(m -> {
            @SuppressWarnings("unchecked") var h = (java.util.List<Map<String, Object>>) m.get("history");
            h.get(1).put("train_loss", java.util.List.of());
        }));
        expectRefused("saved with optimizer", meta(m -> m.put("optimizer", "sgd(lr=*)")));
        expectRefused("optimizer state 'exp_avg' has shape", tensors(t -> t.put("optimizer.exp_avg", Tensor.zeros(DType.F32, 7))));
        expectRefused("the optimizer state holds", tensors(t -> t.remove("optimizer.exp_avg_sq")));
        expectRefused("the optimizer state holds", tensors(t -> t.put("optimizer.momentum_buffer", Tensor.zeros(DType.F32, 3))));
        expectRefused("step count", tensors(t -> t.put("optimizer.step", Tensor.vector(DType.F64, -1))));
        expectRefused("step count", tensors(t -> t.put("optimizer.step", Tensor.vector(DType.F64, 1, 2))));
        expectRefused("'best.parameters' has shape", tensors(t -> t.put("best.parameters", Tensor.zeros(DType.F32, 5))));
        expectRefused("'layers.1.weight' has shape", tensors(t -> t.put("layers.1.weight", Tensor.zeros(DType.F32, 10, 15))));
        expectRefused("not a checkpoint", meta(m -> { }), true);
    }

    private void expectRefused(String what, Path file) throws IOException {
        expectRefused(what, file, false);
    }

    private void expectRefused(String what, Path file, boolean dropState) throws IOException {
        if (dropState) {
            SafeTensors.Contents c = SafeTensors.read(file);
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            meta.remove(CheckpointFile.KEY);
            meta.remove(SafeTensors.CRC_KEY);
            SafeTensors.write(file, c.tensors(), meta);
        }
        Sequential net = net(9);
        double[] before = net.parameterBuffer().toDoubleArray();
        Trainer t = trainer(net, 3);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> t.resume(file), what);
        assertTrue(e.getMessage().contains(what), "expected «" + what + "» in: " + e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertArrayEquals(before, net.parameterBuffer().toDoubleArray(), "the network is unchanged: " + what);
        assertEquals(0, t.nextEpoch());
        assertEquals(0, t.history().epochs().size());
    }

    private int copies;

    /** A copy of the good checkpoint with its training state edited. */
    @SuppressWarnings("unchecked")
    private Path meta(Consumer<Map<String, Object>> edit) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(good);
        Map<String, Object> state = Json.parseObject(c.metadata().get(CheckpointFile.KEY));
        Map<String, Object> copy = (Map<String, Object>) Json.parse(Json.write(state));
        edit.accept(copy);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put(CheckpointFile.KEY, Json.write(copy));
        meta.remove(SafeTensors.CRC_KEY);
        Path out = dir.resolve("bad" + copies++ + ".safetensors");
        SafeTensors.write(out, c.tensors(), meta);
        return out;
    }

    /** A copy of the good checkpoint with its tensors edited. */
    private Path tensors(Consumer<Map<String, Tensor>> edit) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(good);
        Map<String, Tensor> t = new LinkedHashMap<>(c.tensors());
        edit.accept(t);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.remove(SafeTensors.CRC_KEY);
        Path out = dir.resolve("bad" + copies++ + ".safetensors");
        SafeTensors.write(out, t, meta);
        return out;
    }
}
