package dev.jgrad.train;

import dev.jgrad.data.Batches;
import dev.jgrad.data.Dataset;
import dev.jgrad.kernel.TensorOps;
import dev.jgrad.nn.Loss;
import dev.jgrad.nn.Sequential;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;

/** Evaluates a network on a dataset in evaluation mode, batch by batch. */
public final class Metrics {
    private Metrics() {
    }

    public static Evaluation evaluate(Sequential net, Loss loss, Dataset data, int batchSize) {
        Batches batches = new Batches(data, batchSize, false, new Rng(0), net.dtype());
        boolean classify = data.isClassification();
        int k = data.classCount();
        int[][] confusion = new int[k][k];
        double lossSum = 0, se = 0, ae = 0;
        long outputs = 0;
        for (int b = 0; b < batches.count(); b++) {
            batches.load(b);
            Tensor x = batches.features(), t = batches.targets();
            Tensor y = net.forward(x, false);
            lossSum += net.loss(loss, t) * x.rows();
            if (classify) {
                for (int r = 0; r < y.rows(); r++) confusion[(int) t.get(r)][TensorOps.argmaxRow(y, r)]++;
            } else {
                for (int i = 0; i < y.size(); i++) {
                    double d = y.get(i) - t.get(i);
                    se += d * d;
                    ae += Math.abs(d);
                }
                outputs += y.size();
            }
        }
        int n = data.size();
        double meanLoss = n == 0 ? Double.NaN : lossSum / n;
        return classify ? Evaluation.classification(n, meanLoss, confusion, data.classNames())
                : Evaluation.regression(n, meanLoss, se / Math.max(1, outputs), ae / Math.max(1, outputs));
    }
}
