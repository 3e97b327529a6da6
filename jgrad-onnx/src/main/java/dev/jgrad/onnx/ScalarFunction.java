package dev.jgrad.onnx;

import dev.jgrad.onnx.OnnxProto.Node;

import java.util.List;
import java.util.Map;

/**
 * Evaluates a chain of element-wise ONNX nodes of one variable (e.g. the Div → Erf → Add → Mul →
 * Mul that PyTorch writes for GELU) at probe points, in float32 as ONNX Runtime would, so that
 * the importer can tell which of jgrad's activations the chain computes.
 */
final class ScalarFunction {
    private ScalarFunction() {
    }

    /** The operators such a chain may hold. */
    static final java.util.Set<String> OPS = java.util.Set.of("Add", "Sub", "Mul", "Div", "Pow", "Erf", "Tanh",
            "Sigmoid", "Exp", "Log", "Neg", "Sqrt", "Reciprocal", "Abs");

    /** Probe points: both sides of zero, the range where activations differ, and far out. */
    static final float[] PROBES;

    static {
        PROBES = new float[81];
        for (int i = 0; i < PROBES.length; i++) PROBES[i] = -10f + 0.25f * i;
    }

    /**
     * The chain's values at {@link #PROBES}: {@code nodes} in topological order, {@code x} the
     * variable, constants (one value each) in {@code scalars}; null when a node needs anything else.
     */
    static float[][] evaluate(List<Node> nodes, String x, Map<String, Float> scalars, String result) {
        int n = PROBES.length;
        Map<String, float[]> values = new java.util.HashMap<>();
        values.put(x, PROBES.clone());
        for (Node node : nodes) {
            float[][] in = new float[node.inputs().size()][];
            for (int k = 0; k < in.length; k++) {
                String name = node.inputs().get(k);
                float[] v = values.get(name);
                if (v == null) {
                    Float s = scalars.get(name);
                    if (s == null) return null;
                    v = new float[n];
                    java.util.Arrays.fill(v, s);
                }
                in[k] = v;
            }
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                float a = in[0][i], b = in.length > 1 ? in[1][i] : 0;
                out[i] = switch (node.opType()) {
                    case "Add" -> a + b;
                    case "Sub" -> a - b;
                    case "Mul" -> a * b;
                    case "Div" -> a / b;
                    case "Pow" -> (float) Math.pow(a, b);
                    case "Erf" -> (float) erf(a);
                    case "Tanh" -> (float) Math.tanh(a);
                    case "Sigmoid" -> (float) (1 / (1 + Math.exp(-a)));
                    case "Exp" -> (float) Math.exp(a);
                    case "Log" -> (float) Math.log(a);
                    case "Neg" -> -a;
                    case "Sqrt" -> (float) Math.sqrt(a);
                    case "Reciprocal" -> 1 / a;
                    case "Abs" -> Math.abs(a);
                    default -> Float.NaN;
                };
            }
            values.put(node.outputs().getFirst(), out);
        }
        float[] y = values.get(result);
        return y == null ? null : new float[][]{PROBES, y};
    }

    /** erf within about 1e-7: its Maclaurin series near 0, else the Chebyshev fit of erfc with relative error below 1.2e-7. */
    static double erf(double x) {
        double t = Math.abs(x);
        if (t < 0.5) {
            // Maclaurin series: fast and exact enough near zero
            double x2 = x * x, term = x, sum = x;
            for (int k = 1; k < 30; k++) {
                term *= -x2 / k;
                sum += term / (2 * k + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        double z = 1 / (1 + 0.5 * t);
        double r = z * Math.exp(-t * t - 1.26551223 + z * (1.00002368 + z * (0.37409196 + z * (0.09678418
                + z * (-0.18628806 + z * (0.27886807 + z * (-1.13520398 + z * (1.48851587
                + z * (-0.82215223 + z * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
