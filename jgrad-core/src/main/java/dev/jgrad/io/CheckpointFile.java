package dev.jgrad.io;

import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checkpoints: a model file (so that {@code jgrad eval} and {@code predict} can use one as it
 * is) that also holds a {@link TrainingState}: the optimizer's buffers as tensors
 * {@code optimizer.<name>}, early stopping's best weights as {@code best.parameters} and
 * {@code best.<buffer>}, and the rest as JSON in the metadata under {@value #KEY}. Written
 * atomically. Read back into a given network and optimizer with every field checked (presence,
 * type, range, and the size and dtype of every tensor) before anything is changed, so a damaged
 * or foreign checkpoint is refused with {@link InvalidModelException} naming the field and
 * leaves the run as it was.
 */
public final class CheckpointFile {
    private CheckpointFile() {
    }

    /** The metadata key of the training state. */
    public static final String KEY = "jgrad_checkpoint";
    /** The file name a run writes in its checkpoint directory. */
    public static final String FILE = "last.safetensors";

    /** The optimizer as a checkpoint records it: its description with the learning rate left out (schedules change it). */
    public static String optimizerKey(Optimizer o) {
        return o.describe().replaceAll("lr=[^,)]*", "lr=*");
    }

    /** Writes the model and the training state to {@code file}, atomically. */
    public static void write(Path file, Model model, TrainingState s) throws IOException {
        Map<String, Tensor> extra = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : s.optimizerState().entrySet()) extra.put("optimizer." + e.getKey(), e.getValue());
        if (s.early() != null && s.early().bestParameters() != null) {
            extra.put("best.parameters", s.early().bestParameters());
            List<Parameter> buffers = model.network().buffers();
            for (int i = 0; i < buffers.size(); i++) extra.put("best." + buffers.get(i).name(), s.early().bestBuffers().get(i));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("next_epoch", s.nextEpoch());
        m.put("epochs", s.epochs());
        m.put("optimizer", s.optimizer());
        m.put("batch_rng", Long.toString(s.batchRng()));
        m.put("network_rng", Long.toString(s.networkRng()));
        m.put("schedule", s.schedule());
        TrainingState.EarlyStop early = s.early() != null ? s.early() : new TrainingState.EarlyStop(Double.NaN, -1, 0, null, null);
        m.put("best", early.best());
        m.put("best_epoch", early.bestEpoch());
        m.put("wait", early.epochsWaited());
        List<Object> epochs = new ArrayList<>();
        for (TrainingState.Epoch r : s.history()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", r.epoch());
            e.put("train_loss", r.trainLoss());
            e.put("train_accuracy", r.trainAccuracy());
            e.put("seconds", r.seconds());
            e.put("samples_per_second", r.samplesPerSecond());
            e.put("learning_rate", r.learningRate());
            if (r.validation() != null) {
                e.put("val_loss", r.validation().loss());
                e.put("val_accuracy", r.validation().accuracy());
                e.put("val_samples", r.validation().samples());
            }
            epochs.add(e);
        }
        m.put("history", epochs);
        ModelFile.save(file, model, extra, Map.of(KEY, Json.write(m)));
    }

    /**
     * Reads a checkpoint written for {@code net} and {@code optimizer}: checks everything, then
     * copies the weights and buffers into {@code net} and returns the state, its optimizer
     * tensors in the network's dtype. {@code scheduleLength} is the length of the schedule's
     * state this run expects; {@code earlyStopping} says whether it uses early stopping.
     */
    public static TrainingState read(Path file, Sequential net, Optimizer optimizer, int scheduleLength, boolean earlyStopping)
            throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        String json = c.metadata().get(KEY);
        if (json == null) throw new InvalidModelException(file + ": not a checkpoint (no training state in the metadata)");
        Map<String, Object> m = Json.parseObject(json, file + ": the training state");
        Fields f = new Fields(file, "training state");
        String opt = optimizerKey(optimizer);
        if (!opt.equals(m.get("optimizer"))) {
            throw new InvalidModelException(file + ": saved with optimizer " + m.get("optimizer") + ", this run uses " + opt);
        }
        int epochs = f.integer(m, "epochs", 0, Integer.MAX_VALUE);
        int nextEpoch = f.integer(m, "next_epoch", 0, epochs);
        long batchRng = f.longText(m, "batch_rng");
        long networkRng = f.longText(m, "network_rng");
        double[] schedule = f.numbers(m, "schedule", scheduleLength);
        double best = f.number(m, "best");
        int bestEpoch = f.integer(m, "best_epoch", -1, Math.max(-1, nextEpoch - 1));
        int wait = f.integer(m, "wait", 0, nextEpoch);
        List<TrainingState.Epoch> history = history(f, m, nextEpoch);

        Map<String, Tensor> optState = optimizerState(file, c, optimizer, net.parameterCount(), net.dtype());
        Tensor bestParams = null;
        List<Tensor> bestBuffers = null;
        if (c.tensors().containsKey("best.parameters")) {
            bestParams = sized(file, c, "best.parameters", net.parameterBuffer()).to(net.dtype());
            bestBuffers = new ArrayList<>();
            for (Parameter b : net.buffers()) bestBuffers.add(sized(file, c, "best." + b.name(), b.value()).to(net.dtype()));
        }
        // Every check has passed: only now is the network changed.
        ModelFile.fill(file, c, net);
        TrainingState.EarlyStop early = earlyStopping || bestEpoch >= 0
                ? new TrainingState.EarlyStop(best, bestEpoch, wait, bestParams, bestBuffers) : null;
        return new TrainingState(nextEpoch, epochs, opt, optState, batchRng, networkRng, schedule, early, history);
    }

    /** The optimizer's tensors: exactly the names it keeps, each one value per parameter, plus the step count. */
    private static Map<String, Tensor> optimizerState(Path file, SafeTensors.Contents c, Optimizer optimizer, int parameters,
                                                      DType dtype) {
        Set<String> saved = new TreeSet<>();
        for (String name : c.tensors().keySet()) if (name.startsWith("optimizer.")) saved.add(name.substring(10));
        Set<String> expected = new TreeSet<>(optimizer.stateNames());
        expected.add("step");
        if (!saved.equals(expected)) {
            throw new InvalidModelException(file + ": the optimizer state holds " + saved + ", " + optimizer.describe()
                    + " keeps " + expected);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : optimizer.stateNames()) {
            Tensor t = c.tensors().get("optimizer." + name);
            if (t.shape().rank() != 1 || t.size() != parameters) {
                throw new InvalidModelException(file + ": optimizer state '" + name + "' has shape " + t.shape()
                        + ", the network has " + parameters + " parameters");
            }
            out.put(name, t.to(dtype));
        }
        Tensor step = c.tensors().get("optimizer.step");
        double steps = step.size() == 1 ? step.get(0) : -1;
        if (!(steps >= 0 && steps <= 1L << 53 && steps == Math.rint(steps))) {
            throw new InvalidModelException(file + ": optimizer step count " + step.shape()
                    + (step.size() == 1 ? " = " + steps : "") + " is not one whole number ≥ 0");
        }
        out.put("step", step);
        return out;
    }

    private static Tensor sized(Path file, SafeTensors.Contents c, String name, Tensor like) {
        Tensor t = c.require(name, file);
        if (!t.shape().equals(like.shape())) {
            throw new InvalidModelException(file + ": tensor '" + name + "' has shape " + t.shape() + ", expected " + like.shape());
        }
        return t;
    }

    @SuppressWarnings("unchecked")
    private static List<TrainingState.Epoch> history(Fields f, Map<String, Object> m, int nextEpoch) {
        if (!(m.get("history") instanceof List<?> list)) throw f.bad("history", "is missing or not a list");
        if (list.size() > nextEpoch) throw f.bad("history", "has " + list.size() + " epochs, more than the " + nextEpoch + " done");
        List<TrainingState.Epoch> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> raw)) throw f.bad("history[" + i + "]", "is not an object");
            Map<String, Object> e = (Map<String, Object>) raw;
            Fields h = f.at("history[" + i + "]");
            TrainingState.Validation val = null;
            if (e.containsKey("val_loss")) {
                val = new TrainingState.Validation(h.integer(e, "val_samples", 0, Integer.MAX_VALUE), h.number(e, "val_loss"),
                        h.number(e, "val_accuracy"));
            }
            out.add(new TrainingState.Epoch(h.integer(e, "epoch", 0, nextEpoch - 1), h.number(e, "train_loss"),
                    h.number(e, "train_accuracy"), h.number(e, "seconds"), h.number(e, "samples_per_second"),
                    h.number(e, "learning_rate"), val));
        }
        return out;
    }

    /** Typed, range-checked reads of JSON fields, each failure naming the file and the field. */
    private record Fields(Path file, String where) {
        Fields at(String sub) {
            return new Fields(file, where + " " + sub);
        }

        InvalidModelException bad(String key, String what) {
            return new InvalidModelException(file + ": " + where + " field '" + key + "' " + what);
        }

        int integer(Map<String, Object> m, String key, int min, int max) {
            double d = number(m, key);
            if (d != Math.rint(d) || d < min || d > max) {
                throw bad(key, "is " + d + ", not a whole number in [" + min + ", " + max + "]");
            }
            return (int) d;
        }

        /** A number; non-finite values are written as the strings "NaN", "Infinity", "-Infinity". */
        double number(Map<String, Object> m, String key) {
            return number(m.get(key), key);
        }

        double number(Object v, String key) {
            if (v instanceof Number n) return n.doubleValue();
            if (v instanceof String s && (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity"))) {
                return Double.parseDouble(s);
            }
            throw bad(key, v == null ? "is missing" : "is not a number");
        }

        long longText(Map<String, Object> m, String key) {
            if (!(m.get(key) instanceof String s)) throw bad(key, "is missing or not a string");
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw bad(key, "is not a 64-bit integer");
            }
        }

        double[] numbers(Map<String, Object> m, String key, int length) {
            if (!(m.get(key) instanceof List<?> l)) throw bad(key, "is missing or not a list");
            if (l.size() != length) throw bad(key, "has " + l.size() + " values, this run's schedule keeps " + length);
            double[] out = new double[length];
            for (int i = 0; i < length; i++) out[i] = number(l.get(i), key + "[" + i + "]");
            return out;
        }
    }
}
