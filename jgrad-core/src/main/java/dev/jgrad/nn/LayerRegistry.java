package dev.jgrad.nn;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Layer type name → {@link LayerCodec}: how model files and checkpoints save and restore the
 * layers of a network. The built-in layers are registered here like any other; a user-defined
 * layer is registered once (e.g. in a static initialiser) before a network holding it is saved
 * or loaded. Safe for concurrent use.
 */
public final class LayerRegistry {
    private static final Map<String, LayerCodec> CODECS = new ConcurrentHashMap<>();

    static {
        register(Dense.CODEC);
        register(Dropout.CODEC);
        register(BatchNorm.CODEC);
        register(LayerNorm.CODEC);
    }

    private LayerRegistry() {
    }

    /**
     * Makes layers of {@code codec.type()} savable and loadable. Registering the same codec again
     * is harmless; another codec under a taken name is refused.
     */
    public static void register(LayerCodec codec) {
        LayerCodec before = CODECS.putIfAbsent(codec.type(), codec);
        if (before != null && before != codec) {
            throw new IllegalArgumentException("layer type '" + codec.type() + "' is already registered ("
                    + before.getClass().getName() + ")");
        }
    }

    /** The codec of a type, or an exception listing the known types. */
    public static LayerCodec codec(String type) {
        LayerCodec c = CODECS.get(type);
        if (c == null) {
            throw new IllegalArgumentException("unknown layer type '" + type + "' (known: "
                    + String.join(", ", new TreeMap<>(CODECS).keySet())
                    + "; a layer of your own is registered with LayerRegistry.register)");
        }
        return c;
    }

    /** The saved configuration of a layer. */
    public static LayerConfig write(Layer layer) {
        LayerConfig c = LayerConfig.of(layer.kind());
        codec(layer.kind()).write(layer, c);
        return c;
    }

    /** A new, unbound layer from its saved configuration. */
    public static Layer read(LayerConfig config, int inputWidth) {
        Layer l = codec(config.type()).read(config, inputWidth);
        if (l.inputSize() != inputWidth) {
            throw new IllegalArgumentException(config.type() + " layer takes [B, " + l.inputSize()
                    + "] but the layer before it gives [B, " + inputWidth + "]");
        }
        return l;
    }
}
