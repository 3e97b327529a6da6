package dev.jgrad.spark;

import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.OptimizerKind;
import dev.jgrad.optim.Schedule;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a rank needs to build the network and the optimizer and to walk the same batches as
 * every other rank: the settings of {@code jgrad train} in one serialisable value, sent to each
 * task with the stage. The network it builds is the one {@code jgrad train} builds from the same
 * settings: hidden dense layers, each followed by the normalisation layer and dropout asked for,
 * then the output layer (softmax for classes, identity for regression).
 *
 * @param inputs       features per sample
 * @param outputs      classes (classification) or target columns (regression)
 * @param classify     classification (softmax cross-entropy) or regression (MSE)
 * @param layers       hidden layers as {@code width:activation,...}, as {@code jgrad train --layers}
 * @param norm         none, batch or layer
 * @param dropout      dropout after each hidden layer (0: none)
 * @param optimizer    an {@link OptimizerKind} name
 * @param learningRate base learning rate (≤ 0: the optimizer's default)
 * @param momentum     momentum for the optimizers that take one
 * @param weightDecay  optimizer weight decay
 * @param schedule     a learning-rate schedule as {@code jgrad train --schedule} spells it
 * @param batchSize    the global batch: the rows of one step summed over every rank
 * @param epochs       passes over the data
 * @param seed         seed for weights, sample order and dropout
 * @param threads      kernel threads per task
 */
public record TrainingRecipe(int inputs, int outputs, boolean classify, String layers, String norm, double dropout,
                             String optimizer, double learningRate, double momentum, double weightDecay, String schedule,
                             int batchSize, int epochs, long seed, int threads) implements Serializable {

    public TrainingRecipe {
        if (inputs <= 0 || outputs <= 0) throw new IllegalArgumentException("inputs and outputs must be positive, got "
                + inputs + " and " + outputs);
        if (!List.of("none", "batch", "layer").contains(norm)) {
            throw new IllegalArgumentException("norm takes none, batch or layer, not '" + norm + "'");
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (epochs < 0) throw new IllegalArgumentException("epochs must be ≥ 0, got " + epochs);
        if (threads <= 0) throw new IllegalArgumentException("threads per task must be positive, got " + threads);
        OptimizerKind.parse(optimizer);
        Schedule.parse(schedule, Math.max(epochs, 1));
        hidden(layers);
    }

    /** The loss {@code jgrad train} picks for the task. */
    public Loss loss() {
        return classify ? Losses.SOFTMAX_CROSS_ENTROPY : Losses.MSE;
    }

    /** The network, initialised from the seed, with a pool of {@link #threads} threads of its own. */
    public Sequential network() {
        SequentialBuilder b = Sequential.builder(inputs).seed(seed).threads(threads);
        for (Hidden h : hidden(layers)) {
            b.dense(h.width, h.activation);
            if (norm.equals("batch")) b.batchNorm();
            else if (norm.equals("layer")) b.layerNorm();
            if (dropout > 0) b.dropout(dropout);
        }
        b.dense(outputs, classify ? Activations.SOFTMAX : Activations.IDENTITY);
        return b.build();
    }

    /** A fresh optimizer with this recipe's settings. */
    public Optimizer newOptimizer() {
        OptimizerKind kind = OptimizerKind.parse(optimizer);
        return kind.create(learningRate > 0 ? learningRate : kind.defaultLearningRate(), momentum, weightDecay);
    }

    /** A fresh learning-rate schedule. */
    public Schedule newSchedule() {
        return Schedule.parse(schedule, Math.max(epochs, 1));
    }

    private record Hidden(int width, Activation activation) {
    }

    private static List<Hidden> hidden(String text) {
        List<Hidden> out = new ArrayList<>();
        if (text == null || text.isBlank() || text.equals("none")) return out;
        for (String part : text.split(",(?![^(]*\\))")) {
            String p = part.trim();
            int colon = p.indexOf(':');
            String width = colon < 0 ? p : p.substring(0, colon);
            int n;
            try {
                n = Integer.parseInt(width.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n <= 0) throw new IllegalArgumentException("layers take width:activation items like 256:relu,128:tanh; '"
                    + p + "' has no positive width");
            out.add(new Hidden(n, colon < 0 ? Activations.RELU : Activations.parse(p.substring(colon + 1))));
        }
        return out;
    }
}
