package dev.jgrad.onnx;

/** Constants shared by jgrad's ONNX export and import. */
public final class Onnx {
    private Onnx() {
    }

    /** The version written as {@code producer_version}. */
    public static final String PRODUCER_VERSION = "0.1.0";

    /** The newest default-domain opset the importer knows the semantics of. */
    public static final int MAX_IMPORT_OPSET = 22;
}
