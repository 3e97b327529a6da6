package dev.jgrad.kernel;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    @Test
    void everyTaskRunsExactlyOnce() {
        try (Parallel p = Parallel.create(3)) {
            for (int n : new int[]{1, 2, 3, 7, 100}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                for (int round = 0; round < 50; round++) p.run(n, hits::incrementAndGet);
                for (int i = 0; i < n; i++) assertEquals(50, hits.get(i), "task " + i + " of " + n);
            }
        }
    }

    @Test
    void tasksRunOnTheCallerAndTheWorkersWhoseIdsThePoolGives() {
        try (Parallel p = Parallel.create(3)) {
            long[] workers = p.workerThreadIds();
            assertEquals(2, workers.length);
            Set<Long> allowed = new HashSet<>(List.of(workers[0], workers[1],
                    Thread.currentThread().threadId()));
            assertEquals(3, allowed.size(), "distinct threads");
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            for (int round = 0; round < 20; round++) p.run(64, i -> seen.add(Thread.currentThread().threadId()));
            assertTrue(allowed.containsAll(seen), seen + " outside " + allowed);
        }
        try (Parallel one = Parallel.create(1)) {
            assertEquals(0, one.workerThreadIds().length);
        }
    }

    @Test
    void aFailingTaskIsRethrownToTheCaller() {
        try (Parallel p = Parallel.create(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.run(4, i -> {
                if (i == 3) throw new IllegalStateException("task 3 failed");
            }));
            assertEquals("task 3 failed", e.getMessage());
            // The pool still works afterwards.
            AtomicIntegerArray hits = new AtomicIntegerArray(4);
            p.run(4, hits::incrementAndGet);
            assertEquals(1, hits.get(3));
        }
    }

    @Test
    void nestedCallsRunOnTheCaller() {
        try (Parallel p = Parallel.create(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(6);
            p.run(2, outer -> p.run(3, inner -> hits.incrementAndGet(outer * 3 + inner)));
            for (int i = 0; i < 6; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void eachThreadStartsOnItsOwnShare() throws Exception {
        try (Parallel p = Parallel.create(2)) {
            long worker = p.workerThreadIds()[0];
            java.util.concurrent.CountDownLatch workerStarted = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger workerFirst = new java.util.concurrent.atomic.AtomicInteger(-1);
            for (int round = 0; round < 20 && workerFirst.get() < 0; round++) {
                p.run(4, i -> {
                    if (Thread.currentThread().threadId() == worker) {
                        workerFirst.compareAndSet(-1, i);
                        workerStarted.countDown();
                    } else if (i == 0) {
                        // The caller holds its first task until the worker has claimed one: with
                        // one queue for both, that would be task 1; with shares it is task 2.
                        try {
                            workerStarted.await(2, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
            }
            assertEquals(2, workerFirst.get(), "the worker's first task (tasks 0-1 are the caller's share, 2-3 its own)");
        }
    }

    @Test
    void rejectsZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.create(0));
    }
}
