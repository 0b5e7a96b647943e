package io.peft4j.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Activation functions shared by every family, in float32 as PyTorch computes them: gelu_new (the
 * tanh form T5 v1.1 / FLAN-T5 and GPT-2 use), its derivative, and a fast float32 tanh.
 */
public final class Activations {
    private Activations() {}

    public static final double GELU_C = Math.sqrt(2.0 / Math.PI), GELU_A = 0.044715;

    /** Elements per bulk copy between native storage and Java arrays in the fused loops. */
    private static final int CH = 2048;
    private static final float GC = (float) GELU_C, GA = (float) GELU_A;

    /**
     * Gated gelu_new of elements [from, to) in float32 (as PyTorch computes it): g = gelu_new(a),
     * h = g * b and, when {@code der} is not null, gelu_new'(a). Works on Java arrays in blocks of
     * {@link #CH} so the JIT can vectorise the arithmetic.
     */
    public static void geluGatedRange(java.nio.FloatBuffer a, java.nio.FloatBuffer b, java.nio.FloatBuffer g, java.nio.FloatBuffer h,
                               java.nio.FloatBuffer der, int from, int to) {
        int cap = Math.min(CH, to - from);
        float[] av = new float[cap], bv = new float[cap], gv = new float[cap], hv = new float[cap], tv = new float[cap],
            dv = der == null ? null : new float[cap];
        for (int s0 = from; s0 < to; s0 += CH) {
            int len = Math.min(CH, to - s0);
            a.get(s0, av, 0, len);
            b.get(s0, bv, 0, len);
            // three simple loops rather than one: each is one the JIT vectorises (one loop with the
            // derivative's extra store was left scalar: 3.5x slower, 220 against 63 ms per 21M elements on one thread)
            for (int i = 0; i < len; i++) { float v = av[i]; tv[i] = tanhf(GC * (v + GA * v * v * v)); }
            for (int i = 0; i < len; i++) {
                float gl = 0.5f * av[i] * (1f + tv[i]);
                gv[i] = gl;
                hv[i] = gl * bv[i];
            }
            if (dv != null) {
                for (int i = 0; i < len; i++) {
                    float v = av[i], t = tv[i];
                    dv[i] = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * GC * (1f + 3f * GA * v * v);
                }
                der.put(s0, dv, 0, len);
            }
            g.put(s0, gv, 0, len);
            h.put(s0, hv, 0, len);
        }
    }

    /**
     * Backward of a gated activation h = act(a) * b over elements [from, to): {@code db = dh * act(a)}
     * and {@code da = dh * b * act'(a)}, from the kept {@code act(a)} and {@code act'(a)}; in chunks
     * through Java arrays (vectorised by the JIT).
     */
    public static void gatedBackwardRange(java.nio.FloatBuffer dh, java.nio.FloatBuffer act, java.nio.FloatBuffer b,
                                          java.nio.FloatBuffer der, java.nio.FloatBuffer db, java.nio.FloatBuffer da, int from, int to) {
        int cap = Math.min(CH, to - from);
        float[] d = new float[cap], x = new float[cap], y = new float[cap];
        for (int s0 = from; s0 < to; s0 += CH) {
            int len = Math.min(CH, to - s0);
            dh.get(s0, d, 0, len);
            act.get(s0, x, 0, len);
            for (int i = 0; i < len; i++) x[i] *= d[i];
            db.put(s0, x, 0, len);
            b.get(s0, x, 0, len);
            der.get(s0, y, 0, len);
            for (int i = 0; i < len; i++) x[i] = d[i] * x[i] * y[i];
            da.put(s0, x, 0, len);
        }
    }

    private static final float TANH_CLAMP = 10f;

