package io.peft4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * T5's feed-forward: {@code wo(drop(relu(wi x)))} or the gated form
 * {@code wo(drop(gelu_new(wi_0 x) * wi_1 x))} of FLAN-T5 / T5 v1.1. The GELU is the tanh
 * approximation ({@code gelu_new}), written out here because ND4J's {@code gelu} is the sigmoid one.
 */
public final class FeedForward {
    static final double GELU_C = Math.sqrt(2.0 / Math.PI), GELU_A = 0.044715;
    final Slot wi, wi1, wo;           // wi is wi_0 when gated; wi1 null unless gated
    final boolean gated;
    private static final int GRAIN = 1 << 14;
    private final Dropout drop;
    private final Buf h = new Buf(), g = new Buf(), dx = new Buf(), dlB = new Buf(), daB = new Buf(), derB = new Buf();
    private boolean derValid;          // derB holds gelu_new'(wi_0 x) of the last (training, float32) forward
    private INDArray pre0, pre1;      // wi / wi_0 output and wi_1 output of the last forward

    public FeedForward(Slot wi, Slot wi1, Slot wo, double dropout) {
        this.wi = wi; this.wi1 = wi1; this.wo = wo; this.gated = wi1 != null;
        this.drop = new Dropout(dropout);
    }

    /** @param x [N, d] @return [N, d] */
    public INDArray forward(INDArray x, ForwardContext ctx) {
        pre0 = wi.get().forward(x, ctx);
        INDArray hid = h.get(pre0.dataType(), pre0.shape());
        if (gated && Fast.plain(pre0, hid)) {
            pre1 = wi1.get().forward(x, ctx);
            INDArray gl = g.get(pre0.dataType(), pre0.shape());
            java.nio.FloatBuffer a = Fast.fb(pre0), b = Fast.fb(pre1), gb = Fast.fb(gl), hb = Fast.fb(hid);
            int n = (int) pre0.length();
            java.nio.FloatBuffer db = ctx.training() ? Fast.fb(derB.get(pre0.dataType(), pre0.shape())) : null;
            Par.forRange(n, GRAIN, (from, to) -> geluGatedRange(a, b, gb, hb, db, from, to));
            derValid = db != null;
        } else if (gated) {
            derValid = false;
            pre1 = wi1.get().forward(x, ctx);
            INDArray gl = g.get(pre0.dataType(), pre0.shape());
            geluNew(pre0, gl);
            hid.assign(gl).muli(pre1);
        } else {
            hid.assign(pre0);
            Transforms.relu(hid, false);
        }
        drop.forwardInPlace(hid, ctx);
        return wo.get().forward(hid, ctx);
    }

