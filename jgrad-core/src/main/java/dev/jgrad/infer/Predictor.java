package dev.jgrad.infer;

import dev.jgrad.data.Normalizer;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.InferenceLayer;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;

import java.util.List;

/**
 * Predictions from an {@link InferenceModel}: holds the buffers of one call (the normalised
 * input, two activation buffers used in turn, the layers' scratch) and reuses them on the next,
 * so a warm predictor allocates only the arrays it returns. Batches are computed in chunks of
 * at most {@value #CHUNK} rows, which bounds its memory (about {@code CHUNK × widest layer × 12}
 * bytes) whatever the batch; rows are independent, so chunking changes no bit.
 *
 * <p>Inputs are raw features, as in the data files: the model's normaliser is applied here.
 * A row holding NaN or an infinity, or the wrong number of features, is refused with an
 * {@link IllegalArgumentException} naming the row and column, before anything is computed.
 *
 * <p>Thread-safety: not safe for concurrent use; give each thread its own (they are cheap, see
 * {@link InferenceModel#predictor()}) or use the model's pooled methods. Any number of
 * predictors of one model may run at once.
 */
public final class Predictor {
    /** Rows per forward pass at most. */
    public static final int CHUNK = 256;

    private final InferenceModel model;
    private final List<InferenceLayer> layers;
    private float[] in = new float[0], a = new float[0], b = new float[0], scratch = new float[0];

    Predictor(InferenceModel model) {
        this.model = model;
        this.layers = model.layers();
    }

    /** The model this predictor runs. */
    public InferenceModel model() {
        return model;
    }

    /** The answer for one sample: {@link InferenceModel#outputSize()} values. */
    public float[] predict(float[] x) {
        if (x.length != model.inputSize()) throw widthError(0, x.length);
        float[] out = new float[model.outputSize()];
        predict(x, 0, 1, out, 0);
        return out;
    }

    /** The most probable class of one sample (the first on ties), an index into the class names. */
    public int classify(float[] x) {
        return argmax(predict(x), 0, model.outputSize());
    }

    /** One answer per row. */
    public float[][] predict(float[][] rows) {
        int w = model.inputSize(), o = model.outputSize();
        float[] flat = new float[rows.length * w];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != w) throw widthError(r, rows[r].length);
            System.arraycopy(rows[r], 0, flat, r * w, w);
        }
        float[] out = predict(flat, rows.length);
        float[][] answers = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) answers[r] = java.util.Arrays.copyOfRange(out, r * o, (r + 1) * o);
        return answers;
    }

    /** The most probable class of each row. */
    public int[] classify(float[][] rows) {
        float[][] p = predict(rows);
        int[] c = new int[p.length];
        for (int r = 0; r < p.length; r++) c[r] = argmax(p[r], 0, p[r].length);
        return c;
    }

    /** Answers for {@code rows} samples laid out one after another in x: rows × outputSize values. */
    public float[] predict(float[] x, int rows) {
        if (x.length != rows * model.inputSize()) {
            throw new IllegalArgumentException("input holds " + x.length + " values, " + rows + " rows of "
                    + model.inputSize() + " features need " + rows * model.inputSize());
        }
        float[] out = new float[rows * model.outputSize()];
        predict(x, 0, rows, out, 0);
        return out;
    }

    /**
     * The allocation-free form: {@code rows} samples from {@code x[xOff ..]}, answers written to
     * {@code out[outOff ..]} (rows × outputSize). Every row is checked before any is computed.
     */
    public void predict(float[] x, int xOff, int rows, float[] out, int outOff) {
        int w = model.inputSize(), o = model.outputSize();
        if (rows < 0 || xOff < 0 || outOff < 0 || xOff + (long) rows * w > x.length
                || outOff + (long) rows * o > out.length) {
            throw new IllegalArgumentException(rows + " rows of " + w + " features from offset " + xOff + " of "
                    + x.length + " values, answers of " + o + " to offset " + outOff + " of " + out.length
                    + ": out of bounds");
        }
        int bad = TensorOps.firstNonFinite(x, xOff, rows * w);
        if (bad >= 0) {
            int r = bad / w;
            throw new IllegalArgumentException("row " + r + ", column " + (bad - r * w) + " holds " + x[xOff + bad]);
        }
        for (int r0 = 0; r0 < rows; r0 += CHUNK) {
            int n = Math.min(CHUNK, rows - r0);
            chunk(x, xOff + r0 * w, n, out, outOff + r0 * o);
        }
    }

    private void chunk(float[] x, int xOff, int rows, float[] out, int outOff) {
        int w = model.inputSize();
        ensure(rows);
        // The layers leave their input as it was, so without a normaliser to apply the first one
        // reads the caller's rows where they are, uncopied.
        float[] src = x;
        int srcOff = xOff;
        Normalizer norm = model.normalizer();
        if (norm != null && norm.kind() != Normalizer.Kind.NONE) {
            System.arraycopy(x, xOff, in, 0, rows * w);
            norm.apply(new FloatTensor(in, 0, Shape.of(rows, w)));
            int bad = TensorOps.firstNonFinite(in, 0, rows * w);
            if (bad >= 0) {
                throw new IllegalArgumentException("row " + bad / w + ", column " + bad % w + " holds " + x[xOff + bad]
                        + ", which normalises to " + in[bad]);
            }
            src = in;
            srcOff = 0;
        }
        float[] dst = a;
        for (InferenceLayer l : layers) {
            l.forward(model.parallel(), src, srcOff, rows, dst, 0, scratch);
            src = dst;
            srcOff = 0;
            dst = dst == a ? b : a;
        }
        int o = model.outputSize();
        if (model.softmaxAfter()) {
            // The network ends in logits: the loss applied the softmax, so prediction does too.
            Shape s = Shape.of(rows, o);
            Activations.SOFTMAX.forward(new FloatTensor(src, srcOff, s), new FloatTensor(dst, 0, s));
            src = dst;
            srcOff = 0;
        }
        System.arraycopy(src, srcOff, out, outOff, rows * o);
    }

    private void ensure(int rows) {
        int need = rows * model.widest();
        if (a.length < need) {
            // Sized for a whole chunk when more than one row is asked, so batches grow it once.
            int cap = (rows == 1 ? 1 : CHUNK) * model.widest();
            in = new float[(rows == 1 ? 1 : CHUNK) * model.inputSize()];
            a = new float[cap];
            b = new float[cap];
        }
        int s = 0;
        for (InferenceLayer l : layers) s = Math.max(s, l.scratchSize(rows));
        if (scratch.length < s) {
            int sized = rows == 1 ? 1 : CHUNK;
            for (InferenceLayer l : layers) s = Math.max(s, l.scratchSize(sized));
            scratch = new float[s];
        }
    }

    private IllegalArgumentException widthError(int row, int width) {
        return new IllegalArgumentException("row " + row + " has " + width + " features, the model takes "
                + model.inputSize());
    }

    private static int argmax(float[] y, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (y[off + j] > y[off + best]) best = j;
        return best;
    }
}
