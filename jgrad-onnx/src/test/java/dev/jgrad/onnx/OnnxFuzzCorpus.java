package dev.jgrad.onnx;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.Model;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the seed corpus of {@link OnnxFuzzTest}: models jgrad exports, a selection of the
 * committed PyTorch, scikit-learn and handmade fixtures (every operator the importer maps), and
 * a few broken files (an overlong varint, a length past the end, deep nesting, absurd dims, a
 * cut file) so that mutations start both deep in the graph walk and at the codec's limits. Run
 * from jgrad-onnx with the test class path: {@code java -cp ... dev.jgrad.onnx.OnnxFuzzCorpus [dir]}
 * (scripts/fuzz.sh --seeds does it); the output is committed.
 */
public final class OnnxFuzzCorpus {
    private OnnxFuzzCorpus() {
    }

    /** The default place of the corpus, relative to jgrad-onnx. */
    static final Path DIR = Path.of("src/test/resources/dev/jgrad/onnx/OnnxFuzzTestInputs/onnx");

    private static final List<String> FIXTURES = List.of("handmade/bias_first.onnx", "handmade/gemm_transb0.onnx",
            "sklearn/mlp_binary.onnx", "sklearn/mlp_classifier.onnx", "torch/layernorm.opset14.onnx", "torch/batchnorm.opset17.onnx",
            "torch/flatten.opset17.onnx", "torch/act_gelu_tanh.opset17.onnx", "torch/softmax.opset14.onnx", "torch/shared.opset17.onnx",
            "torch/nobias.opset17.onnx");

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : DIR;
        Files.createDirectories(dir);
        byte[] regression = OnnxExporter.toBytes(OrtExportTest.regression("gelu", 1), OnnxExporter.Options.defaults());
        write(dir, "jgrad-regression", regression);
        write(dir, "jgrad-classifier", OnnxExporter.toBytes(classifier(), new OnnxExporter.Options(17, true)));
        for (String f : FIXTURES) write(dir, f.replace('/', '-').replace(".onnx", ""), Expected.bytes(f));

        write(dir, "broken-cut", Arrays.copyOf(regression, regression.length / 2));
        byte[] overlong = new byte[12];
        overlong[0] = 0x08;
        Arrays.fill(overlong, 1, 12, (byte) 0xFF);
        write(dir, "broken-overlong-varint", overlong);
        write(dir, "broken-length-past-end", new byte[]{0x3A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2, 3});
        ProtoWriter g = new ProtoWriter().string(2, "innermost");
        for (int i = 0; i < 80; i++) {
            ProtoWriter attr = new ProtoWriter().string(1, "body").message(6, g).int64(20, 5);
            g = new ProtoWriter().message(1, new ProtoWriter().string(4, "Loop").message(5, attr));
        }
        write(dir, "broken-deep-nesting", new ProtoWriter().int64(1, 8).message(7, g).toByteArray());
        ProtoWriter dims = new ProtoWriter().packedInt64(1, new long[]{100000, 10000}).int64(2, 1).string(8, "W").bytes(9, new byte[4]);
        write(dir, "broken-absurd-dims", new ProtoWriter().int64(1, 8).message(7, new ProtoWriter().message(5, dims))
                .message(8, new ProtoWriter().int64(2, 17)).toByteArray());
    }

    /** A classifier with every layer kind jgrad exports, a standard normaliser and class names. */
    static Model classifier() {
        Sequential net = Sequential.builder(6).dense(8, Activations.GELU).batchNorm().dropout(0.3)
                .dense(5, Activations.SILU).layerNorm().dense(3, Activations.IDENTITY).seed(4).build();
        Normalizer norm = new Normalizer(Normalizer.Kind.STANDARD, new double[]{0, 1, 2, 3, 4, 5}, new double[]{1, 2, 0.5, 1, 3, 0.25});
        return new Model(net, Losses.parse("softmax_cross_entropy"), norm, List.of("a", "b", "c"), null);
    }

    private static void write(Path dir, String name, byte[] bytes) throws IOException {
        Files.write(dir.resolve(name), bytes);
    }
}