    /** @param dOut [N, d] @return dx [N, d] */
    public INDArray backward(INDArray dOut) {
        INDArray dh = drop.backward(wo.get().backward(dOut));
        if (!gated) {
            INDArray dpre = dh.mul(Transforms.step(pre0, true));
            return wi.get().backward(dpre);
        }
        INDArray gl = g.get(pre0.dataType(), pre0.shape());
        if (derValid && Fast.plain(dh, gl, pre0, pre1)) {
            INDArray dl = dlB.get(dh.dataType(), dh.shape()), da = daB.get(dh.dataType(), dh.shape());
            java.nio.FloatBuffer d = Fast.fb(dh), gb = Fast.fb(gl), b = Fast.fb(pre1),
                lb = Fast.fb(dl), ab = Fast.fb(da), der = Fast.fb(derB.get(dh.dataType(), dh.shape()));
            int n = (int) dh.length();
            Par.forRange(n, GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float dv = d.get(i);
                    lb.put(i, dv * gb.get(i));
                    ab.put(i, dv * b.get(i) * der.get(i));
                }
            });
            INDArray dx0 = wi.get().backward(da);
            INDArray dx1 = wi1.get().backward(dl);
            INDArray out = dx.get(dx0.dataType(), dx0.shape());
            if (Fast.plain(dx0, dx1, out)) Fast.add(dx0, dx1, out);
            else out.assign(dx0).addi(dx1);
            return out;
        }
        INDArray dl = dh.mul(gl);                              // d wi_1 output
        INDArray da = dh.mul(pre1).muli(geluNewDerivative(pre0));
        INDArray dx0 = wi.get().backward(da);
        INDArray dx1 = wi1.get().backward(dl);
        return dx.get(dx0.dataType(), dx0.shape()).assign(dx0).addi(dx1);
    }

    /** Elements per bulk copy between native storage and Java arrays in the fused loops. */
    private static final int CH = 2048;
    private static final float GC = (float) GELU_C, GA = (float) GELU_A;

    /**
     * Gated gelu_new of elements [from, to) in float32 (as PyTorch computes it): g = gelu_new(a),
     * h = g * b and, when {@code der} is not null, gelu_new'(a). Works on Java arrays in blocks of
     * {@link #CH} so the JIT can vectorise the arithmetic.
     */
    static void geluGatedRange(java.nio.FloatBuffer a, java.nio.FloatBuffer b, java.nio.FloatBuffer g, java.nio.FloatBuffer h,
                               java.nio.FloatBuffer der, int from, int to) {
        float[] av = new float[CH], bv = new float[CH], gv = new float[CH], hv = new float[CH], dv = der == null ? null : new float[CH];
        for (int s0 = from; s0 < to; s0 += CH) {
            int len = Math.min(CH, to - s0);
            a.get(s0, av, 0, len);
            b.get(s0, bv, 0, len);
            for (int i = 0; i < len; i++) {
                float v = av[i];
                float t = tanhf(GC * (v + GA * v * v * v));
                float gl = 0.5f * v * (1f + t);
                gv[i] = gl;
                hv[i] = gl * bv[i];
            }
            if (dv != null) {
                for (int i = 0; i < len; i++) {
                    float v = av[i], v2 = v * v;
                    float t = tanhf(GC * (v + GA * v2 * v));
                    dv[i] = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * GC * (1f + 3f * GA * v2);
                }
                der.put(s0, dv, 0, len);
            }
            g.put(s0, gv, 0, len);
            h.put(s0, hv, 0, len);
        }
    }

    private static final float TANH_CLAMP = 7.99881172180175781f;

    /**
     * Float32 tanh as a branch-free rational approximation (the odd degree-13 / even degree-6 form used
     * by Eigen and XNNPACK): absolute error below 4e-7 on the whole line (TanhTest), several times
     * faster than {@link Math#tanh} and vectorisable.
     */
    static float tanhf(float x) {
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
        return Math.abs(x) >= 9f ? Math.copySign(1f, x) : p / q;   // float32 tanh is exactly +-1 from 9 on
    }

    /** tanh through one exp (Math.tanh is several times slower here); double precision, exact at the tails. */
    static double tanh(double u) {
        if (u > 20) return 1.0;
        if (u < -20) return -1.0;
        return 1.0 - 2.0 / (Math.exp(2.0 * u) + 1.0);
    }

    /** out = 0.5 a (1 + tanh(c (a + 0.044715 a^3))) */
    static void geluNew(INDArray a, INDArray out) {
        INDArray t = a.mul(a).muli(GELU_A).addi(1.0).muli(a).muli(GELU_C);
        Transforms.tanh(t, false);
        out.assign(t.addi(1.0).muli(a).muli(0.5));
    }

    /** d gelu_new / da = 0.5 (1 + t) + 0.5 a (1 - t^2) c (1 + 3 * 0.044715 a^2) */
    static INDArray geluNewDerivative(INDArray a) {
        INDArray a2 = a.mul(a);
        INDArray t = a2.mul(GELU_A).addi(1.0).muli(a).muli(GELU_C);
        Transforms.tanh(t, false);
        INDArray inner = a2.muli(3 * GELU_A).addi(1.0).muli(GELU_C);          // c (1 + 3 A a^2)
        INDArray sech2 = t.mul(t).rsubi(1.0);                                  // 1 - t^2
        return sech2.muli(inner).muli(a).muli(0.5).addi(t.addi(1.0).muli(0.5));
    }
}
