package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Batch norm over a batch split into parts equals batch norm over the whole batch (float64). */
class BatchSumsTest {
    static final int ROWS = 11, WIDTH = 4;

    /** Parts as threads that add their arrays in part order, as a ring would. */
    static final class Parts {
        final CyclicBarrier barrier;
        final double[][] slots;

        Parts(int n) {
            barrier = new CyclicBarrier(n);
            slots = new double[n][];
        }

        BatchSums part(int r) {
            return new BatchSums() {
                @Override public void sumStatistics(double[] a) { sum(r, a); }
                @Override public void sumGradients(double[] a) { sum(r, a); }
            };
        }

        void sum(int r, double[] a) {
            try {
                slots[r] = a.clone();
                barrier.await();
                for (int i = 0; i < a.length; i++) {
                    double s = slots[0][i];
                    for (int p = 1; p < slots.length; p++) s += slots[p][i];
                    a[i] = s;
                }
                barrier.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static Tensor rows(double[] v, int from, int to) {
        Tensor t = Tensor.zeros(DType.F64, to - from, WIDTH);
        for (int i = 0; i < (to - from) * WIDTH; i++) t.set(i, v[from * WIDTH + i]);
        return t;
    }

    static Sequential net() {
        Sequential net = Sequential.builder(WIDTH).dtype(DType.F64).batchNorm().build();
        for (Parameter p : net.parameters()) for (int i = 0; i < p.value().size(); i++) p.value().set(i, 0.7 + 0.13 * i);
        return net;
    }

    @Test
    void aSplitBatchHasTheWholeBatchsStatisticsAndGradient() throws Exception {
        Random r = new Random(9);
        double[] x = new double[ROWS * WIDTH], g = new double[ROWS * WIDTH];
        for (int i = 0; i < x.length; i++) {
            x[i] = 3 * r.nextGaussian() + (i % WIDTH);
            g[i] = r.nextGaussian();
        }
        Sequential whole = net();
        BatchNorm one = (BatchNorm) whole.layers().getFirst();
        Tensor y1 = one.forward(rows(x, 0, ROWS), true).copy();
        Tensor dx1 = one.backward(rows(g, 0, ROWS), true).copy();

        // Parts of 1, 0 and 10 rows: one row alone, and a part with none that still takes part.
        int[] from = {0, 1, 1}, to = {1, 1, ROWS};
        Parts parts = new Parts(3);
        List<Sequential> nets = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Tensor[]>> out = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                Sequential net = net();
                nets.add(net);
                net.sumBatchStatistics(parts.part(p));
                int part = p;
                out.add(pool.submit(() -> {
                    if (from[part] == to[part]) {
                        net.joinBatchWithoutRows();
                        return new Tensor[0];
                    }
                    BatchNorm b = (BatchNorm) net.layers().getFirst();
                    Tensor y = b.forward(rows(x, from[part], to[part]), true).copy();
                    Tensor dx = b.backward(rows(g, from[part], to[part]), true).copy();
                    return new Tensor[]{y, dx};
                }));
            }
            for (int p = 0; p < 3; p++) {
                Tensor[] got = out.get(p).get();
                if (got.length == 0) continue;
                for (int i = 0; i < (to[p] - from[p]) * WIDTH; i++) {
                    int w = from[p] * WIDTH + i;
                    assertEquals(y1.get(w), got[0].get(i), 1e-12, "y at " + w);
                    assertEquals(dx1.get(w), got[1].get(i), 1e-12, "dx at " + w);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        // Every part moved its running statistics as the whole batch did.
        for (Sequential net : nets) {
            for (int k = 0; k < 2; k++) {
                Tensor want = whole.buffers().get(k).value(), got = net.buffers().get(k).value();
                for (int j = 0; j < WIDTH; j++) assertEquals(want.get(j), got.get(j), 1e-12, whole.buffers().get(k).name());
            }
        }
        // The parameter gradients stay each part's own: they add up to the whole batch's.
        Tensor want = whole.gradientBuffer();
        for (int i = 0; i < want.size(); i++) {
            double sum = 0;
            for (Sequential net : nets) sum += net.gradientBuffer().get(i);
            assertEquals(want.get(i), sum, 1e-12, "gradient " + i);
        }
        assertEquals(0, nets.get(1).gradientBuffer().get(0), 0.0);
    }

    @Test
    void withoutSumsALayerStillNeedsTwoRowsAndCannotJoinWithoutRows() {
        Sequential net = net();
        BatchNorm b = (BatchNorm) net.layers().getFirst();
        assertThrows(IllegalArgumentException.class, () -> b.forward(rows(new double[WIDTH], 0, 1), true));
        assertThrows(IllegalStateException.class, net::joinBatchWithoutRows);
    }
}
