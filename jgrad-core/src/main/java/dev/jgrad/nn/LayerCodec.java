package dev.jgrad.nn;

/**
 * How one type of layer is saved and restored: its configuration written to a
 * {@link LayerConfig} and read back. The tensors (parameters and buffers) are saved by name by
 * the model file; a codec deals only in configuration. Built-in layers have theirs, and a
 * user-defined layer becomes savable by registering one with {@link LayerRegistry#register}.
 */
public interface LayerCodec {

    /** The type name, equal to {@link Layer#kind()} of the layers this codec handles. */
    String type();

    /** Writes the configuration of {@code layer} (of this codec's type). */
    void write(Layer layer, LayerConfig config);

    /**
     * A new, unbound layer from its configuration; {@code inputWidth} is what the layer before it
     * gives. Throws {@link IllegalArgumentException}, naming the field, for a configuration that
     * cannot be read or does not fit that width.
     */
    Layer read(LayerConfig config, int inputWidth);
}
