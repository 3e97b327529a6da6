package dev.jgrad.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.jgrad.infer.InferenceModel;
import dev.jgrad.io.Model;
import dev.jgrad.io.ModelFile;
import dev.jgrad.onnx.OnnxExporter;
import dev.jgrad.serve.Backend;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;

/**
 * The serving peer: a jgrad model file exported by jgrad to ONNX and run in process by ONNX
 * Runtime's CPU provider, behind jgrad's HTTP server, protocol and batching ({@link Backend}).
 * One session is shared by every pass (ONNX Runtime's {@code run} is thread-safe); each call
 * runs on the calling thread alone (one intra-op thread, one inter-op thread, sequential
 * execution), as jgrad's passes do in the server, so that both spread concurrent requests over
 * the cores the same way. The exported graph holds the normaliser, so it takes raw features.
 *
 * <p>Thread-safety: the backend and its passes may be used from any number of threads.
 */
final class OrtBackend implements Backend, AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String settings;

    OrtBackend(Path modelFile) throws IOException, OrtException {
        Model model = ModelFile.load(modelFile);
        byte[] onnx = OnnxExporter.toBytes(model, OnnxExporter.Options.defaults());
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // No execution provider is added: the session runs on the CPU provider.
            session = env.createSession(onnx, o);
        }
        EnumSet<OrtProvider> providers = OrtEnvironment.getAvailableProviders();
        if (!providers.contains(OrtProvider.CPU)) throw new IllegalStateException("ONNX Runtime has no CPU provider: " + providers);
        settings = "onnxruntime " + env.getVersion() + ", providers available " + providers + ", session on CPU (no other provider added)"
                + ", intra-op threads 1, inter-op threads 1, sequential execution, all graph optimisations";
    }

    /** The version, the providers and the thread settings, for the benchmark's log. */
    String settings() {
        return settings;
    }

    @Override
    public Pass open(InferenceModel model) {
        int w = model.inputSize(), o = model.outputSize();
        return (x, xOff, rows, out, outOff) -> {
            try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x, xOff, rows * w), new long[]{rows, w});
                 OrtSession.Result r = session.run(Map.of("input", in))) {
                FloatBuffer y = ((OnnxTensor) r.get(0)).getFloatBuffer();
                if (y.remaining() != rows * o) throw new IllegalStateException("ONNX Runtime gave " + y.remaining() + " values for " + rows + " rows of " + o);
                y.get(out, outOff, rows * o);
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
            }
        };
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
