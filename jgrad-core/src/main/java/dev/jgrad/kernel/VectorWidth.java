package dev.jgrad.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every Vector API class of this package computes with, so that the GEMM and
 * the fused passes agree on it: the JVM's preferred one, or the one forced with
 * {@code -Djgrad.vector.bits=128|256|512}, which the tests use to cover other machines. float64
 * vectors have as many bits as float32 ones.
 */
final class VectorWidth {
    static final VectorSpecies<Float> FS = floatSpecies();
    static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED.vectorBitSize() == FS.vectorBitSize()
            ? DoubleVector.SPECIES_PREFERRED
            : VectorSpecies.of(double.class, VectorShape.forBitSize(FS.vectorBitSize()));
    /** float32 lanes per vector. */
    static final int L = FS.length();

    private VectorWidth() {
    }

    private static VectorSpecies<Float> floatSpecies() {
        String bits = System.getProperty("jgrad.vector.bits");
        if (bits == null || bits.isBlank()) return FloatVector.SPECIES_PREFERRED;
        return VectorSpecies.of(float.class, VectorShape.forBitSize(Integer.parseInt(bits.trim())));
    }
}
