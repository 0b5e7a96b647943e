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
    private final Dropout drop;
    private final Buf h = new Buf(), g = new Buf(), dx = new Buf(), dlB = new Buf(), daB = new Buf();
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
            for (int i = 0; i < n; i++) {
                float v = a.get(i);
                float gv = (float) (0.5 * v * (1.0 + tanh(GELU_C * (v + GELU_A * v * v * v))));
                gb.put(i, gv);
                hb.put(i, gv * b.get(i));
            }
        } else if (gated) {
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
        if (Fast.plain(dh, gl, pre0, pre1)) {
            INDArray dl = dlB.get(dh.dataType(), dh.shape()), da = daB.get(dh.dataType(), dh.shape());
            java.nio.FloatBuffer d = Fast.fb(dh), gb = Fast.fb(gl), a = Fast.fb(pre0), b = Fast.fb(pre1),
                lb = Fast.fb(dl), ab = Fast.fb(da);
            int n = (int) dh.length();
            for (int i = 0; i < n; i++) {
                float dv = d.get(i), v = a.get(i);
                lb.put(i, dv * gb.get(i));
                double v2 = (double) v * v, t = tanh(GELU_C * (v + GELU_A * v2 * v));
                double der = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v2);
                ab.put(i, (float) (dv * b.get(i) * der));
            }
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
