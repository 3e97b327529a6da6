package com.example.jgradext;

import dev.jgrad.nn.ElementwiseActivation;

/** An activation written outside jgrad: f(z) = (√(z² + 1) − 1)/2 + z, f'(z) = z / (2√(z² + 1)) + 1. */
public final class BentIdentity extends ElementwiseActivation {
    public static final BentIdentity INSTANCE = new BentIdentity();

    @Override public String spec() { return "bent_identity"; }
    @Override public double f(double z) { return (Math.sqrt(z * z + 1) - 1) / 2 + z; }
    @Override public double df(double z, double y) { return z / (2 * Math.sqrt(z * z + 1)) + 1; }
}
