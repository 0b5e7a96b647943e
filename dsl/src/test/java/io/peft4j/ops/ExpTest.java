package io.peft4j.ops;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Activations#expInPlace}: the vectorised exp gives {@code (float) Math.exp} on a dense grid and is close in double. */
class ExpTest {
    @Test void roundsToTheSameFloatAsMathExpAndIsCloseInDouble() {
        int n = 2_000_000;
        double[] d = new double[n], v = new double[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            // a dense grid over the softmax / cross-entropy range, then random points, some positive
            v[i] = i < n / 2 ? -110.0 + 110.0 * i / (n / 2.0) : (float) (r.nextDouble() * 180 - 120);
            d[i] = v[i];
        }
        Activations.expInPlace(d, n);
        int floatDiffs = 0;
        double worstRel = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(v[i]);
            if ((float) d[i] != (float) e) floatDiffs++;
            if (v[i] > -100 && v[i] < 100) worstRel = Math.max(worstRel, Math.abs(d[i] - e) / e);
        }
        assertTrue(floatDiffs <= n / 100_000, floatDiffs + " of " + n + " round to a different float than (float) Math.exp");
        assertTrue(worstRel < 1e-11, "relative error in double " + worstRel);
    }

    @Test void tailsAndSpecialValues() {
        double[] d = {-3.4e38, -1e5, -104, 0, 1, 104, 1e5, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
        Activations.expInPlace(d, d.length);
        assertEquals(0f, (float) d[0]);                       // masked scores: exactly 0 after rounding, as Math.exp gives
        assertEquals(0f, (float) d[1]);
        assertEquals(0f, (float) d[2]);
        assertEquals(1.0, d[3], 1e-15);
        assertEquals(Math.E, d[4], 1e-13);
        assertEquals(Float.POSITIVE_INFINITY, (float) d[5]);
        assertEquals(Float.POSITIVE_INFINITY, (float) d[6]);
        assertTrue(Double.isNaN(d[7]));
        assertEquals(0f, (float) d[8]);
        assertEquals(Float.POSITIVE_INFINITY, (float) d[9]);
    }
}
