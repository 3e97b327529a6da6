package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

/**
 * What computes a served model's answers once a request has been read and checked. By default
 * jgrad's own {@link dev.jgrad.infer.Predictor}; another engine can stand here behind the same
 * protocol, validation and batching, which is how the serving benchmark puts ONNX Runtime and
 * jgrad under one HTTP server (the protocol still takes the model's input width, output width
 * and class names from the {@link InferenceModel}).
 *
 * <p>Thread-safety: {@link #open} may be called from any thread; each {@link Pass} it returns is
 * used by one thread at a time.
 */
@FunctionalInterface
public interface Backend {
    /** A pass over {@code model} for one thread at a time (a batcher's, or a pooled one). */
    Pass open(InferenceModel model);

    /** One forward pass over checked rows of raw features. */
    @FunctionalInterface
    interface Pass {
        /**
         * Writes the answers of {@code rows} rows of {@code x} from {@code xOff}, each
         * {@code inputSize} wide, to {@code out} from {@code outOff}, each {@code outputSize}
         * wide. A failure is thrown as a runtime exception.
         */
        void predict(float[] x, int xOff, int rows, float[] out, int outOff);
    }

    /** jgrad's predictor: each row's answer has its one-row bits, in any batch. */
    static Backend jgrad() {
        return model -> model.predictor()::predict;
    }
}
