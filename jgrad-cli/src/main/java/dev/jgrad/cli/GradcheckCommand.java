package dev.jgrad.cli;

import dev.jgrad.check.GradientCheck;
import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

final class GradcheckCommand extends Subcommand {
    Path model;
    String layers = "8:tanh,6:gelu";
    int inputSize = 4;
    int outputs = 3;
    String outputActivation;
    String loss = "softmax_cross_entropy";
    int batch = 4;
    long seed = 1;
    Integer sample;
    double tolerance = 1e-7;
    double floor = 1e-4;
    boolean json;

    @Override
    CommandOptions options() {
        return new CommandOptions("gradcheck",
                "Checks backpropagation against central finite differences in double precision.",
                "Prints the worst relative error |a - n| / max(|a| + |n|, floor) per parameter tensor; exit code 1 when above the tolerance.",
                "Example: jgrad gradcheck --layers 16:tanh,8:gelu --input-size 5 --outputs 3 --loss softmax_cross_entropy")
                .path("--model", "FILE", "check this model (default: a random network from --layers)", v -> model = v)
                .string("--layers", "<layers>", "hidden layers of the random network (default: 8:tanh,6:gelu)", v -> layers = v)
                .integer("--input-size", "<inputSize>", "inputs of the random network (default: 4)", v -> inputSize = v)
                .integer("--outputs", "<outputs>", "outputs of the random network (default: 3)", v -> outputs = v)
                .string("--output-activation", "<outputActivation>", "(default: softmax for softmax_cross_entropy, identity otherwise)", v -> outputActivation = v)
                .string("--loss", "<loss>", "(default: the model's, or softmax_cross_entropy)", v -> loss = v)
                .integer("--batch", "<batch>", "samples in the checked batch (default: 4)", v -> batch = v)
                .longInteger("--seed", "<seed>", "(default: 1)", v -> seed = v)
                .integer("--sample", "<sample>", "check at most this many values per tensor (default: all)", v -> sample = v)
                .decimal("--tolerance", "<tolerance>", "(default: 1.0E-7)", v -> tolerance = v)
                .decimal("--floor", "<floor>", "the floor of the denominator (default: 1.0E-4): gradients smaller than it\n"
                        + "are held to an absolute error of tolerance x floor (1e-11 by default), about what finite\n"
                        + "differences resolve; trained models have many such gradients (saturated softmax outputs)", v -> floor = v)
                .flag("--json", "print one JSON document", () -> json = true);
    }

    @Override
    int call() throws Exception {
        Sequential net;
        Loss l;
        boolean unitRange = false;
        if (model != null) {
            Model m = ModelFile.load(model);
            net = m.network();
            l = m.loss();
            // Inputs like the ones the model was trained on: normalised pixels and min-max
            // features lie in [0, 1]; far outside it the logits, and the loss, grow large
            // enough for rounding to swamp the finite differences.
            unitRange = m.normalizer().kind() == Normalizer.Kind.PIXELS || m.normalizer().kind() == Normalizer.Kind.MINMAX;
        } else {
            l = Losses.parse(loss);
            SequentialBuilder b = Sequential.builder(inputSize).dtype(DType.F64).seed(seed);
            NetworkSpec.parse(layers).addHidden(b, "none", 0);
            Activation outAct = outputActivation != null ? Activations.parse(outputActivation)
                    : l.fusesWith(Activations.SOFTMAX) ? Activations.SOFTMAX : Activations.IDENTITY;
            b.dense(outputs, outAct);
            net = b.build();
        }
        Random r = new Random(seed);
        Tensor x = Tensor.zeros(DType.F64, batch, net.inputSize());
        for (int i = 0; i < x.size(); i++) x.set(i, unitRange ? r.nextDouble() : r.nextGaussian());
        Tensor t = target(l, batch, net.outputSize(), new Rng(seed));
        // A large relu network nearly always has some pre-activation within a step of zero: leave
        // out (and count) the values whose perturbation crosses one rather than refusing outright.
        GradientCheck check = GradientCheck.defaults().floor(floor).skipKinkCrossings(true);
        if (sample != null) check = check.samplePerTensor(sample, seed);
        GradientCheck.Report rep = check.run(net, l, x, t);
        boolean ok = rep.passes(tolerance);
        var out = stdout;
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("checked", rep.checked());
            doc.put("skipped", rep.skipped());
            doc.put("max_relative_error", rep.maxRelativeError());
            doc.put("tolerance", tolerance);
            doc.put("passed", ok);
            Map<String, Object> per = new LinkedHashMap<>();
            rep.worstPerTensor().forEach((k, e) -> per.put(k, Map.of("index", e.index(), "analytic", e.analytic(),
                    "numeric", e.numeric(), "relative_error", e.relativeError())));
            doc.put("tensors", per);
            out.println(Json.write(doc));
        } else {
            out.print(net.summary());
            out.printf("loss %s, batch %d, float64, five-point central differences, error |a - n| / max(|a| + |n|, %.0e)%n%n",
                    l.spec(), batch, floor);
            out.printf("%-28s %8s %22s %22s %12s%n", "tensor", "index", "analytic", "numeric", "rel. error");
            rep.worstPerTensor().forEach((k, e) -> out.printf("%-28s %8d %22.14e %22.14e %12.3e%n", k, e.index(),
                    e.analytic(), e.numeric(), e.relativeError()));
            if (rep.skipped() > 0) out.printf("%n%d values left out: perturbing them moves a pre-activation across a kink", rep.skipped());
            out.printf("%n%d values checked; worst relative error %.3e %s tolerance %.1e: %s%n", rep.checked(),
                    rep.maxRelativeError(), ok ? "within" : "ABOVE", tolerance, ok ? "PASSED" : "FAILED");
        }
        return ok ? 0 : 1;
    }

    static Tensor target(Loss l, int rows, int cols, Rng r) {
        if (l.fusesWith(Activations.SOFTMAX)) {
            Tensor t = Tensor.zeros(DType.F64, rows, 1);
            for (int i = 0; i < rows; i++) t.set(i, r.nextInt(cols));
            return t;
        }
        Tensor t = Tensor.zeros(DType.F64, rows, cols);
        for (int i = 0; i < t.size(); i++) t.set(i, r.nextDouble());
        return t;
    }
}
