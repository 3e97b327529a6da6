package dev.jgrad.infer;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PredictorTest {

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (2 * r.nextGaussian());
        return x;
    }

    /**
     * Sequential's evaluation forward of one row in a batch of {@value #BATCH} (the row six
     * times over): the reference every answer is held to. From six rows on Sequential's X·Wᵀ
     * runs the packed GEMM, whose order the inference product follows (below six it takes dot
     * products of rows, another order).
     */
    static float[] reference(Sequential net, float[] x, int row) {
        int w = net.inputSize();
        float[] batch = new float[BATCH * w];
        for (int r = 0; r < BATCH; r++) System.arraycopy(x, row * w, batch, r * w, w);
        Tensor y = net.forward(new FloatTensor(batch, 0, Shape.of(BATCH, w)));
        float[] out = new float[y.cols()];
        for (int i = 0; i < out.length; i++) out[i] = (float) y.get(i);
        return out;
    }

    /** Rows of the batch {@link #reference} runs. */
    static final int BATCH = 6;

    /** Widths with a tail of k past whole vectors and output columns past whole groups of four. */
    static Sequential network(Parallel par) {
        return Sequential.builder(37).seed(11).parallel(par).dense(70, Activations.RELU).dense(29, Activations.TANH)
                .dense(10, Activations.SOFTMAX).build();
    }

    @Test
    void everyRowOfAnyBatchHasTheBitsOfSequentialOnThatRow() {
        // Every batch size from 1 to 300 (each remainder of the tiles of six, eight and four
        // rows: whole panels, narrow and wide partial ones; one and two threads) and one past
        // two chunks.
        for (int threads : new int[]{1, 2}) {
            try (Parallel par = Parallel.create(threads)) {
                Sequential net = network(par);
                Predictor p = InferenceModel.of(net).predictor();
                float[] pool = gaussian(600 * 37, 21);
                float[][] want = new float[600][];
                for (int r = 0; r < 600; r++) want[r] = reference(net, pool, r);
                for (int i = 0; i <= 300; i++) {
                    int rows = i < 300 ? i + 1 : 513;
                    int from = (rows * 7) % (600 - rows);
                    float[] y = p.predict(java.util.Arrays.copyOfRange(pool, from * 37, (from + rows) * 37), rows);
                    for (int r = 0; r < rows; r++) {
                        float[] got = java.util.Arrays.copyOfRange(y, r * 10, r * 10 + 10);
                        assertArrayEquals(want[from + r], got, threads + " thread(s), batch of " + rows + ", row " + r);
                    }
                }
            }
        }
    }

    @Test
    void aBatchOfSixRowsOrMoreIsSequentialsBatchToTheBit() {
        // Sequential's X·Wᵀ on such a batch is the packed GEMM: whole batches agree.
        Sequential net = network(Parallel.common());
        Predictor p = InferenceModel.of(net).predictor();
        for (int rows : new int[]{6, 7, 13, 128}) {
            float[] x = gaussian(rows * 37, rows);
            Tensor y = net.forward(new FloatTensor(x, 0, Shape.of(rows, 37)));
            float[] got = p.predict(x, rows);
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToIntBits((float) y.get(i)), Float.floatToIntBits(got[i]), rows + " rows, element " + i);
            }
        }
    }

    @Test
    void theModelIsASnapshotThatLaterTrainingLeavesAlone() {
        Sequential net = network(Parallel.common());
        InferenceModel m = InferenceModel.of(net);
        float[] x = gaussian(37, 5);
        float[] before = m.predict(x);
        net.parameterBuffer().set(0, 100);
        net.parameterBuffer().set(40, -100);
        assertArrayEquals(before, m.predict(x));
        assertNotEquals(before[0], reference(net, x, 0)[0]);
    }

    @Test
    void aModelFileAnswersAsModelPredictWithItsNormaliserAndClassNames(@TempDir Path dir) throws Exception {
        // Logits out (identity), so prediction applies the softmax the loss applied in training.
        Sequential net = Sequential.builder(6).seed(2).dense(16, Activations.GELU).dense(3, Activations.IDENTITY).build();
        float[] data = gaussian(40 * 6, 9);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.STANDARD, new FloatTensor(data, 0, Shape.of(40, 6)));
        Model model = new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, norm, List.of("a", "b", "c"), null);
        Path file = dir.resolve("m.safetensors");
        ModelFile.save(file, model);
        InferenceModel m = InferenceModel.load(file);
        assertEquals(List.of("a", "b", "c"), m.classNames());
        assertTrue(m.isClassification());
        Predictor p = m.predictor();
        float[] y = p.predict(data, 40);
        Tensor want = ModelFile.load(file).predict(new FloatTensor(java.util.Arrays.copyOf(data, 40 * 6), 0, Shape.of(40, 6)));
        int[] classes = Model.argmax(want);
        for (int r = 0; r < 40; r++) {
            // Model.predict runs Sequential's batch of 40; one row alone must answer the same.
            float[] one = p.predict(java.util.Arrays.copyOfRange(data, r * 6, r * 6 + 6));
            for (int j = 0; j < 3; j++) {
                assertEquals(Float.floatToIntBits((float) want.get(r * 3 + j)), Float.floatToIntBits(y[r * 3 + j]), "row " + r + " class " + j);
                assertEquals(Float.floatToIntBits(y[r * 3 + j]), Float.floatToIntBits(one[j]), "row " + r + " alone, class " + j);
            }
            assertEquals(classes[r], p.classify(java.util.Arrays.copyOfRange(data, r * 6, r * 6 + 6)));
        }
    }

    @Test
    void layersWithoutAFormOfTheirOwnRunPrivateCopiesWithTheSameBits() {
        // Batch and layer norm use the default inference form: private copies of the layer.
        try (Parallel par = Parallel.create(2)) {
            Sequential net = Sequential.builder(12).seed(4).parallel(par).dense(20, Activations.RELU).batchNorm()
                    .dropout(0.3).dense(16, Activations.SIGMOID).layerNorm().dense(4, Activations.SOFTMAX).build();
            // Running statistics away from their start, so a copy that lost them would show.
            float[] train = gaussian(30 * 12, 8);
            for (int i = 0; i < 3; i++) net.forward(new FloatTensor(train, 0, Shape.of(30, 12)), true);
            Predictor p = InferenceModel.of(net).predictor();
            float[] x = gaussian(7 * 12, 1);
            float[] y = p.predict(x, 7);
            Tensor want = net.forward(new FloatTensor(x, 0, Shape.of(7, 12)));
            for (int i = 0; i < y.length; i++) assertEquals(Float.floatToIntBits((float) want.get(i)), Float.floatToIntBits(y[i]), "element " + i);
        }
    }

    @Test
    void badInputIsRefusedNamingRowAndColumn() {
        Predictor p = InferenceModel.of(network(Parallel.common())).predictor();
        float[] x = gaussian(3 * 37, 1);
        x[37 + 5] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(x, 3));
        assertTrue(e.getMessage().contains("row 1, column 5"), e.getMessage());
        x[37 + 5] = Float.POSITIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> p.predict(x, 3));
        e = assertThrows(IllegalArgumentException.class, () -> p.predict(new float[36]));
        assertTrue(e.getMessage().contains("36 features, the model takes 37"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.predict(new float[74], 3));
        assertThrows(IllegalArgumentException.class, () -> p.predict(new float[][]{new float[37], new float[38]}));
        // Still serves after refusing.
        assertEquals(10, p.predict(new float[37]).length);
    }
}
