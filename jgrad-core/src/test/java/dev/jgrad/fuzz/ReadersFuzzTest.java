package dev.jgrad.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz tests of every file reader. In a normal test run each replays its committed corpus
 * (src/test/resources/dev/jgrad/fuzz/ReadersFuzzTestInputs/&lt;target&gt;: the seeds
 * {@link FuzzCorpus} writes and every crash ever found); {@code scripts/fuzz.sh} fuzzes them
 * for as long as it is told. What each target demands is in {@link ReaderTargets}.
 */
class ReadersFuzzTest {
    @FuzzTest
    void json(byte[] data) {
        ReaderTargets.json(data);
    }

    @FuzzTest
    void modelFile(byte[] data) {
        ReaderTargets.modelFile(data);
    }

    @FuzzTest
    void checkpoint(byte[] data) {
        ReaderTargets.checkpoint(data);
    }

    @FuzzTest
    void idx(byte[] data) {
        ReaderTargets.idx(data);
    }

    @FuzzTest
    void csv(byte[] data) {
        ReaderTargets.csv(data);
    }
}
