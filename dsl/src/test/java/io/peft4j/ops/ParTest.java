package io.peft4j.ops;

import io.peft4j.model.Batch;
import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;

import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.ops.CrossEntropy;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import io.peft4j.cli.BenchCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

/** The engine's Java-loop parallelism: coverage, errors, and results independent of the thread count. */
class ParTest {
    private final int saved = Par.threads();

    @AfterEach void restore() { Par.setThreads(saved); }

    @Test void everyIndexRunsExactlyOnceForAnyThreadCount() {
        for (int threads : new int[]{1, 2, 3, 7}) {
            Par.setThreads(threads);
            for (int n : new int[]{0, 1, 5, 1000, 12345}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                Par.forRange(n, 10, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "threads " + threads + ", n " + n + ", index " + i);
            }
        }
    }

    @Test void aFailingPartIsRethrownAfterEveryPartFinished() {
        Par.setThreads(4);
        AtomicIntegerArray done = new AtomicIntegerArray(4);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Par.forRange(4000, 1, (from, to) -> {
            done.incrementAndGet(from * 4 / 4000);
            if (from >= 2000) throw new IllegalStateException("part at " + from);
        }));
        assertTrue(e.getMessage().startsWith("part at "), e.getMessage());
        for (int p = 0; p < 4; p++) assertEquals(1, done.get(p), "part " + p);
    }

    @Test void nestedCallsRunInline() {
        Par.setThreads(2);
        List<String> inner = java.util.Collections.synchronizedList(new ArrayList<>());
        Par.forRange(2, 1, (f, t) -> Par.forRange(100, 1, (a, b) -> inner.add(a + "-" + b)));
        assertEquals(List.of("0-100", "0-100"), inner);
        assertThrows(IllegalArgumentException.class, () -> Par.setThreads(0));
    }

    @Test void parallelDropoutDrawsTheSequentialMask() {
        // the fast path (plain float32) against the generic path (a float32 view), same seed
        Par.setThreads(3);
        Dropout fast = new Dropout(0.1), slow = new Dropout(0.1);
        INDArray x = Nd4j.ones(DataType.FLOAT, 301, 77);
        INDArray big = Nd4j.ones(DataType.FLOAT, 302, 77);
        INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 302), org.nd4j.linalg.indexing.NDArrayIndex.all());
        assertFalse(Fast.plain(view));
        fast.forwardInPlace(x, ForwardContext.training(5, 9));
        slow.forwardInPlace(view, ForwardContext.training(5, 9));
        assertArrayEquals(view.dup('c').data().asFloat(), x.data().asFloat());
        INDArray back = fast.backward(Nd4j.ones(DataType.FLOAT, 301, 77));       // the mask, recomputed from the seed
        assertArrayEquals(x.data().asFloat(), back.data().asFloat());
        INDArray y = Nd4j.rand(DataType.FLOAT, 301, 77), out = Nd4j.create(DataType.FLOAT, 301, 77);
        new Dropout(0.1).forwardInto(y, out, ForwardContext.training(5, 9));
        assertArrayEquals(y.mul(x).data().asFloat(), out.data().asFloat());
        double kept = x.gt(0).castTo(DataType.FLOAT).meanNumber().doubleValue();
        assertEquals(0.9, kept, 0.01, "share of kept elements");
    }

    @Test void trainingStepIsBitIdenticalForOneAndThreeThreads() {
        T5Config c = BenchCommand.demo();
        Random r = new Random(3);
        int B = 3, S = 21, T = 9;
        int[][] ids = new int[B][S], mask = new int[B][S], labels = new int[B][T];
        for (int b = 0; b < B; b++) {
            for (int s = 0; s < S; s++) { ids[b][s] = 2 + r.nextInt(c.vocabSize() - 2); mask[b][s] = s < S - b ? 1 : 0; }
            for (int t = 0; t < T; t++) labels[b][t] = t < T - b ? 2 + r.nextInt(c.vocabSize() - 2) : CrossEntropy.IGNORE;
        }
        Batch batch = new Batch(ids, mask, labels);
        double[] loss = new double[2];
        List<List<INDArray>> grads = new ArrayList<>();
        int[] threadCounts = {1, 3};
        for (int k = 0; k < 2; k++) {
            Par.setThreads(threadCounts[k]);
            T5Model m = T5Model.fromConfig(c, 11);
            m.setAllTrainable(true);
            m.zeroGrad();
            loss[k] = m.forwardLoss(batch, ForwardContext.training(1, 2));
            m.backward();
            List<INDArray> g = new ArrayList<>();
            for (Parameter p : m.parameters()) g.add(p.grad().dup());
            grads.add(g);
        }
        assertEquals(loss[0], loss[1], 0.0);
        assertTrue(loss[0] > 0 && Double.isFinite(loss[0]));
        for (int i = 0; i < grads.get(0).size(); i++)
            assertArrayEquals(grads.get(0).get(i).data().asFloat(), grads.get(1).get(i).data().asFloat(), "gradient " + i);
    }
}
