package io.peft4j.fuzz;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Model;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Arrays;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Token ids, masks and labels reach ND4J only after validation (a negative id in {@code gather}
 * is a SIGSEGV in ND4J 1.0.0-M2.1). Random int arrays (negative, huge, -100 in inputs, ragged or
 * empty rows, mismatched batch sizes, masks other than 0/1) go through {@link T5Model#forwardLoss},
 * {@link T5Model#logits} and {@link Generator} on a tiny model. Property: valid input runs; any
 * invalid input throws IllegalArgumentException, and a bad id's message names the value, its
 * position and the vocabulary size. A JVM crash would end the test run itself.
 */
class ModelInputFuzzTest {
    private static final T5Model MODEL = T5Model.fromConfig(Seeds.TINY, 5);
    private static final int V = Seeds.TINY.vocabSize();

    @Provide Arbitrary<int[][]> rows() {
        Arbitrary<Integer> value = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(30, Arbitraries.integers().between(0, V - 1)),
            net.jqwik.api.Tuple.of(1, Arbitraries.of(-1, -100, V, V + 1, Integer.MIN_VALUE, Integer.MAX_VALUE, -2147483647)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers()));
        Arbitrary<int[]> row = value.array(int[].class).ofMinSize(0).ofMaxSize(5);
        Arbitrary<int[][]> ragged = row.array(int[][].class).ofMinSize(0).ofMaxSize(3);
        Arbitrary<int[][]> rect = Arbitraries.integers().between(1, 3).flatMap(b -> Arbitraries.integers().between(1, 5)
            .flatMap(w -> value.array(int[].class).ofSize(w).array(int[][].class).ofSize(b)));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, ragged), net.jqwik.api.Tuple.of(4, rect));
    }

    @Provide Arbitrary<Integer> maskMode() { return Arbitraries.integers().between(0, 5); }

    /** Mask: 0-3 all ones (mostly valid), 4 random 0/1/2 values, 5 one row shorter. */
    static int[][] mask(int[][] ids, int mode, long salt) {
        int[][] m = new int[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            m[b] = new int[ids[b] == null ? 0 : ids[b].length];
            Arrays.fill(m[b], 1);
            if (mode == 4) for (int t = 0; t < m[b].length; t++) m[b][t] = (int) Math.floorMod(salt * 31 + b * 7 + t, 3);
        }
        if (mode == 5 && m.length > 0 && m[0].length > 0) m[0] = Arrays.copyOf(m[0], m[0].length - 1);
        return m;
    }

    static boolean rectangular(int[][] a) {
        if (a.length == 0 || a[0].length == 0) return false;
        for (int[] r : a) if (r.length != a[0].length) return false;
        return true;
    }

    static boolean inputsValid(int[][] ids, int[][] mask) {
        if (!rectangular(ids)) return false;
        for (int[] r : ids) for (int v : r) if (v < 0 || v >= V) return false;
        for (int b = 0; b < ids.length; b++) {
            if (mask[b].length != ids[b].length) return false;
            for (int v : mask[b]) if (v != 0 && v != 1) return false;
        }
        return true;
    }

    static boolean labelsValid(int[][] labels) {
        if (!rectangular(labels)) return false;
        for (int[] r : labels) for (int v : r) if (v != -100 && (v < 0 || v >= V)) return false;
        return true;
    }

    /** Runs {@code call}: it must succeed when {@code valid}, else throw IllegalArgumentException. */
    static void expect(boolean valid, Callable<?> call) {
        try {
            call.call();
            assertTrue(valid, "invalid input was accepted");
        } catch (IllegalArgumentException e) {
            assertFalse(valid, "valid input rejected: " + e.getMessage());
            String m = e.getMessage();
            if (m.contains("outside the vocabulary")) assertTrue(m.contains("[0, " + V + ")") && m.matches("(?s).*\\[\\d+]\\[\\d+] = -?\\d+.*"), m);
        } catch (Exception e) {
            fail("undocumented " + e, e);
        }
    }

    @Property(tries = 300)
    void forwardLossAndLogits(@ForAll("rows") int[][] ids, @ForAll("rows") int[][] labels, @ForAll("maskMode") int mode) {
        int[][] mask = mask(ids, mode, ids.length * 13L + labels.length);
        boolean sameBatch = ids.length == labels.length && ids.length > 0;
        boolean valid = sameBatch && inputsValid(ids, mask) && labelsValid(labels);
        expect(valid, () -> MODEL.forwardLoss(new Batch(ids, mask, labels), ForwardContext.inference()));
        expect(valid, () -> MODEL.logits(new Batch(ids, mask, labels)));
    }

    @Property(tries = 150)
    void generation(@ForAll("rows") int[][] ids, @ForAll("maskMode") int mode, @ForAll boolean beam) {
        int[][] mask = mask(ids, mode, ids.length);
        GenerationConfig g = MODEL.defaultGeneration().withMaxNewTokens(3).withNumBeams(beam ? 2 : 1);
        expect(inputsValid(ids, mask), () -> Generator.generate(MODEL, ids, mask, g));
    }
}
