package dev.jgrad.fuzz;

import dev.jgrad.data.Normalizer;
import dev.jgrad.io.CheckpointFile;
import dev.jgrad.io.Json;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.io.SafeTensors;
import dev.jgrad.io.TrainingState;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.Optimizer;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the seed corpus of {@link ReadersFuzzTest}: small valid files of every kind, so that
 * mutations start from inputs that get deep into each reader. The safetensors seeds carry no
 * CRC (it is optional), otherwise nearly every mutation would stop at the checksum. Run from
 * jgrad-core with the test class path: {@code java -cp ... dev.jgrad.fuzz.FuzzCorpus [dir]}
 * (scripts/fuzz.sh --seeds does it); the output is committed.
 */
public final class FuzzCorpus {
    private FuzzCorpus() {
    }

    /** The default place of the corpus, relative to jgrad-core. */
    static final Path DIR = Path.of("src/test/resources/dev/jgrad/fuzz/ReadersFuzzTestInputs");

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : DIR;
        Model model = model();
        write(dir, "json", "description", Json.write(ModelFile.describe(model)).getBytes(StandardCharsets.UTF_8));
        write(dir, "json", "grammar", "{\"a\":[1,-2.5e-3,true,false,null,\"\\u00e9\\ud83d\\ude00\\n\"],\"b\":{}}".getBytes(StandardCharsets.UTF_8));
        write(dir, "json", "header", header(model.network()).getBytes(StandardCharsets.UTF_8));

        Map<String, Tensor> tensors = tensors(model.network());
        write(dir, "modelFile", "model", raw(tensors, Map.of("format", "jgrad", "jgrad", Json.write(ModelFile.describe(model)))));
        Path tmp = Files.createTempFile("seed", ".safetensors");
        ModelFile.save(tmp, model);
        write(dir, "modelFile", "model-with-crc", Files.readAllBytes(tmp));

        Optimizer adam = ReaderTargets.checkpointOptimizer();
        Map<String, Tensor> state = new LinkedHashMap<>();
        int n = model.network().parameterCount();
        for (String s : adam.stateNames()) state.put(s, Tensor.zeros(DType.F32, n));
        state.put("step", Tensor.vector(DType.F64, 3));
        TrainingState ts = new TrainingState(1, 3, CheckpointFile.optimizerKey(adam), state, 11, 12, new double[0], null,
                List.of(new TrainingState.Epoch(0, 0.5, 0.75, 1.0, 100, 1e-3, new TrainingState.Validation(10, 0.6, 0.7))));
        CheckpointFile.write(tmp, model, ts);
        write(dir, "checkpoint", "checkpoint-with-crc", Files.readAllBytes(tmp));
        SafeTensors.Contents c = SafeTensors.read(tmp);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.remove(SafeTensors.CRC_KEY);
        write(dir, "checkpoint", "checkpoint", raw(c.tensors(), meta));
        Files.delete(tmp);

        byte[] images = idx(new int[]{2, 3, 3}, new byte[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, (byte) 255});
        write(dir, "idx", "images", images);
        write(dir, "idx", "images-gzip", gzip(images));
        write(dir, "idx", "matrix", idx(new int[]{3, 2}, new byte[]{1, 2, 3, 4, 5, 6}));

        byte[] csv = "sepal,petal,\"kind, quoted\"\n5.1,1.4,setosa\n6.2,4.5,\"versi\"\"color\"\n\n7.7,-6.9e0,virginica\r\n"
                .getBytes(StandardCharsets.UTF_8);
        write(dir, "csv", "header-classes", csv);
        write(dir, "csv", "numbers", "1,2,3\n4,5,6\n7,8,9.5\n".getBytes(StandardCharsets.UTF_8));
        write(dir, "csv", "gzip", gzip(csv));
        write(dir, "csv", "bom-utf8", "\uFEFFx;é,y\n1,0\n2,1\n".getBytes(StandardCharsets.UTF_8));
    }

    static Model model() {
        Sequential net = ReaderTargets.checkpointNet();
        return new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, new Normalizer(Normalizer.Kind.MINMAX, new double[]{0, 1, 2, 3},
                new double[]{1, 0.5, 0.25, 2}), List.of("no", "yes"), new int[]{2, 2});
    }

    private static Map<String, Tensor> tensors(Sequential net) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        net.parameters().forEach(p -> t.put(p.name(), p.value()));
        net.buffers().forEach(p -> t.put(p.name(), p.value()));
        return t;
    }

    private static String header(Sequential net) {
        byte[] r = raw(tensors(net), Map.of("k", "v"));
        long n = ByteBuffer.wrap(r, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(r, 8, (int) n, StandardCharsets.UTF_8);
    }

    /** A safetensors file as SafeTensors.write makes it, without the CRC. */
    static byte[] raw(Map<String, Tensor> tensors, Map<String, String> meta) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", meta);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long begin = data.size();
            ByteBuffer b = ByteBuffer.allocate(t.size() * t.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < t.size(); i++) {
                if (t.dtype() == DType.F32) b.putFloat((float) t.get(i));
                else b.putDouble(t.get(i));
            }
            data.writeBytes(b.array());
            header.put(e.getKey(), Map.of("dtype", t.dtype().name(), "shape", t.shape().dims(), "data_offsets", List.of(begin, (long) data.size())));
        }
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.size()).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data.toByteArray()).array();
    }

    private static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }

    private static void write(Path dir, String target, String name, byte[] bytes) throws IOException {
        Files.createDirectories(dir.resolve(target));
        Files.write(dir.resolve(target).resolve(name), bytes);
    }
}