    /**
     * Float32 tanh as a branch-free rational approximation (the odd degree-13 / even degree-6 form used
     * by Eigen and XNNPACK): absolute error below 4e-7 on the whole line (TanhTest), several times
     * faster than {@link Math#tanh} and vectorisable.
     */
    public static float tanhf(float x) {
        float xc = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, x));
        float x2 = xc * xc;
        float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
        p = x2 * p + -8.60467152213735e-11f;
        p = x2 * p + 5.12229709037114e-08f;
        p = x2 * p + 1.48572235717979e-05f;
        p = x2 * p + 6.37261928875436e-04f;
        p = x2 * p + 4.89352455891786e-03f;
        p = xc * p;
        float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
        q = x2 * q + 2.26843463243900e-03f;
        q = x2 * q + 4.89352518554385e-03f;
        // no branch, so loops over arrays vectorise: the rational crosses 1 between 9.25 and 10 (the clamp),
        // so the outer clamp makes it exactly +-1 from there on, as float32 tanh is
        return Math.max(-1f, Math.min(1f, p / q));
    }

    /**
     * {@code d[i] = exp(d[i])} for i in [0, n), in double, in a loop the JIT vectorises ({@link Math#exp}
     * is a scalar call per element, ~2x slower here: docs/BENCHMARKS.md). exp(v) = exp(v/256)^256:
     * a degree-12 Taylor polynomial on |v/256| <= 0.41 (truncation below 2e-15 relative), then 8
     * squarings (error x256): within ~1e-12 relative of {@link Math#exp}, so rounded to float it gives
     * the same value (ExpTest checks a dense grid). Inputs are clamped to [-104, 104]: below, the
     * float result is 0 as {@code (float) Math.exp} gives; above, it is +infinity. NaN stays NaN.
     */
    public static void expInPlace(double[] d, int n) {
        for (int j = 0; j < n; j++) {
            double v = Math.min(104.0, Math.max(d[j], -104.0)) * (1.0 / 256);
            double p = 1.0 / 479001600;   // 1/12!
            p = p * v + 1.0 / 39916800;
            p = p * v + 1.0 / 3628800;
            p = p * v + 1.0 / 362880;
            p = p * v + 1.0 / 40320;
            p = p * v + 1.0 / 5040;
            p = p * v + 1.0 / 720;
            p = p * v + 1.0 / 120;
            p = p * v + 1.0 / 24;
            p = p * v + 1.0 / 6;
            p = p * v + 0.5;
            p = p * v + 1.0;
            p = p * v + 1.0;
            p *= p; p *= p; p *= p; p *= p; p *= p; p *= p; p *= p; p *= p;
            d[j] = p;
        }
    }

    /** tanh through one exp (Math.tanh is several times slower here); double precision, exact at the tails. */
    public static double tanh(double u) {
        if (u > 20) return 1.0;
        if (u < -20) return -1.0;
        return 1.0 - 2.0 / (Math.exp(2.0 * u) + 1.0);
    }

    /** out = 0.5 a (1 + tanh(c (a + 0.044715 a^3))) */
    public static void geluNew(INDArray a, INDArray out) {
        INDArray t = a.mul(a).muli(GELU_A).addi(1.0).muli(a).muli(GELU_C);
        Transforms.tanh(t, false);
        out.assign(t.addi(1.0).muli(a).muli(0.5));
    }

    /** d gelu_new / da = 0.5 (1 + t) + 0.5 a (1 - t^2) c (1 + 3 * 0.044715 a^2) */
    public static INDArray geluNewDerivative(INDArray a) {
        INDArray a2 = a.mul(a);
        INDArray t = a2.mul(GELU_A).addi(1.0).muli(a).muli(GELU_C);
        Transforms.tanh(t, false);
        INDArray inner = a2.muli(3 * GELU_A).addi(1.0).muli(GELU_C);          // c (1 + 3 A a^2)
        INDArray sech2 = t.mul(t).rsubi(1.0);                                  // 1 - t^2
        return sech2.muli(inner).muli(a).muli(0.5).addi(t.addi(1.0).muli(0.5));
    }
}
