package dev.jgrad.io;

import dev.jgrad.nn.Activations;
import dev.jgrad.data.BuiltinData;
import dev.jgrad.data.Dataset;
import dev.jgrad.data.Normalizer;
import dev.jgrad.kernel.Parallel;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFileTest {
    @TempDir
    Path dir;

    static Model model() {
        Dataset d = BuiltinData.digits();
        Sequential net = Sequential.builder(64).seed(3).dense(16, Activations.RELU).batchNorm().dropout(0.1).dense(10, Activations.SOFTMAX).build();
        net.forward(Tensor.zeros(DType.F32, 4, 64), true);    // moves the running statistics off their start
        return new Model(net, Losses.SOFTMAX_CROSS_ENTROPY, Normalizer.fit(Normalizer.Kind.MINMAX, d.features()), d.classNames(), new int[]{8, 8});
    }

    @Test
    void roundTripKeepsEverything() throws IOException {
        Model m = model();
        Path f = dir.resolve("m.safetensors");
        ModelFile.save(f, m);
        Model back = ModelFile.load(f);
        assertArrayEquals(m.network().parameterBuffer().toDoubleArray(), back.network().parameterBuffer().toDoubleArray());
        assertArrayEquals(m.network().buffers().get(0).value().toDoubleArray(), back.network().buffers().get(0).value().toDoubleArray());
        assertEquals(m.network().summary(), back.network().summary());
        assertEquals(m.classNames(), back.classNames());
        assertArrayEquals(m.normalizer().scale(), back.normalizer().scale());
        assertEquals("softmax_cross_entropy", back.loss().spec());
        Dataset d = BuiltinData.digits().head(5);
        assertArrayEquals(m.predict(d.features()).toDoubleArray(), back.predict(d.features()).toDoubleArray());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void layoutIsPlainSafetensors() throws IOException {
        Path f = dir.resolve("m.safetensors");
        ModelFile.save(f, model());
        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8);
        Map<String, Object> header = Json.parseObject(new String(b, 8, (int) n, StandardCharsets.UTF_8).trim());
        @SuppressWarnings("unchecked")
        Map<String, Object> w = (Map<String, Object>) header.get("layers.0.weight");
        assertEquals("F32", w.get("dtype"));
        assertEquals(List.of(16L, 64L), w.get("shape"));
        assertEquals(List.of(0L, 16L * 64 * 4), w.get("data_offsets"));
        float first = ByteBuffer.wrap(b, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertEquals(model().network().parameter("layers.0.weight").value().get(0), first, 0);
        assertTrue(header.containsKey("batch_norm.0.running_var"));
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) header.get("__metadata__");
        assertTrue(((String) meta.get("jgrad")).contains("\"activation\":\"relu\""));
    }

    @Test
    void damagedFilesAreRefusedWithTheReason() throws IOException {
        Path f = dir.resolve("m.safetensors");
        ModelFile.save(f, model());
        byte[] good = Files.readAllBytes(f);

        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 100));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelFile.load(cut));
        assertTrue(e.getMessage().contains("cut.safetensors") && (e.getMessage().contains("truncated")
                || e.getMessage().contains("checksum")), e.getMessage());

        Path flipped = dir.resolve("flipped.safetensors");
        byte[] bad = good.clone();
        bad[bad.length - 7] ^= 0x10;
        Files.write(flipped, bad);
        e = assertThrows(InvalidModelException.class, () -> ModelFile.load(flipped));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[]{1, 2, 3});
        e = assertThrows(InvalidModelException.class, () -> ModelFile.load(tiny));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());

        Path notJson = dir.resolve("notjson.safetensors");
        byte[] nj = good.clone();
        nj[8] = 'x';
        Files.write(notJson, nj);
        e = assertThrows(InvalidModelException.class, () -> ModelFile.load(notJson));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void missingTensorAndWrongShapeAreNamed() throws IOException {
        Model m = model();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        m.network().parameters().forEach(p -> tensors.put(p.name(), p.value()));
        m.network().buffers().forEach(p -> tensors.put(p.name(), p.value()));
        Map<String, String> meta = Map.of("jgrad", Json.write(ModelFile.describe(m)));

        Map<String, Tensor> missing = new LinkedHashMap<>(tensors);
        missing.remove("layers.1.bias");
        Path f = dir.resolve("missing.safetensors");
        SafeTensors.write(f, missing, meta);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelFile.load(f));
        assertTrue(e.getMessage().contains("'layers.1.bias' is missing"), e.getMessage());

        Map<String, Tensor> wrong = new LinkedHashMap<>(tensors);
        wrong.put("layers.0.weight", Tensor.zeros(DType.F32, 16, 65));
        Path g = dir.resolve("wrong.safetensors");
        SafeTensors.write(g, wrong, meta);
        e = assertThrows(InvalidModelException.class, () -> ModelFile.load(g));
        assertTrue(e.getMessage().contains("layers.0.weight") && e.getMessage().contains("[16, 65]")
                && e.getMessage().contains("[16, 64]"), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesTheOldFileIntact() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        ModelFile.save(f, model());
        byte[] before = Files.readAllBytes(f);
        assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
            throw new IOException("disk full");
        }));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void plainWeightsFromAnyTool() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("layers.0.weight", Tensor.of(DType.F64, new double[][]{{1, 2}, {3, 4}, {5, 6}}));
        t.put("layers.0.bias", Tensor.vector(DType.F64, 0.1, 0.2, 0.3));
        t.put("layers.1.weight", Tensor.of(DType.F64, new double[][]{{1, -1, 1}}));
        t.put("layers.1.bias", Tensor.vector(DType.F64, 0.5));
        Path f = dir.resolve("plain.safetensors");
        SafeTensors.write(f, t, Map.of());
        Sequential net = ModelFile.fromPlainWeights(f, List.of("relu", "identity"), DType.F64, Parallel.common());
        Tensor y = net.forward(Tensor.of(DType.F64, new double[][]{{1, 1}}));
        assertEquals((3.1 - 7.2 + 11.3) + 0.5, y.get(0), 1e-12);
        assertThrows(InvalidModelException.class, () -> ModelFile.fromPlainWeights(f, List.of("relu"), DType.F64, Parallel.common()));
        assertThrows(InvalidModelException.class, () -> ModelFile.load(f));
    }
}
