package dev.jgrad.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jgrad.io.InvalidModelException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Jazzer fuzz test of the ONNX importer. In a normal test run it replays its committed
 * corpus (src/test/resources/dev/jgrad/onnx/OnnxFuzzTestInputs/onnx: the seeds
 * {@link OnnxFuzzCorpus} writes and every crash ever found); {@code scripts/fuzz.sh 180 onnx}
 * fuzzes it for as long as it is told. What it demands is in {@link OnnxFuzzTarget}.
 */
class OnnxFuzzTest {
    @FuzzTest
    void onnx(byte[] data) {
        OnnxFuzzTarget.read(data);
    }

    /** The seeds are what their names say: the valid ones import (so mutations start deep in the graph walk), the broken ones are refused. */
    @Test
    void seedsImportOrAreRefusedAsNamed() throws IOException {
        List<Path> seeds;
        try (Stream<Path> s = Files.list(OnnxFuzzCorpus.DIR)) {
            seeds = s.sorted().toList();
        }
        assertTrue(seeds.size() >= 15, seeds.size() + " seeds");
        for (Path seed : seeds) {
            String name = seed.getFileName().toString();
            byte[] bytes = Files.readAllBytes(seed);
            if (name.startsWith("broken-")) {
                assertThrows(InvalidModelException.class, () -> OnnxImporter.read(bytes, name), name);
            } else if (!name.startsWith("crash-") && !name.startsWith("regression-")) {
                assertTrue(OnnxImporter.read(bytes, name).network().parameterCount() > 0, name);
            }
        }
    }
}
