package dev.jgrad.train;

import java.util.List;

/**
 * Metrics of a model on a dataset. For classifiers: loss, accuracy, the confusion matrix
 * (rows: true class, columns: predicted) and per-class precision, recall and F1; for
 * regression: loss, MSE and MAE over all outputs. Fields that do not apply are NaN or empty.
 */
public record Evaluation(int samples, double loss, double accuracy, int[][] confusion, double[] precision,
                         double[] recall, double[] f1, double mse, double mae, List<String> classNames) {

    public boolean isClassification() {
        return !classNames.isEmpty();
    }

    /** The value early stopping and plateau schedules watch: "loss", "accuracy", "mse" or "mae". */
    public double metric(Metric m) {
        return switch (m) {
            case LOSS -> loss;
            case ACCURACY -> accuracy;
            case MSE -> mse;
            case MAE -> mae;
        };
    }

    /** Macro-averaged F1. */
    public double macroF1() {
        if (f1.length == 0) return Double.NaN;
        double s = 0;
        for (double v : f1) s += v;
        return s / f1.length;
    }

    static Evaluation classification(int n, double loss, int[][] confusion, List<String> classes) {
        int k = confusion.length;
        double[] p = new double[k], r = new double[k], f = new double[k];
        long correct = 0;
        for (int c = 0; c < k; c++) {
            long tp = confusion[c][c], predicted = 0, actual = 0;
            for (int o = 0; o < k; o++) {
                predicted += confusion[o][c];
                actual += confusion[c][o];
            }
            correct += tp;
            p[c] = predicted == 0 ? 0 : (double) tp / predicted;
            r[c] = actual == 0 ? 0 : (double) tp / actual;
            f[c] = p[c] + r[c] == 0 ? 0 : 2 * p[c] * r[c] / (p[c] + r[c]);
        }
        return new Evaluation(n, loss, n == 0 ? Double.NaN : (double) correct / n, confusion, p, r, f,
                Double.NaN, Double.NaN, classes);
    }

    static Evaluation regression(int n, double loss, double mse, double mae) {
        return new Evaluation(n, loss, Double.NaN, new int[0][0], new double[0], new double[0], new double[0], mse, mae, List.of());
    }

    /** A text report: the metrics, then per-class lines and the confusion matrix for classifiers. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        if (!isClassification()) {
            sb.append(String.format("samples %d  loss %.6f  mse %.6f  mae %.6f%n", samples, loss, mse, mae));
            return sb.toString();
        }
        sb.append(String.format("samples %d  loss %.4f  accuracy %.4f  macro-F1 %.4f%n%n", samples, loss, accuracy, macroF1()));
        int w = 5;
        for (String c : classNames) w = Math.max(w, c.length());
        sb.append(String.format("%-" + w + "s  precision  recall  f1%n", "class"));
        for (int c = 0; c < classNames.size(); c++) {
            sb.append(String.format("%-" + w + "s  %9.4f  %6.4f  %6.4f%n", classNames.get(c), precision[c], recall[c], f1[c]));
        }
        sb.append("\nconfusion matrix (rows: true class, columns: predicted)\n");
        int cw = 5;
        for (int[] row : confusion) for (int v : row) cw = Math.max(cw, Integer.toString(v).length() + 1);
        sb.append(" ".repeat(w));
        for (int c = 0; c < classNames.size(); c++) sb.append(String.format("%" + cw + "d", c));
        sb.append('\n');
        for (int c = 0; c < classNames.size(); c++) {
            sb.append(String.format("%-" + w + "s", classNames.get(c)));
            for (int v : confusion[c]) sb.append(String.format("%" + cw + "d", v));
            sb.append('\n');
        }
        return sb.toString();
    }
}
