package dev.jgrad.cli;

import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.kernel.Kernels;
import dev.jgrad.kernel.WarmUp;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Init;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.optim.OptimizerKind;
import dev.jgrad.optim.Schedule;
import dev.jgrad.train.EarlyStopping;
import dev.jgrad.train.EpochResult;
import dev.jgrad.train.Evaluation;
import dev.jgrad.train.History;
import dev.jgrad.train.Metric;
import dev.jgrad.train.Metrics;
import dev.jgrad.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a network and reports its test metrics.",
                "With no options: the built-in digits data (UCI optdigits, 1,797 8x8 images), 80%% to train, 20%% to test.",
                "Example: jgrad train --data /usr/share/datasets/fashion-mnist --layers 256:relu,128:relu --epochs 15"})
final class TrainCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "PATH", description = "'digits' (built in, default), an IDX directory (train-* and t10k-* files), or a CSV file")
    String data = DataSource.BUILTIN;
    @Option(names = "--label", paramLabel = "COL", description = "CSV label column: name or 0-based index (default: last)")
    String label;
    @Option(names = "--task", description = "CSV task: auto, classification or regression (default: ${DEFAULT-VALUE})")
    String task = "auto";
    @Option(names = "--header", negatable = true, description = "CSV has a header line (default: detected)")
    Boolean header;
    @Option(names = "--test", paramLabel = "CSV", description = "a CSV test set (IDX directories bring their own)")
    String testFile;
    @Option(names = "--layers", paramLabel = "SPEC", description = "hidden layers as width:activation,... (default: ${DEFAULT-VALUE}); the output layer follows from the task")
    String layers = "256:relu,128:relu";
    @Option(names = "--init", description = "weight initialisation: he_uniform, he_normal, glorot_uniform, glorot_normal, lecun_normal (default: he for the relu family, glorot otherwise)")
    String init;
    @Option(names = "--loss", description = "loss (default: softmax_cross_entropy for classes, mse for regression)")
    String loss;
    @Option(names = "--label-smoothing", description = "label smoothing for softmax cross-entropy (default: ${DEFAULT-VALUE})")
    double labelSmoothing;
    @Option(names = "--optimizer", description = "sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad (default: ${DEFAULT-VALUE})")
    String optimizer = "adam";
    @Option(names = "--lr", description = "learning rate (default: 1e-3 for adam/adamw, 1e-2 otherwise)")
    Double lr;
    @Option(names = "--momentum", description = "momentum for sgd/rmsprop (default: ${DEFAULT-VALUE}; momentum/nesterov use 0.9 when 0)")
    double momentum;
    @Option(names = "--weight-decay", description = "optimizer weight decay (L2; decoupled for adamw) (default: ${DEFAULT-VALUE})")
    double weightDecay;
    @Option(names = "--l1", description = "L1 penalty on dense weights (default: ${DEFAULT-VALUE})")
    double l1;
    @Option(names = "--l2", description = "L2 penalty on dense weights (default: ${DEFAULT-VALUE})")
    double l2;
    @Option(names = "--schedule", paramLabel = "SPEC", description = "constant, step:S:G, exponential:G, cosine[:E], plateau[:F:P], optionally after warmup:W, (default: ${DEFAULT-VALUE})")
    String schedule = "constant";
    @Option(names = "--clip-norm", description = "clip the global gradient norm (0: off)")
    double clipNorm;
    @Option(names = "--clip-value", description = "clip each gradient element (0: off)")
    double clipValue;
    @Option(names = "--dropout", description = "dropout after each hidden layer (default: ${DEFAULT-VALUE})")
    double dropout;
    @Option(names = "--norm", description = "normalisation after each hidden layer: none, batch, layer (default: ${DEFAULT-VALUE})")
    String norm = "none";
    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 128;
    @Option(names = "--epochs", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs = 10;
    @Option(names = "--seed", description = "seed for weights, splits, shuffles and dropout (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--validation", description = "fraction of the training data held out for validation (0: none) (default: ${DEFAULT-VALUE})")
    double validation = 0.1;
    @Option(names = "--early-stopping", paramLabel = "PATIENCE", description = "stop after this many epochs without improvement (0: off)")
    int patience;
    @Option(names = "--monitor", description = "metric early stopping and plateau watch: loss or accuracy (default: ${DEFAULT-VALUE})")
    String monitor = "loss";
    @Option(names = "--normalize", description = "auto, none, pixels, minmax, standard (default: ${DEFAULT-VALUE}: pixels for IDX, minmax for the built-in data, standard for CSV)")
    String normalize = "auto";
    @Option(names = "--threads", description = "threads for the kernels (default: available processors)")
    Integer threads;
    @Option(names = "--out", paramLabel = "FILE", description = "write the trained model here (safetensors)")
    Path modelFile;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "write a checkpoint after every epoch")
    Path checkpointDir;
    @Option(names = "--resume", paramLabel = "FILE", description = "continue from a checkpoint of a run with the same settings")
    Path resume;
    @Option(names = "--report", paramLabel = "FILE", description = "write an HTML report of the run")
    Path report;
    @Option(names = "--test-every-epoch", description = "also measure the test set after every epoch (reported only; it steers nothing)")
    boolean testEveryEpoch;
    @Option(names = "--json", description = "print one JSON document (progress goes to standard error)")
    boolean json;
    @Option(names = "--quiet", description = "no progress output")
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
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter human = json ? err : out;
        long start = System.nanoTime();
        // Names are checked before anything starts, so a misspelling fails at once.
        OptimizerKind optimizerKind = OptimizerKind.parse(optimizer);
        Normalizer.Kind chosenNorm = normalize.equals("auto") ? null : Normalizer.Kind.parse(normalize);
        Metric monitored = Metric.parse(monitor);
        // Compiles the kernels while the data loads; otherwise the first steps run interpreted.
        Thread warmUp = WarmUp.inBackground();

        DataSource.Loaded loaded = DataSource.load(data, label, task, header, testFile, null);
        Dataset train = loaded.train(), test = loaded.test();
        if (loaded.kind().equals("builtin")) {
            Dataset.Split s = builtinSplit(train);
            train = s.train();
            test = s.validation();
        }
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

        boolean classify = train.isClassification();
        Loss lossFn = loss != null ? Losses.parse(loss)
                : classify ? (labelSmoothing > 0 ? Losses.softmaxCrossEntropy(labelSmoothing) : Losses.SOFTMAX_CROSS_ENTROPY)
                : Losses.MSE;
        NetworkSpec ns = NetworkSpec.parse(layers);
        SequentialBuilder b = Sequential.builder(train.featureCount()).seed(seed);
        if (threads != null) b.threads(threads);
        Init weightInit = init == null ? null : Init.parse(init);
        ns.addHidden(b, norm, dropout, weightInit);
        var outAct = classify && lossFn.fusesWith(Activations.SOFTMAX) ? Activations.SOFTMAX : Activations.IDENTITY;
        if (weightInit != null) b.dense(train.outputWidth(), outAct, weightInit);
        else b.dense(train.outputWidth(), outAct);
        if (!norm.equals("none") && !norm.equals("batch") && !norm.equals("layer")) {
            throw new IllegalArgumentException("usage: --norm takes none, batch or layer, not '" + norm + "'");
        }
        try (Sequential net = b.build()) {
            double rate = lr != null ? lr : optimizerKind.defaultLearningRate();
            Optimizer opt = optimizerKind.create(rate, momentum, weightDecay);
            Trainer.Builder tb = Trainer.builder(net, lossFn).optimizer(opt).schedule(Schedule.parse(schedule, epochs))
                    .epochs(epochs).batchSize(batch).seed(seed).clipNorm(clipNorm).clipValue(clipValue).l1(l1).l2(l2)
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
            warmUp.join();
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
