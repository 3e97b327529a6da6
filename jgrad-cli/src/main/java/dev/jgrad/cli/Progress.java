package dev.jgrad.cli;

import dev.jgrad.train.EpochResult;
import dev.jgrad.train.TrainingListener;

import java.io.PrintWriter;

/**
 * Shows training as it goes: on a terminal, a bar per epoch redrawn in place with throughput,
 * loss and time left; elsewhere (a pipe, a log, CI) one plain line per epoch.
 */
final class Progress implements TrainingListener {
    private final PrintWriter out;
    private final boolean terminal;
    private final boolean classify;
    private int epochs;
    private long epochStart;
    private long lastDraw;
    private double lossSum;
    private int lossCount;

    Progress(PrintWriter out, boolean terminal, boolean classify) {
        this.out = out;
        this.terminal = terminal;
        this.classify = classify;
    }

    /** A terminal is one where the console is interactive and TERM is not dumb. */
    static boolean onTerminal() {
        java.io.Console c = System.console();
        boolean tty;
        try {
            tty = c != null && c.isTerminal();
        } catch (NoSuchMethodError e) {
            tty = c != null;
        }
        return tty && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public void onTrainStart(int epochs, int batchesPerEpoch, int samplesPerEpoch) {
        this.epochs = epochs;
    }

    @Override
    public void onEpochStart(int epoch) {
        epochStart = System.nanoTime();
        lastDraw = 0;
        lossSum = 0;
        lossCount = 0;
    }

    @Override
    public void onBatchEnd(int epoch, int batch, int batches, double loss, int samples) {
        lossSum += loss;
        lossCount++;
        if (!terminal) return;
        long now = System.nanoTime();
        if (batch + 1 < batches && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double secs = (now - epochStart) / 1e9;
        double frac = (batch + 1) / (double) batches;
        int width = 30, filled = (int) Math.round(frac * width);
        String bar = "█".repeat(filled) + "░".repeat(width - filled);
        double eta = frac > 0 ? secs / frac - secs : 0;
        out.printf("\repoch %d/%d %s %3d%%  loss %.4f  %,.0f samples/s  %s left ", epoch + 1, epochs, bar,
                (int) (frac * 100), lossSum / lossCount, samples / Math.max(secs, 1e-9), time(eta));
        out.flush();
    }

    @Override
    public void onEpochEnd(EpochResult r) {
        StringBuilder sb = new StringBuilder();
        if (terminal) sb.append("\r\033[K");
        sb.append(String.format("epoch %d/%d  loss %.4f", r.epoch() + 1, epochs, r.trainLoss()));
        if (classify) sb.append(String.format("  acc %.4f", r.trainAccuracy()));
        if (r.validation() != null) {
            sb.append(String.format("  val_loss %.4f", r.validation().loss()));
            if (classify) sb.append(String.format("  val_acc %.4f", r.validation().accuracy()));
            else sb.append(String.format("  val_mae %.4f", r.validation().mae()));
        }
        sb.append(String.format("  %,.0f samples/s  %.2fs  lr %.3g", r.samplesPerSecond(), r.seconds(), r.learningRate()));
        out.println(sb);
        out.flush();
    }

    static String time(double s) {
        if (s < 60) return String.format("%.0fs", s);
        return String.format("%dm%02ds", (int) (s / 60), (int) (s % 60));
    }
}
