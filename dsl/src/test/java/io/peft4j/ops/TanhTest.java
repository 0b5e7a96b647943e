package io.peft4j.ops;



import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.*;

/** The float32 tanh and the fused gated-GELU kernel against double-precision formulas. */
class TanhTest {
    @Test void rationalTanhIsWithin4e7OfMathTanhEverywhere() {
        double worst = 0, at = 0;
        for (int i = -4_000_000; i <= 4_000_000; i++) {
            float x = i * 5e-6f;                                  // [-20, 20]
            double e = Math.abs(Activations.tanhf(x) - Math.tanh(x));
            if (e > worst) { worst = e; at = x; }
        }
        assertTrue(worst < 4e-7, "max |tanhf - tanh| = " + worst + " at " + at);
        assertEquals(1f, Activations.tanhf(1e30f), 1e-6f);
        assertEquals(-1f, Activations.tanhf(Float.NEGATIVE_INFINITY), 1e-6f);
        assertEquals(0f, Activations.tanhf(0f));
        assertTrue(Float.isNaN(Activations.tanhf(Float.NaN)));
    }

    @Test void fusedGatedGeluMatchesTheDoubleFormula() {
        int n = 5000;
        FloatBuffer a = FloatBuffer.allocate(n), b = FloatBuffer.allocate(n), g = FloatBuffer.allocate(n),
            h = FloatBuffer.allocate(n), d = FloatBuffer.allocate(n);
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < n; i++) { a.put(i, (float) (r.nextGaussian() * 4)); b.put(i, (float) r.nextGaussian()); }
        Activations.geluGatedRange(a, b, g, h, d, 0, n);
        for (int i = 0; i < n; i++) {
            double v = a.get(i), t = Math.tanh(Activations.GELU_C * (v + Activations.GELU_A * v * v * v));
            double gl = 0.5 * v * (1 + t);
            double der = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Activations.GELU_C * (1 + 3 * Activations.GELU_A * v * v);
            assertEquals(gl, g.get(i), 2e-6 * Math.max(1, Math.abs(gl)), "gelu at " + v);
            assertEquals(gl * b.get(i), h.get(i), 2e-6 * Math.max(1, Math.abs(gl * b.get(i))), "gated at " + v);
            // (1 - t^2) amplifies the float tanh error at large |v|: 2e-5 there, as in any float32 framework
            assertEquals(der, d.get(i), 2e-5 * Math.max(1, Math.abs(der)), "derivative at " + v);
        }
    }
}
