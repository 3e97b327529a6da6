package dev.jgrad.nn;

import dev.jgrad.tensor.Tensor;

/**
 * A named parameter tensor and its gradient, both views into the network's flat buffers.
 * Names follow the model file: {@code layers.0.weight}, {@code layers.0.bias}, ...
 */
public record Parameter(String name, Tensor value, Tensor grad) {
}
