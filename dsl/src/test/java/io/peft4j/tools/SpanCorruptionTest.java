package io.peft4j.tools;

import io.peft4j.tools.SpanCorruption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SpanCorruptionTest {
    static final int SENTINEL0 = 999, EOS = 1;

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 7, 20, 64, 257})
    void inputAndTargetReassembleTheOriginal(int n) {
        SpanCorruption sc = SpanCorruption.t5(SENTINEL0, EOS);
        SplittableRandom rng = new SplittableRandom(n);
        for (int trial = 0; trial < 20; trial++) {
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) tokens[i] = 10 + rng.nextInt(500);
            SpanCorruption.Example ex = sc.apply(tokens, rng);
            assertEquals(EOS, ex.input()[ex.input().length - 1]);
            assertEquals(EOS, ex.target()[ex.target().length - 1]);
            // replace each sentinel in the input by the span that follows it in the target
            List<Integer> rebuilt = new ArrayList<>();
            int masked = 0;
            for (int i = 0; i < ex.input().length - 1; i++) {
                int t = ex.input()[i];
                if (t > 900) {
                    int k = 0;
                    while (ex.target()[k] != t) k++;
                    for (k++; k < ex.target().length - 1 && ex.target()[k] <= 900; k++) { rebuilt.add(ex.target()[k]); masked++; }
                } else rebuilt.add(t);
            }
            assertArrayEquals(tokens, rebuilt.stream().mapToInt(Integer::intValue).toArray());
            int expectedNoise = Math.min(Math.max((int) Math.round(n * 0.15), 1), n - 1);
            assertEquals(expectedNoise, masked, "noise tokens for n=" + n);
        }
    }

    @Test
    void sentinelsDescendFromFirstId() {
        int[] tokens = new int[100];
        for (int i = 0; i < 100; i++) tokens[i] = 10 + i;
        SpanCorruption.Example ex = SpanCorruption.t5(SENTINEL0, EOS).apply(tokens, new SplittableRandom(3));
        int expect = SENTINEL0;
        for (int t : ex.target()) if (t > 900) assertEquals(expect--, t);
        assertEquals(SENTINEL0 - 5, expect, "15 noise tokens / mean 3 = 5 spans");
    }

    @Test
    void deterministicForSeed() {
        int[] tokens = new int[50];
        for (int i = 0; i < 50; i++) tokens[i] = 10 + i;
        var sc = SpanCorruption.t5(SENTINEL0, EOS);
        assertArrayEquals(sc.apply(tokens, new SplittableRandom(7)).input(), sc.apply(tokens, new SplittableRandom(7)).input());
    }

    @Test
    void rejectsBadSettings() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SpanCorruption(1.5, 3, 10, 1));
        assertTrue(e.getMessage().contains("noiseDensity") && e.getMessage().contains("1.5"));
        assertThrows(IllegalArgumentException.class, () -> new SpanCorruption(0.15, 0.5, 10, 1));
    }
}
