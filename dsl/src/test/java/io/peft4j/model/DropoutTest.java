package io.peft4j.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.*;

/** The dropout mask's statistics: its share, independence of neighbours and of seeds, and determinism. */
class DropoutTest {

    private static float[] mask(double p, long seed, int n) {
        INDArray x = Nd4j.ones(DataType.FLOAT, n);
        new Dropout(p).forwardInPlace(x, ForwardContext.training(seed, 0));
        return x.data().asFloat();
    }

    @ParameterizedTest(name = "p = {0}")
    @CsvSource({"0.05", "0.1", "0.3", "0.5"})
    void dropsTheRequestedShareAndScalesTheRest(double p) {
        int n = 400_000;
        float[] m = mask(p, 17, n);
        int dropped = 0, both = 0;
        for (int i = 0; i < n; i++) {
            if (m[i] == 0f) dropped++;
            else assertEquals(1.0 / (1.0 - p), m[i], 1e-6, "kept elements are scaled by 1/(1-p)");
            if (i > 0 && m[i] == 0f && m[i - 1] == 0f) both++;
        }
        double sd = Math.sqrt(p * (1 - p) / n);
        assertEquals(p, dropped / (double) n, 5 * sd, "share of dropped elements");
        double pairs = p * p, pairSd = Math.sqrt(pairs * (1 - pairs) / n);
        assertEquals(pairs, both / (double) (n - 1), 5 * pairSd, "neighbours dropped together (independence)");
    }

    @Test void sameSeedSameMaskOtherSeedOtherMask() {
        float[] a = mask(0.1, 5, 50_000), b = mask(0.1, 5, 50_000), c = mask(0.1, 6, 50_000);
        assertArrayEquals(a, b);
        int agree = 0, droppedA = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == 0f) { droppedA++; if (c[i] == 0f) agree++; }
        }
        // another seed's mask drops about p of the elements the first one dropped, not the same ones
        assertEquals(0.1, agree / (double) droppedA, 0.03, "overlap of two seeds' dropped elements");
    }

    @Test void doubleAndFloatDrawTheSameMask() {
        INDArray f = Nd4j.ones(DataType.FLOAT, 97, 31), d = Nd4j.ones(DataType.DOUBLE, 97, 31);
        new Dropout(0.2).forwardInPlace(f, ForwardContext.training(3, 1));
        new Dropout(0.2).forwardInPlace(d, ForwardContext.training(3, 1));
        assertArrayEquals(d.data().asDouble(), f.castTo(DataType.DOUBLE).data().asDouble(), 1e-6);
    }

    @Test void backwardAddIntoAddsTheMaskedGradient() {
        for (boolean plain : new boolean[]{true, false}) {
            Dropout d = new Dropout(0.25);
            INDArray x = Nd4j.rand(DataType.FLOAT, 123, 45);
            d.forwardInPlace(x.dup(), ForwardContext.training(9, 3));
            INDArray dy = Nd4j.rand(DataType.FLOAT, 123, 45), acc = Nd4j.rand(DataType.FLOAT, 123, 45);
            INDArray expected = acc.add(d.backward(dy));
            INDArray target = plain ? acc.dup() : Nd4j.rand(DataType.FLOAT, 124, 45).get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 124), org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(acc);
            d.backwardAddInto(dy, target);
            assertArrayEquals(expected.data().asFloat(), target.dup('c').data().asFloat(), 1e-6f, plain ? "plain" : "view");
        }
        Dropout off = new Dropout(0.25);
        INDArray x = Nd4j.ones(DataType.FLOAT, 4, 3), dy = Nd4j.ones(DataType.FLOAT, 4, 3), acc = Nd4j.ones(DataType.FLOAT, 4, 3);
        off.forwardInPlace(x, ForwardContext.inference());
        off.backwardAddInto(dy, acc);
        assertArrayEquals(Nd4j.valueArrayOf(new long[]{4, 3}, 2f).data().asFloat(), acc.data().asFloat(), "inactive: acc += dy");
    }

    @Test void drawsAreSplittableRandomsWordsAddressedByPosition() {
        for (long seed : new long[]{0, 1, -7, 0x9E3779B97F4A7C15L, 123456789012345L}) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            for (int w = 0; w < 500; w++) {
                long word = r.nextLong();
                assertEquals(word, Dropout.splitMix(seed, w), "seed " + seed + " word " + w);
                for (int lane = 0; lane < 4; lane++)
                    assertEquals((int) ((word >>> (16 * lane)) & 0xFFFF), Dropout.draw(seed, 4 * w + lane), "seed " + seed + " element " + (4 * w + lane));
            }
        }
    }

    @Test void everyChunkAndThreadSplitDrawsTheSameMask() {
        // lengths that are not multiples of 4 or of the chunk, threads that split at odd places
        int before = io.peft4j.ops.Par.threads();
        for (int threads : new int[]{1, 3}) {
            io.peft4j.ops.Par.setThreads(threads);
            try {
                for (int n : new int[]{1, 5, 2047, 2049, 40_003}) {
                    INDArray x = Nd4j.ones(DataType.FLOAT, n);
                    Dropout d = new Dropout(0.3);
                    d.forwardInPlace(x, ForwardContext.training(21, 4));
                    float[] got = x.data().asFloat();
                    long seed = ForwardContext.training(21, 4).nextSeed();
                    for (int i = 0; i < n; i++)
                        assertEquals(Dropout.draw(seed, i) >= Math.round(0.3 * 65536) ? (float) (1 / 0.7) : 0f, got[i], 1e-6f, "n " + n + " element " + i);
                }
            } finally {
                io.peft4j.ops.Par.setThreads(before);
            }
        }
    }
}
