package dev.jgrad.cli;

import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Kernels;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Init;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.OptimizerKind;
import dev.jgrad.optim.Schedule;
import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import dev.jgrad.train.EarlyStopping;
import dev.jgrad.train.EpochResult;
import dev.jgrad.train.Evaluation;
import dev.jgrad.train.History;
import dev.jgrad.train.Metric;
import dev.jgrad.train.Metrics;
import dev.jgrad.train.Trainer;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class TrainCommand extends Subcommand {
    String data = DataSource.BUILTIN;
    String label;
    String task = "auto";
    Boolean header;
    String testFile;
    String layers = "256:relu,128:relu";
    String init;
    String loss;
    double labelSmoothing;
    String optimizer = "adam";
    Double lr;
    double momentum;
    double weightDecay;
    double l1;
    double l2;
    String schedule = "constant";
    double clipNorm;
    double clipValue;
    double dropout;
    String norm = "none";
    int batch = 128;
    int epochs = 10;
    long seed = 1;
    double validation = 0.1;
    int patience;
    String monitor = "loss";
    String normalize = "auto";
    Integer threads;
    Path modelFile;
    Path checkpointDir;
    Path resume;
    Path report;
    boolean testEveryEpoch;
    boolean json;
    boolean quiet;

    /** The built-in digits' fixed split: 80% to train, 20% to test, the same for train and eval. */
    static Dataset.Split builtinSplit(Dataset all) {
        Dataset.Split s = all.split(0.2, 20240101L);
        return new Dataset.Split(rename(s.train(), "optdigits train"), rename(s.validation(), "optdigits test"));
    }

    private static Dataset rename(Dataset d, String name) {
        return new Dataset(name, d.features(), d.targets(), d.classNames(), d.imageShape());
    }

    @Override
    CommandOptions options() {
        return new CommandOptions("train",
                "Trains a network and reports its test metrics.",
                "With no options: the built-in digits data (UCI optdigits, 1,797 8x8 images), 80% to train, 20% to test.",
                "Example: jgrad train --data /usr/share/datasets/fashion-mnist --layers 256:relu,128:relu --epochs 15")
                .string("--data", "PATH", "'digits' (built in, default), an IDX directory (train-* and t10k-* files), or a CSV file", v -> data = v)
                .string("--label", "COL", "CSV label column: name or 0-based index (default: last)", v -> label = v)
                .string("--task", "<task>", "CSV task: auto, classification or regression (default: auto)", v -> task = v)
                .negatable("--header", "CSV has a header line (default: detected)", v -> header = v)
                .string("--test", "CSV", "a CSV test set (IDX directories bring their own)", v -> testFile = v)
                .string("--layers", "SPEC", "hidden layers as width:activation,... (default: 256:relu,128:relu); the output layer follows from the task", v -> layers = v)
                .string("--init", "<init>", "weight initialisation: he_uniform, he_normal, glorot_uniform, glorot_normal, lecun_normal (default: he for the relu family, glorot otherwise)", v -> init = v)
                .string("--loss", "<loss>", "loss (default: softmax_cross_entropy for classes, mse for regression)", v -> loss = v)
                .decimal("--label-smoothing", "<labelSmoothing>", "label smoothing for softmax cross-entropy (default: 0.0)", v -> labelSmoothing = v)
                .string("--optimizer", "<optimizer>", "sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad (default: adam)", v -> optimizer = v)
                .decimal("--lr", "<lr>", "learning rate (default: 1e-3 for adam/adamw, 1e-2 otherwise)", v -> lr = v)
                .decimal("--momentum", "<momentum>", "momentum for sgd/rmsprop (default: 0.0; momentum/nesterov use 0.9 when 0)", v -> momentum = v)
                .decimal("--weight-decay", "<weightDecay>", "optimizer weight decay (L2; decoupled for adamw) (default: 0.0)", v -> weightDecay = v)
                .decimal("--l1", "<l1>", "L1 penalty on dense weights (default: 0.0)", v -> l1 = v)
                .decimal("--l2", "<l2>", "L2 penalty on dense weights (default: 0.0)", v -> l2 = v)
                .string("--schedule", "SPEC", "constant, step:S:G, exponential:G, cosine[:E], plateau[:F:P], optionally after warmup:W, (default: constant)", v -> schedule = v)
                .decimal("--clip-norm", "<clipNorm>", "clip the global gradient norm (0: off)", v -> clipNorm = v)
                .decimal("--clip-value", "<clipValue>", "clip each gradient element (0: off)", v -> clipValue = v)
                .decimal("--dropout", "<dropout>", "dropout after each hidden layer (default: 0.0)", v -> dropout = v)
                .string("--norm", "<norm>", "normalisation after each hidden layer: none, batch, layer (default: none)", v -> norm = v)
                .integer("--batch", "<batch>", "batch size (default: 128)", v -> batch = v)
                .integer("--epochs", "<epochs>", "epochs (default: 10)", v -> epochs = v)
                .longInteger("--seed", "<seed>", "seed for weights, splits, shuffles and dropout (default: 1)", v -> seed = v)
                .decimal("--validation", "<validation>", "fraction of the training data held out for validation (0: none) (default: 0.1)", v -> validation = v)
                .integer("--early-stopping", "PATIENCE", "stop after this many epochs without improvement (0: off)", v -> patience = v)
                .string("--monitor", "<monitor>", "metric early stopping and plateau watch: loss or accuracy (default: loss)", v -> monitor = v)
                .string("--normalize", "<normalize>", "auto, none, pixels, minmax, standard (default: auto: pixels for IDX, minmax for the built-in data, standard for CSV)", v -> normalize = v)
                .integer("--threads", "<threads>", "threads for the kernels (default: available processors)", v -> threads = v)
                .path("--out", "FILE", "write the trained model here (safetensors)", v -> modelFile = v)
                .path("--checkpoint-dir", "DIR", "write a checkpoint after every epoch", v -> checkpointDir = v)
                .path("--resume", "FILE", "continue from a checkpoint of a run with the same settings", v -> resume = v)
                .path("--report", "FILE", "write an HTML report of the run", v -> report = v)
                .flag("--test-every-epoch", "also measure the test set after every epoch (reported only; it steers nothing)", () -> testEveryEpoch = true)
                .flag("--json", "print one JSON document (progress goes to standard error)", () -> json = true)
                .flag("--quiet", "no progress output", () -> quiet = true);
    }

    @Override
    int call() throws Exception {
        PrintWriter out = stdout;
        PrintWriter err = stderr;
        PrintWriter human = json ? err : out;
        long start = System.nanoTime();
        // Names are checked before anything starts, so a misspelling fails at once.
        OptimizerKind optimizerKind = OptimizerKind.parse(optimizer);
        Normalizer.Kind chosenNorm = normalize.equals("auto") ? null : Normalizer.Kind.parse(normalize);
        Metric monitored = Metric.parse(monitor);
        // Compiles the kernels, then trains a throw-away copy of the network, while the data
        // loads; otherwise the first epoch runs code still interpreted or compiled for other shapes.
        TrainTimeline timeline = TrainTimeline.fromProperty();
        Parallel pool = threads != null ? Parallel.create(threads) : Parallel.common();
        TrainingWarmUp warmUp = TrainingWarmUp.start();
        try {
            if (timeline != null) timeline.mark("warm-up started");
            DataSource.Widths ahead = DataSource.peek(data);
            if (ahead != null) warmUp.train(() -> trainCopy(ahead, true, optimizerKind, pool, warmUp));
            return train(out, human, start, optimizerKind, chosenNorm, monitored, pool, warmUp, timeline);
        } finally {
            // Ended already when training ran; a run that failed before does not wait for it.
            warmUp.abandon();
            if (threads != null) pool.close();
        }
    }

    private int train(PrintWriter out, PrintWriter human, long start, OptimizerKind optimizerKind, Normalizer.Kind chosenNorm,
                      Metric monitored, Parallel pool, TrainingWarmUp warmUp, TrainTimeline timeline) throws Exception {
        DataSource.Loaded loaded = DataSource.load(data, label, task, header, testFile, null);
        Dataset train = loaded.train(), test = loaded.test();
        if (loaded.kind().equals("builtin")) {
            Dataset.Split s = builtinSplit(train);
            train = s.train();
            test = s.validation();
        }
        if (timeline != null) timeline.mark("data loaded");
        boolean classify = train.isClassification();
        // A CSV file's widths are known only now.
        DataSource.Widths widths = new DataSource.Widths(train.featureCount(), train.outputWidth());
        warmUp.train(() -> trainCopy(widths, classify, optimizerKind, pool, warmUp));
        Normalizer.Kind normKind = chosenNorm != null ? chosenNorm : switch (loaded.kind()) {
            case "idx" -> Normalizer.Kind.PIXELS;
            case "builtin" -> Normalizer.Kind.MINMAX;
            default -> Normalizer.Kind.STANDARD;
        };
        Dataset val = null;
        if (validation > 0) {
            Dataset.Split s = train.split(validation, seed);
            train = rename(s.train(), train.name());
            val = rename(s.validation(), train.name() + " (validation)");
        }
        Normalizer normalizer = Normalizer.fit(normKind, train.features());
        train = normalizer.apply(train);
        if (val != null) val = normalizer.apply(val);
        if (test != null) test = normalizer.apply(test);

        Loss lossFn = loss(classify);
        try (Sequential net = network(train.featureCount(), train.outputWidth(), classify, lossFn, pool)) {
            Optimizer opt = optimizer(optimizerKind);
            Trainer.Builder tb = trainer(net, lossFn, opt, epochs)
                    .validation(val).normalizer(normalizer).checkpointDir(checkpointDir);
            if (patience > 0) tb.earlyStopping(new EarlyStopping(monitored, patience, 0, true));
            if (!quiet) tb.listener(new Progress(human, !json && Progress.onTerminal(), classify));
            List<Evaluation> perEpochTest = new ArrayList<>();
            if (testEveryEpoch && test != null) {
                Dataset testSet = test;
                tb.listener(new dev.jgrad.train.TrainingListener() {
                    @Override
                    public void onEpochEnd(EpochResult r) {
                        // Evaluation mode draws no random numbers and updates no statistics: the run is unchanged.
                        Evaluation e = Metrics.evaluate(net, lossFn, testSet, 512);
                        perEpochTest.add(e);
                        if (!quiet) human.printf("          test_loss %.4f%s%n", e.loss(),
                                e.isClassification() ? String.format("  test_acc %.4f", e.accuracy()) : String.format("  test_mae %.4f", e.mae()));
                    }
                });
            }
            if (timeline != null) tb.listener(timeline);
            Trainer trainer = tb.build();
            if (resume != null) {
                trainer.resume(resume);
                if (!quiet) human.printf("resuming from %s at epoch %d%n", resume, trainer.nextEpoch() + 1);
            }
            Map<String, Object> config = config(loaded, train, val, test, net, opt, lossFn, normKind);
            if (!quiet && !json) {
                human.printf("jgrad train: %s  (%,d train / %s validation / %s test samples)%n", train.name(),
                        train.size(), val == null ? "no" : String.format("%,d", val.size()),
                        test == null ? "no" : String.format("%,d", test.size()));
                human.print(net.summary());
                int t = net.parallel().threads();
                human.printf("%s, batch %d, %d epoch%s, %d thread%s, %s%n", opt.describe(), batch, epochs, epochs == 1 ? "" : "s",
                        t, t == 1 ? "" : "s", Kernels.get().description());
            }
            // Training beside an unfinished warm-up would share the cores with it and start on
            // code still interpreted: waiting for it is shorter overall (measured 0.4-0.5 s).
            if (timeline != null) timeline.mark("network built, joining the warm-up");
            warmUp.finish();
            if (timeline != null) {
                timeline.mark("warm-up joined after " + warmUp.steps() + " steps of the copy");
                timeline.mark("(the kernels' warm-up had ended)", warmUp.times()[0]);
                timeline.mark("(the copy had started)", warmUp.times()[1]);
            }
            History h = trainer.fit(train);
            Evaluation testEval = test != null ? Metrics.evaluate(net, lossFn, test, 512) : null;
            Model model = new Model(net, lossFn, normalizer, train.classNames(), train.imageShape());
            if (modelFile != null) ModelFile.save(modelFile, model);
            if (report != null) {
                HtmlReport.write(report, "jgrad train", config, h, testEval != null ? testEval : h.last() != null ? h.last().validation() : null,
                        test != null ? test : val, model);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            if (json) {
                Map<String, Object> doc = jsonResult(config, h, testEval, wall, net.parallel().threads());
                if (!perEpochTest.isEmpty()) {
                    List<?> epochsJson = (List<?>) doc.get("epochs");
                    int first = epochsJson.size() - perEpochTest.size();
                    for (int i = 0; i < perEpochTest.size(); i++) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> e = (Map<String, Object>) epochsJson.get(first + i);
                        e.put("test_loss", perEpochTest.get(i).loss());
                        if (perEpochTest.get(i).isClassification()) e.put("test_accuracy", perEpochTest.get(i).accuracy());
                    }
                }
                out.println(Json.write(doc));
            } else if (!quiet) {
                summary(human, h, testEval, wall, net.parallel().threads());
            }
            return 0;
        }
    }

    private Loss loss(boolean classify) {
        return loss != null ? Losses.parse(loss)
                : classify ? (labelSmoothing > 0 ? Losses.softmaxCrossEntropy(labelSmoothing) : Losses.SOFTMAX_CROSS_ENTROPY)
                : Losses.MSE;
    }

    /** The network the options describe, on the given pool; the real one and the warm-up's copy alike. */
    private Sequential network(int features, int outputs, boolean classify, Loss lossFn, Parallel pool) {
        SequentialBuilder b = Sequential.builder(features).seed(seed).parallel(pool);
        Init weightInit = init == null ? null : Init.parse(init);
        NetworkSpec.parse(layers).addHidden(b, norm, dropout, weightInit);
        var outAct = classify && lossFn.fusesWith(Activations.SOFTMAX) ? Activations.SOFTMAX : Activations.IDENTITY;
        if (weightInit != null) b.dense(outputs, outAct, weightInit);
        else b.dense(outputs, outAct);
        if (!norm.equals("none") && !norm.equals("batch") && !norm.equals("layer")) {
            throw new IllegalArgumentException("usage: --norm takes none, batch or layer, not '" + norm + "'");
        }
        return b.build();
    }

    private Optimizer optimizer(OptimizerKind kind) {
        return kind.create(lr != null ? lr : kind.defaultLearningRate(), momentum, weightDecay);
    }

    private Trainer.Builder trainer(Sequential net, Loss lossFn, Optimizer opt, int epochCount) {
        return Trainer.builder(net, lossFn).optimizer(opt).schedule(Schedule.parse(schedule, epochCount))
                .epochs(epochCount).batchSize(batch).seed(seed).clipNorm(clipNorm).clipValue(clipValue).l1(l1).l2(l2);
    }

    /**
     * The warm-up's throw-away copy: the network the options describe, with its own weights,
     * optimizer and generators, trained on synthetic rows (uniform in [0, 1), labels in turn, a
     * short last batch in every epoch, a small validation set when the run has one) until
     * {@code warmUp} stops it. It touches nothing of the real run but the pool.
     */
    private void trainCopy(DataSource.Widths w, boolean classify, OptimizerKind kind, Parallel pool, TrainingWarmUp warmUp) {
        int epochRows = batch * 8 + Math.max(1, batch * 3 / 4), steps = 9;
        int epochCount = warmUp.maxSteps() / steps + 1;
        Loss lossFn = loss(classify);
        Dataset rows = synthetic(epochRows, w, classify, 1);
        Dataset val = validation > 0 ? synthetic(Math.max(batch, 256) + 3, w, classify, 2) : null;
        try (Sequential copy = network(w.features(), w.outputs(), classify, lossFn, pool)) {
            trainer(copy, lossFn, optimizer(kind), epochCount).validation(val).listener(warmUp.listener()).build().fit(rows);
        }
    }

    private static Dataset synthetic(int n, DataSource.Widths w, boolean classify, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n * w.features()];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        int targetCols = classify ? 1 : w.outputs();
        float[] t = new float[n * targetCols];
        for (int i = 0; i < t.length; i++) t[i] = classify ? i % w.outputs() : (float) r.nextDouble();
        List<String> classes = new ArrayList<>();
        if (classify) for (int c = 0; c < w.outputs(); c++) classes.add(Integer.toString(c));
        return new Dataset("warm-up", new FloatTensor(x, 0, Shape.of(n, w.features())), new FloatTensor(t, 0, Shape.of(n, targetCols)),
                classes, null);
    }

    private void summary(PrintWriter p, History h, Evaluation test, double wall, int threadCount) {
        int n = h.epochs().size();
        double samples = 0;
        for (EpochResult r : h.epochs()) samples += r.samplesPerSecond() * r.seconds();
        p.printf("%ntrained %d epoch%s in %.1fs (training loop %.1fs, %,.0f samples/s, %d thread%s)%s%n", n, n == 1 ? "" : "s",
                wall, h.trainingSeconds(), samples / Math.max(h.trainingSeconds(), 1e-9), threadCount, threadCount == 1 ? "" : "s",
                h.stoppedEarly() ? ", stopped early; kept epoch " + (h.bestEpoch() + 1) : "");
        if (test != null) {
            if (test.isClassification()) p.printf("test accuracy %.4f  test loss %.4f  (%,d samples)%n", test.accuracy(), test.loss(), test.samples());
            else p.printf("test loss %.6f  mse %.6f  mae %.6f  (%,d samples)%n", test.loss(), test.mse(), test.mae(), test.samples());
        }
        if (modelFile != null) p.println("model written to " + modelFile);
        if (report != null) p.println("report written to " + report);
    }

    private Map<String, Object> config(DataSource.Loaded loaded, Dataset train, Dataset val, Dataset test, Sequential net,
                                       Optimizer opt, Loss lossFn, Normalizer.Kind normKind) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("data", data);
        c.put("data_kind", loaded.kind());
        c.put("train_samples", train.size());
        c.put("validation_samples", val == null ? 0 : val.size());
        c.put("test_samples", test == null ? 0 : test.size());
        c.put("layers", layers);
        c.put("network", net.summary().lines().toList());
        c.put("parameters", net.parameterCount());
        c.put("loss", lossFn.spec());
        c.put("optimizer", opt.describe());
        c.put("schedule", schedule);
        c.put("batch", batch);
        c.put("epochs", epochs);
        c.put("seed", seed);
        c.put("dropout", dropout);
        c.put("norm", norm);
        c.put("normalize", normKind.spec());
        c.put("threads", net.parallel().threads());
        c.put("kernels", Kernels.get().description());
        return c;
    }

    static Map<String, Object> jsonResult(Map<String, Object> config, History h, Evaluation test, double wall, int threadCount) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", config);
        List<Object> epochs = new ArrayList<>();
        for (EpochResult r : h.epochs()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", r.epoch() + 1);
            e.put("seconds", r.seconds());
            e.put("samples_per_second", r.samplesPerSecond());
            e.put("loss", r.trainLoss());
            if (!Double.isNaN(r.trainAccuracy())) e.put("accuracy", r.trainAccuracy());
            if (r.validation() != null) {
                e.put("val_loss", r.validation().loss());
                if (!Double.isNaN(r.validation().accuracy())) e.put("val_accuracy", r.validation().accuracy());
                if (!Double.isNaN(r.validation().mae())) e.put("val_mae", r.validation().mae());
            }
            e.put("learning_rate", r.learningRate());
            epochs.add(e);
        }
        m.put("epochs", epochs);
        m.put("stopped_early", h.stoppedEarly());
        if (h.bestEpoch() >= 0) m.put("best_epoch", h.bestEpoch() + 1);
        m.put("training_seconds", h.trainingSeconds());
        m.put("wall_seconds", wall);
        m.put("threads", threadCount);
        if (test != null) {
            m.put("test_loss", test.loss());
            if (test.isClassification()) {
                m.put("test_accuracy", test.accuracy());
                m.put("test_macro_f1", test.macroF1());
            } else {
                m.put("test_mse", test.mse());
                m.put("test_mae", test.mae());
            }
            m.put("test_samples", test.samples());
        }
        return m;
    }
}
