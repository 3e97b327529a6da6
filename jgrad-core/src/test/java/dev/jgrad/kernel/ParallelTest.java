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
    void rejectsZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.create(0));
    }
}
