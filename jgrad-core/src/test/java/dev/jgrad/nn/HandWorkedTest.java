package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A 2-3-2 network worked by hand: relu hidden layer, identity output, MSE loss, one sample.
 *
 * <pre>
 * x  = (1, 2)
 * W1 = [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]     b1 = (0.1, -0.1, 0.2)
 * z1 = W1 x + b1 = (0.1+0.4+0.1, -0.3+0.8-0.1, 0.5-1.2+0.2) = (0.6, 0.4, -0.5)
 * y1 = relu(z1) = (0.6, 0.4, 0)
 * W2 = [[0.7, -0.8, 0.9], [0.2, 0.3, -0.4]]        b2 = (0.05, -0.05)
 * z2 = W2 y1 + b2 = (0.42-0.32+0+0.05, 0.12+0.12+0-0.05) = (0.15, 0.19) = y2
 * t  = (0, 1)
 * L  = ((0.15-0)² + (0.19-1)²)/2 = (0.0225 + 0.6561)/2 = 0.3393
 * ∇_y2 L = 2(y2 - t)/2 = (0.15, -0.81);  f'(z2) = (1, 1);  δ2 = (0.15, -0.81)
 * dL/dW2 = δ2 y1ᵀ = [[0.15·0.6, 0.15·0.4, 0], [-0.81·0.6, -0.81·0.4, 0]] = [[0.09, 0.06, 0], [-0.486, -0.324, 0]]
 * dL/db2 = δ2 = (0.15, -0.81)
 * ∇_y1 L = W2ᵀ δ2 = (0.7·0.15+0.2·(-0.81), -0.8·0.15+0.3·(-0.81), 0.9·0.15-0.4·(-0.81))
 *        = (0.105-0.162, -0.12-0.243, 0.135+0.324) = (-0.057, -0.363, 0.459)
 * f'(z1) = (1, 1, 0);  δ1 = ∇_y1 L ⊙ f'(z1) = (-0.057, -0.363, 0)
 * dL/dW1 = δ1 xᵀ = [[-0.057, -0.114], [-0.363, -0.726], [0, 0]]
 * dL/db1 = δ1 = (-0.057, -0.363, 0)
 * dL/dx  = W1ᵀ δ1 = (0.1·(-0.057)-0.3·(-0.363)+0, 0.2·(-0.057)+0.4·(-0.363)+0) = (0.1032, -0.1566)
 * </pre>
 */
class HandWorkedTest {

    @ParameterizedTest
    @EnumSource(DType.class)
    void twoThreeTwoNetwork(DType dtype) {
        Sequential net = Sequential.builder(2).dtype(dtype).dense(3, Activations.RELU).dense(2, Activations.IDENTITY).build();
        set(net, "layers.0.weight", 0.1, 0.2, -0.3, 0.4, 0.5, -0.6);
        set(net, "layers.0.bias", 0.1, -0.1, 0.2);
        set(net, "layers.1.weight", 0.7, -0.8, 0.9, 0.2, 0.3, -0.4);
        set(net, "layers.1.bias", 0.05, -0.05);
        double tol = dtype == DType.F64 ? 1e-15 : 1e-6;

        Tensor y = net.forward(Tensor.of(dtype, new double[][]{{1, 2}}), true);
        Dense d1 = (Dense) net.layers().get(0), d2 = (Dense) net.layers().get(1);
        expect(d1.preActivation(), tol, 0.6, 0.4, -0.5);
        expect(d2.preActivation(), tol, 0.15, 0.19);
        expect(y, tol, 0.15, 0.19);

        net.zeroGrad();
        double loss = net.backward(Losses.MSE, Tensor.of(dtype, new double[][]{{0, 1}}), true);
        assertEquals(0.3393, loss, tol);
        expect(net.parameter("layers.1.weight").grad(), tol, 0.09, 0.06, 0, -0.486, -0.324, 0);
        expect(net.parameter("layers.1.bias").grad(), tol, 0.15, -0.81);
        expect(net.parameter("layers.0.weight").grad(), tol, -0.057, -0.114, -0.363, -0.726, 0, 0);
        expect(net.parameter("layers.0.bias").grad(), tol, -0.057, -0.363, 0);
        expect(net.inputGradient(), tol, 0.1032, -0.1566);

        // Gradients accumulate until zeroGrad, as in PyTorch.
        net.forward(Tensor.of(dtype, new double[][]{{1, 2}}), true);
        net.backward(Losses.MSE, Tensor.of(dtype, new double[][]{{0, 1}}));
        expect(net.parameter("layers.1.bias").grad(), tol, 0.30, -1.62);
        net.zeroGrad();
        expect(net.parameter("layers.1.bias").grad(), 0, 0, 0);
    }

    private static void set(Sequential net, String name, double... values) {
        Tensor t = net.parameter(name).value();
        assertEquals(values.length, t.size(), name);
        for (int i = 0; i < values.length; i++) t.set(i, values[i]);
    }

    private static void expect(Tensor t, double tol, double... values) {
        assertEquals(values.length, t.size());
        for (int i = 0; i < values.length; i++) assertEquals(values[i], t.get(i), tol, "element " + i);
    }
}
