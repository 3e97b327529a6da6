package dev.jgrad.io;

import dev.jgrad.data.Normalizer;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Tensor;

import java.util.List;

/**
 * What a model file holds: the network, the loss it was trained with, the normaliser its inputs
 * need, and for classifiers the class names. {@link #predict} takes raw features, as they come
 * from the data files, and returns class probabilities (classification) or values (regression).
 */
public record Model(Sequential network, Loss loss, Normalizer normalizer, List<String> classNames, int[] imageShape) {

    public Model {
        classNames = List.copyOf(classNames);
    }

    public boolean isClassification() {
        return !classNames.isEmpty();
    }

    /** Probabilities per class (rows sum to 1) or regression outputs, for raw (unnormalised) features. */
    public Tensor predict(FloatTensor rawFeatures) {
        FloatTensor x = (FloatTensor) rawFeatures.copy();
        normalizer.apply(x);
        Tensor in = x.dtype() == network.dtype() ? x : x.to(network.dtype());
        Tensor y = network.forward(in);
        Tensor out = y.copy();
        Activation last = network.outputActivation();
        if (isClassification() && last != Activations.SOFTMAX && last != Activations.SIGMOID) {
            // The network ends in logits: the loss applied the softmax, so prediction does too.
            Activations.SOFTMAX.forward(y, out);
        }
        return out;
    }

    /** The most probable class of each row of probabilities. */
    public static int[] argmax(Tensor probs) {
        int[] out = new int[probs.rows()];
        for (int r = 0; r < out.length; r++) out[r] = TensorOps.argmaxRow(probs, r);
        return out;
    }
}
