package dev.jgrad.data;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;

import java.util.List;

/**
 * Samples as rows: float32 features N × d and targets N × 1 (class indices, for
 * classification) or N × k (values, for regression). Class names are empty for regression.
 * {@code imageShape} is (height, width) for image data, else null.
 */
public record Dataset(String name, FloatTensor features, FloatTensor targets, List<String> classNames, int[] imageShape) {

    public Dataset {
        if (features.rows() != targets.rows()) {
            throw new IllegalArgumentException(name + ": " + features.rows() + " feature rows but " + targets.rows()
                    + " target rows");
        }
        classNames = List.copyOf(classNames);
    }

    public int size() {
        return features.rows();
    }

    public int featureCount() {
        return features.cols();
    }

    public boolean isClassification() {
        return !classNames.isEmpty();
    }

    public int classCount() {
        return classNames.size();
    }

    /** Width of the network's output for this data: classes, or target columns for regression. */
    public int outputWidth() {
        return isClassification() ? classCount() : targets.cols();
    }

    public int label(int i) {
        return (int) targets.get(i * targets.cols());
    }

    /** The rows listed in idx[0 .. n-1], copied, in that order. */
    public Dataset select(int[] idx, int n, String newName) {
        int d = featureCount(), k = targets.cols();
        float[] f = new float[n * d], t = new float[n * k];
        float[] fs = features.data(), ts = targets.data();
        for (int i = 0; i < n; i++) {
            System.arraycopy(fs, features.offset() + idx[i] * d, f, i * d, d);
            System.arraycopy(ts, targets.offset() + idx[i] * k, t, i * k, k);
        }
        return new Dataset(newName, new FloatTensor(f, 0, Shape.of(n, d)), new FloatTensor(t, 0, Shape.of(n, k)),
                classNames, imageShape);
    }

    /** The first n rows (a copy). */
    public Dataset head(int n) {
        int m = Math.min(n, size());
        int[] idx = new int[m];
        for (int i = 0; i < m; i++) idx[i] = i;
        return select(idx, m, name);
    }

    /** Training and validation parts. */
    public record Split(Dataset train, Dataset validation) {
    }

    /** Shuffles with the seed and holds out {@code fraction} of the rows for validation. */
    public Split split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + fraction);
        int n = size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed).shuffle(order, n);
        int v = Math.max(1, (int) Math.round(n * fraction));
        int[] val = java.util.Arrays.copyOfRange(order, 0, v), tr = java.util.Arrays.copyOfRange(order, v, n);
        return new Split(select(tr, tr.length, name + " (train)"), select(val, val.length, name + " (validation)"));
    }

    /** Targets as one-hot rows N × C, for losses or tools that want them. */
    public Tensor oneHotTargets(DType dtype) {
        if (!isClassification()) throw new IllegalStateException(name + " is not a classification dataset");
        Tensor t = Tensor.zeros(dtype, size(), classCount());
        for (int i = 0; i < size(); i++) t.set(i, label(i), 1);
        return t;
    }
}
