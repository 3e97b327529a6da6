package dev.jgrad.bench;

import dev.jgrad.kernel.Kernels;
import dev.jgrad.kernel.Parallel;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * GEMM at the MLP's shapes in its three layouts and at square sizes, on 1 and 2 threads. The
 * {@code gflop} counter reports GFLOP/s directly (2·m·n·k/1e9 counted per call, per second).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
    /** The three forms of each layer of 784-256-128-10 at batch 128 (m x n x k), then square sizes. */
    @Param({"128x256x784:NT", "256x784x128:TN", "128x784x256:NN",
            "128x128x256:NT", "128x256x128:TN", "128x256x128:NN",
            "128x10x128:NT", "10x128x128:TN", "128x128x10:NN",
            "256:NN", "512:NN", "1024:NN"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private GemmShape g;
    private Parallel par;
    private final Kernels kernels = Kernels.get();

    @Setup(Level.Trial)
    public void setUp() {
        g = new GemmShape(shape);
        par = Parallel.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
    }

    /** GFLOP done, reported by JMH per second of measurement: GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;
    }

    @Benchmark
    public float[] gemm(Flops counter) {
        g.run(kernels, par);
        counter.gflop += g.flops() / 1e9;
        return g.c;
    }
}
