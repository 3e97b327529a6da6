package dev.jgrad.infer;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.FloatExp;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.InferenceLayer;
import dev.jgrad.nn.Layer;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A trained network frozen for prediction: its layers' evaluation-mode forward passes
 * ({@link InferenceLayer}) over one copy of the weights, with the model file's normaliser and
 * class names. It holds no gradient buffers and no per-batch buffers; those live in the
 * {@link Predictor}s it hands out, one per thread, which share its weights.
 *
 * <p>Answers: for raw features, what {@link Model#predict} gives (probabilities per class for a
 * classifier, the network's outputs for regression), to the bit, row for row. Each row's bits
 * depend only on that row: a sample gets the same answer alone, in a batch of any size, on any
 * thread, and with any pool size (for jgrad's own layers; see {@link Layer#inference()}).
 *
 * <p>Thread-safety: immutable once built, and safe to share between any number of threads,
 * platform or virtual. Training the network it was built from afterwards does not change it.
 */
public final class InferenceModel {
    private final List<InferenceLayer> layers;
    private final int inputSize;
    private final int outputSize;
    private final int widest;
    private final Normalizer normalizer;
    private final List<String> classNames;
    private final boolean softmaxAfter;
    private final Parallel parallel;
    private final String description;
    /** Predictors for the convenience methods, returned after each call (at most a few are kept). */
    private final ConcurrentLinkedQueue<Predictor> pool = new ConcurrentLinkedQueue<>();

    private InferenceModel(Sequential net, Normalizer normalizer, List<String> classNames, boolean softmaxAfter,
                           Parallel parallel) {
        Sequential f32 = net.dtype() == DType.F32 ? net : net.to(DType.F32);
        List<InferenceLayer> ls = new ArrayList<>();
        int wide = f32.inputSize();
        StringBuilder d = new StringBuilder();
        for (Layer l : f32.layers()) {
            ls.add(l.inference());
            wide = Math.max(wide, l.outputSize());
            d.append(d.isEmpty() ? "" : ", ").append(l.describe());
        }
        this.layers = List.copyOf(ls);
        this.inputSize = f32.inputSize();
        this.outputSize = f32.outputSize();
        this.widest = wide;
        this.normalizer = normalizer;
        this.classNames = List.copyOf(classNames);
        this.softmaxAfter = softmaxAfter;
        this.parallel = parallel;
        this.description = d.toString();
        // The first model of the JVM compiles the inference kernels before anyone asks it (well
        // under a second of one core): run cold, many threads at once would crawl until C2 had.
        // The exp first: its double and long vector classes are then loaded before the products'
        // kernels are compiled, not after (which would make C2 throw those away).
        FloatExp.get().warmUp();
        TensorOps.warmUpPacked();
    }

    /**
     * The model in a jgrad model file; its kernels run on {@link Parallel#common()}.
     *
     * @throws dev.jgrad.io.InvalidModelException when the file is not a valid model (naming the file and field)
     */
    public static InferenceModel load(Path file) throws IOException {
        return load(file, Parallel.common());
    }

    /**
     * The model in a jgrad model file, its kernels running on {@code parallel}. A server whose
     * requests already keep the cores busy does best with {@code Parallel.create(1)}: a pool's
     * workers spin a while after each product, waiting for the next, which costs more CPU than
     * it saves on one-sample passes.
     */
    public static InferenceModel load(Path file, Parallel parallel) throws IOException {
        return of(ModelFile.load(file), parallel);
    }

    /** A snapshot of a loaded or trained model, its normaliser and class names included. */
    public static InferenceModel of(Model model, Parallel parallel) {
        Activation last = model.network().outputActivation();
        boolean logits = model.isClassification() && last != Activations.SOFTMAX && last != Activations.SIGMOID;
        return new InferenceModel(model.network(), model.normalizer(), model.classNames(), logits, parallel);
    }

    /**
     * A snapshot of a bare network: inputs go in as they are and outputs come out as the network's
     * {@link Sequential#forward(dev.jgrad.tensor.Tensor)} gives them; no class names. A float64
     * network is converted to float32 first.
     */
    public static InferenceModel of(Sequential network) {
        return new InferenceModel(network, null, List.of(), false, network.parallel());
    }

    /** A new predictor over this model's weights: cheap, for one thread at a time. */
    public Predictor predictor() {
        return new Predictor(this);
    }

    /** Features per sample (before normalisation). */
    public int inputSize() {
        return inputSize;
    }

    /** Values per answer: one per class for a classifier. */
    public int outputSize() {
        return outputSize;
    }

    /** The class of each output column, or an empty list for a regression model. */
    public List<String> classNames() {
        return classNames;
    }

    public boolean isClassification() {
        return !classNames.isEmpty();
    }

    /** The layers, for example {@code Dense(784 → 256, relu), Dense(256 → 10, softmax)}. */
    public String describe() {
        return description;
    }

    /** {@link Predictor#predict(float[])} on a pooled predictor: safe from any thread. */
    public float[] predict(float[] x) {
        Predictor p = borrow();
        try {
            return p.predict(x);
        } finally {
            giveBack(p);
        }
    }

    /** {@link Predictor#predict(float[][])} on a pooled predictor: safe from any thread. */
    public float[][] predict(float[][] rows) {
        Predictor p = borrow();
        try {
            return p.predict(rows);
        } finally {
            giveBack(p);
        }
    }

    /** {@link Predictor#predict(float[], int)} on a pooled predictor: safe from any thread. */
    public float[] predict(float[] x, int rows) {
        Predictor p = borrow();
        try {
            return p.predict(x, rows);
        } finally {
            giveBack(p);
        }
    }

    /** {@link Predictor#classify(float[])} on a pooled predictor: safe from any thread. */
    public int classify(float[] x) {
        Predictor p = borrow();
        try {
            return p.classify(x);
        } finally {
            giveBack(p);
        }
    }

    private Predictor borrow() {
        Predictor p = pool.poll();
        return p != null ? p : predictor();
    }

    private void giveBack(Predictor p) {
        // Keeps about as many as run at once on the cores; more would only hold memory.
        if (pool.size() < 2 * Runtime.getRuntime().availableProcessors()) pool.add(p);
    }

    List<InferenceLayer> layers() {
        return layers;
    }

    int widest() {
        return widest;
    }

    Normalizer normalizer() {
        return normalizer;
    }

    boolean softmaxAfter() {
        return softmaxAfter;
    }

    Parallel parallel() {
        return parallel;
    }
}
