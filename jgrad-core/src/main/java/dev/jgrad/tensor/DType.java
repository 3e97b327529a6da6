package dev.jgrad.tensor;

/** Element type of a tensor: float32 for training, float64 for exact checks. */
public enum DType {
    F32(4), F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses "f32", "float32", "float", "single" and the f64 spellings, case-insensitively. */
    public static DType parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32", "float", "single" -> F32;
            case "f64", "float64", "double" -> F64;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (expected f32 or f64)");
        };
    }
}
