package dev.jgrad.bench;

import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Inference latency of the 784-256-128-10 MLP: one sample and a batch of 128. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class InferenceBenchmark {
    @Param({"1", "128"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private Sequential net;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        net = Sequential.builder(784).threads(threads).dense(256, Activations.RELU).dense(128, Activations.RELU).dense(10, Activations.SOFTMAX).build();
        x = Tensor.zeros(DType.F32, batch, 784);
        Random r = new Random(1);
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        net.close();
    }

    @Benchmark
    public Tensor forward() {
        return net.forward(x);
    }
}
