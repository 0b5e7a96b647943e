package io.peft4j.model;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * T5's layer norm: RMS scaling without mean subtraction or bias,
 * {@code y = w * x / sqrt(mean(x^2) + eps)}, in the model's float type (float32 or float64).
 */
public final class RmsNorm {
    private final Parameter weight;   // [d]
    private final double eps;
    private final Buf xhat = new Buf(), y = new Buf(), yShared = new Buf();
    private INDArray r;               // [N, 1] reciprocal rms of the last forward (ND4J path)
    private float[] rf = new float[0]; // [N] reciprocal rms of the last forward (float32 fast path)
    private final Buf dxB = new Buf();
    private boolean fastLast;
    private static final int BLOCK = 64;   // rows per partial sum of the weight gradient

    public RmsNorm(Parameter weight, double eps) { this.weight = weight; this.eps = eps; }

    public Parameter weight() { return weight; }

    /** The backward output (dX) uses {@code other}'s storage (the same norm role in another block; see {@link Buf#shareStorageOf}). */
    public void shareBackwardBuffers(RmsNorm other) { dxB.shareStorageOf(other.dxB); yShared.shareStorageOf(other.yShared); }

    /** @param x [N, d] @return [N, d] (a buffer owned by this layer) */
    public INDArray forward(INDArray x) { return forward(x, true); }

    /**
     * As {@link #forward(INDArray)}; with {@code keepOutput} false the output goes to storage shared
     * with the same norm role of the other blocks ({@link #shareBackwardBuffers}): for a caller whose
     * consumers do not read it in backward (frozen projections). The norm's own backward never reads it.
     */
    public INDArray forward(INDArray x, boolean keepOutput) {
        Buf y = keepOutput ? this.y : yShared;
        long n = x.size(0), d = x.size(1);
        INDArray w = weight.value();
        if (Fast.plain(x, w)) {
            fastLast = true;
            INDArray xh = xhat.get(x.dataType(), n, d), out = y.get(x.dataType(), n, d);
            java.nio.FloatBuffer xb = Fast.fb(x), hb = Fast.fb(xh), ob = Fast.fb(out), wb = Fast.fb(w);
            int N = (int) n, D = (int) d;
            if (rf.length < N) rf = new float[N];
            float[] wa = new float[D];
            for (int j = 0; j < D; j++) wa[j] = wb.get(j);
            float[] rfa = rf;
            float epsf = (float) eps;
            Par.forRange(N, Math.max(1, (1 << 14) / Math.max(1, D)), (from, to) -> {
                float[] xr = new float[D], hr = new float[D];      // one row at a time through Java arrays
                for (int i = from; i < to; i++) {
                    int o = i * D;
                    xb.get(o, xr, 0, D);
                    float ss = 0f;                              // float32 accumulation, as PyTorch's mean in float32
                    for (int j = 0; j < D; j++) { float v = xr[j]; ss += v * v; }
                    float rr = (float) (1.0 / Math.sqrt(ss / D + epsf));
                    rfa[i] = rr;
                    for (int j = 0; j < D; j++) hr[j] = xr[j] * rr;
                    hb.put(o, hr, 0, D);
                    for (int j = 0; j < D; j++) xr[j] = hr[j] * wa[j];
                    ob.put(o, xr, 0, D);
                }
            });
            return out;
        }
        fastLast = false;
        r = Transforms.pow(x.mul(x).mean(true, 1).addi(eps), -0.5, false);          // [N, 1]
        INDArray xh = xhat.get(x.dataType(), n, d).assign(x).muliColumnVector(r);
        return y.get(x.dataType(), n, d).assign(xh).muliRowVector(weight.value());
    }

    /** @param dy [N, d] @return dx [N, d] (a buffer owned by this layer on the float32 path, else freshly allocated) */
    public INDArray backward(INDArray dy) {
        INDArray xh = xhat.get(dy.dataType(), dy.shape());
        if (fastLast && Fast.plain(dy, xh)) {
            int N = (int) dy.size(0), D = (int) dy.size(1);
            INDArray dx = dxB.get(dy.dataType(), N, D);
            java.nio.FloatBuffer gb = Fast.fb(dy), hb = Fast.fb(xh), ob = Fast.fb(dx), wb = Fast.fb(weight.value());
            float[] wa = new float[D];
            for (int j = 0; j < D; j++) wa[j] = wb.get(j);
            // dW is summed over rows in fixed blocks, then the blocks in order: the same result for any thread count
            int blocks = (N + BLOCK - 1) / BLOCK;
            float[][] part = weight.trainable() ? new float[blocks][D] : null;
            float[] rfa = rf;
            Par.forRange(blocks, 1, (bFrom, bTo) -> {
                float[] gr = new float[D], hr = new float[D];      // one row at a time through Java arrays
                for (int blk = bFrom; blk < bTo; blk++) {
                    float[] pw = part == null ? null : part[blk];
                    for (int i = blk * BLOCK, end = Math.min(N, i + BLOCK); i < end; i++) {
                        int o = i * D;
                        gb.get(o, gr, 0, D);
                        hb.get(o, hr, 0, D);
                        float m = 0f;
                        for (int j = 0; j < D; j++) m += gr[j] * wa[j] * hr[j];
                        if (pw != null) for (int j = 0; j < D; j++) pw[j] += gr[j] * hr[j];
                        m /= D;
                        float rr = rfa[i];
                        for (int j = 0; j < D; j++) gr[j] = (gr[j] * wa[j] - hr[j] * m) * rr;
                        ob.put(o, gr, 0, D);
                    }
                }
            });
            float[] dw = null;
            if (part != null) {
                dw = part[0];
                for (int blk = 1; blk < blocks; blk++) for (int j = 0; j < D; j++) dw[j] += part[blk][j];
            }
            if (dw != null) {
                INDArray gw = weight.grad();
                if (Fast.plain(gw)) { java.nio.FloatBuffer b = Fast.fb(gw); for (int j = 0; j < D; j++) b.put(j, b.get(j) + dw[j]); }
                else gw.addi(org.nd4j.linalg.factory.Nd4j.createFromArray(dw));
            }
            return dx;
        }
        if (weight.trainable()) weight.grad().addi(dy.mul(xh).sum(0));
        INDArray g = dy.mulRowVector(weight.value());                             // dL/dxhat
        INDArray m = g.mul(xh).mean(true, 1);                                     // [N, 1]
        return g.subi(xh.mulColumnVector(m)).muliColumnVector(r);
    }
}
