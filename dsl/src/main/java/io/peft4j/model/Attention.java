package io.peft4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * T5 multi-head attention (self, causal self, or cross) without the 1/sqrt(d) scaling: scores are
 * {@code q k^T + bias}, where the caller supplies the bias {@code [B, H, T, S]} already holding the
 * relative position bias and the masks (the float32 minimum at masked keys). Projections are called
 * only through their {@link Slot}s. The per-head products are 2-D GEMMs on views of
 * {@code [B, H, T, dk]} buffers.
 *
 * <p>Generation uses {@link #stepSelf} / {@link #stepCross} with a {@link KvCache}.
 */
public final class Attention {
    final Slot q, k, v, o;
    final int heads, dk;
    private final Dropout drop;
    private final Buf qh = new Buf(), kh = new Buf(), vh = new Buf(), scores = new Buf(), ctxB = new Buf(), merged = new Buf(),
        pd = new Buf(), dctx = new Buf(), dP = new Buf(), dq = new Buf(), dkB = new Buf(), dv = new Buf(),
        dq2 = new Buf(), dk2 = new Buf(), dv2 = new Buf(), dx = new Buf(), dkv = new Buf();
    private int B, T, S;
    private boolean selfAttention;
    private INDArray probs, probsDropped, lastDKv, lastDScores;

    public Attention(Slot q, Slot k, Slot v, Slot o, int heads, int dk, double dropout) {
        this.q = q; this.k = k; this.v = v; this.o = o; this.heads = heads; this.dk = dk;
        this.drop = new Dropout(dropout);
    }

    /** View [R, C] of slice (b, h) of a c-contiguous [B, H, R, C] buffer (built directly: NDArrayIndex views are slow). */
    private static INDArray head(INDArray a4, int b, int h) {
        long r = a4.size(2), c = a4.size(3);
        long off = a4.offset() + ((long) b * a4.size(1) + h) * r * c;
        return Nd4j.create(a4.data(), new long[]{r, c}, new long[]{c, 1}, off, 'c');
    }

    /** View [rows, C] starting at row 0 of slice (b, h) of a c-contiguous [N, H, cap, C] cache. */
    private static INDArray cacheRows(INDArray a4, int b, int h, int rows) {
        long cap = a4.size(2), c = a4.size(3);
        long off = a4.offset() + ((long) b * a4.size(1) + h) * cap * c;
        return Nd4j.create(a4.data(), new long[]{rows, c}, new long[]{c, 1}, off, 'c');
    }

    private INDArray split(Buf buf, INDArray x2, int b, int t) {   // [B*t, H*dk] -> [B, H, t, dk]
        return buf.get(x2.dataType(), b, heads, t, dk).assign(x2.reshape(b, t, heads, dk).permute(0, 2, 1, 3));
    }

    private INDArray mergeHeads(Buf buf, INDArray a4, int b, int t) { // [B, H, t, dk] -> [B*t, H*dk]
        INDArray out = buf.get(a4.dataType(), (long) b * t, (long) heads * dk);
        out.reshape(b, t, heads, dk).assign(a4.permute(0, 2, 1, 3));
        return out;
    }

    /**
     * @param x    queries' input [B*T, d]
     * @param kvIn keys/values input [B*S, d]; null for self-attention (uses x)
     * @param bias [B, H, T, S] position bias plus masks
     * @return [B*T, d]
     */
    public INDArray forward(INDArray x, INDArray kvIn, int B, int T, int S, INDArray bias, ForwardContext ctx) {
        this.B = B; this.T = T; this.S = S; this.selfAttention = kvIn == null;
        if (kvIn == null) kvIn = x;
        DataType dt = x.dataType();
        INDArray q4 = split(qh, q.get().forward(x, ctx), B, T);
        INDArray k4 = split(kh, k.get().forward(kvIn, ctx), B, S);
        INDArray v4 = split(vh, v.get().forward(kvIn, ctx), B, S);
        INDArray sc = scores.get(dt, B, heads, T, S).assign(bias);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++)
                Gemm.mm(head(q4, b, h), head(k4, b, h), head(sc, b, h), false, true, 1.0, 1.0);
        INDArray sc2 = sc.reshape((long) B * heads * T, S);
        Nd4j.exec(new SoftMax(sc2, sc2, 1));
        probs = sc;
        probsDropped = sc;
        if (ctx.training()) {
            INDArray p = pd.get(dt, B, heads, T, S).assign(sc);
            INDArray r = drop.forwardInPlace(p, ctx);
            probsDropped = r;
        } else drop.forwardInPlace(sc, ctx);        // inactive: records that backward is identity
        INDArray c4 = ctxB.get(dt, B, heads, T, dk);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++)
                Gemm.mm(head(probsDropped, b, h), head(v4, b, h), head(c4, b, h), false, false, 1.0, 0.0);
        return o.get().forward(mergeHeads(merged, c4, B, T), ctx);
    }

    /**
     * Backward of the last forward. @param dOut [B*T, d]
     * @return dX for the query input (for self-attention including the key/value paths)
     */
    public INDArray backward(INDArray dOut) {
        DataType dt = dOut.dataType();
        INDArray dc = split(dctx, o.get().backward(dOut), B, T);
        INDArray q4 = qh.get(dt, B, heads, T, dk), k4 = kh.get(dt, B, heads, S, dk), v4 = vh.get(dt, B, heads, S, dk);
        INDArray dp = dP.get(dt, B, heads, T, S), dv4 = dv.get(dt, B, heads, S, dk);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++) {
                Gemm.mm(head(dc, b, h), head(v4, b, h), head(dp, b, h), false, true, 1.0, 0.0);
                Gemm.mm(head(probsDropped, b, h), head(dc, b, h), head(dv4, b, h), true, false, 1.0, 0.0);
            }
        INDArray ds = drop.backward(dp);
        // softmax backward: dS = P * (dP - rowsum(dP * P))
        INDArray ds2 = ds.reshape((long) B * heads * T, S), p2 = probs.reshape((long) B * heads * T, S);
        INDArray rowDot = ds2.mul(p2).sum(true, 1);
        ds2.subiColumnVector(rowDot).muli(p2);
        lastDScores = ds;
        INDArray dq4 = dq.get(dt, B, heads, T, dk), dk4 = dkB.get(dt, B, heads, S, dk);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++) {
                Gemm.mm(head(ds, b, h), head(k4, b, h), head(dq4, b, h), false, false, 1.0, 0.0);
                Gemm.mm(head(ds, b, h), head(q4, b, h), head(dk4, b, h), true, false, 1.0, 0.0);
            }
        INDArray dxq = q.get().backward(mergeHeads(dq2, dq4, B, T));
        INDArray dxk = k.get().backward(mergeHeads(dk2, dk4, B, S));
        INDArray dxv = v.get().backward(mergeHeads(dv2, dv4, B, S));
        if (selfAttention) {
            lastDKv = null;
            return dx.get(dt, dxq.shape()).assign(dxq).addi(dxk).addi(dxv);
        }
        lastDKv = dkv.get(dt, dxk.shape()).assign(dxk).addi(dxv);
        return dxq;
    }

    /** Cross-attention only: the gradient w.r.t. the key/value input (encoder states) of the last backward. */
    INDArray lastDKv() { return lastDKv; }

    /** Gradient w.r.t. the scores (= w.r.t. the additive bias) of the last backward, [B, H, T, S]. */
    INDArray lastDScores() { return lastDScores; }

    // ---------------------------------------------------------------- generation

    /** Keys and values of past positions, [N, H, capacity, dk] each. */
    static final class KvCache {
        INDArray k, v;
        int len;

        KvCache(INDArray k, INDArray v, int len) { this.k = k; this.v = v; this.len = len; }

        KvCache(DataType dt, int n, int heads, int capacity, int dk) {
            k = Nd4j.zeros(dt, n, heads, capacity, dk);
            v = Nd4j.zeros(dt, n, heads, capacity, dk);
        }

        /** Keeps row {@code rows[i]} at position i (beam search reordering). */
        void reorder(int[] rows) {
            long[] s = k.shape();
            long per = s[1] * s[2] * s[3];
            k = Nd4j.pullRows(k.reshape(s[0], per), 1, rows).reshape(s);
            v = Nd4j.pullRows(v.reshape(s[0], per), 1, rows).reshape(s);
        }
    }

    /** Precomputes cross-attention keys and values from encoder states [N*S, d]. */
    KvCache crossCache(INDArray enc, int n, int s) {
        ForwardContext ctx = ForwardContext.inference();
        INDArray kc = k.get().forward(enc, ctx).reshape(n, s, heads, dk).permute(0, 2, 1, 3).dup('c');
        INDArray vc = v.get().forward(enc, ctx).reshape(n, s, heads, dk).permute(0, 2, 1, 3).dup('c');
        return new KvCache(kc, vc, s);
    }

    /** One decoder position per row: appends its key/value to the cache, attends over it. x [N, d], bias [N, H, 1, len+1]. */
    INDArray stepSelf(INDArray x, KvCache c, INDArray bias) {
        ForwardContext ctx = ForwardContext.inference();
        int n = (int) x.size(0);
        INDArray kn = k.get().forward(x, ctx).reshape(n, heads, dk);
        c.k.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c.len), NDArrayIndex.all()).assign(kn);
        INDArray vn = v.get().forward(x, ctx).reshape(n, heads, dk);
        c.v.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c.len), NDArrayIndex.all()).assign(vn);
        c.len++;
        return stepAttend(q.get().forward(x, ctx), c, bias);
    }

    /** Cross-attention for one position per row against a precomputed cache. bias [N, H, 1, S]. */
    INDArray stepCross(INDArray x, KvCache c, INDArray bias) {
        return stepAttend(q.get().forward(x, ForwardContext.inference()), c, bias);
    }

    private INDArray stepAttend(INDArray q2, KvCache c, INDArray bias) {
        int n = (int) q2.size(0), len = c.len;
        DataType dt = q2.dataType();
        INDArray q3 = q2.reshape(n, heads, dk);
        INDArray sc = scores.get(dt, n, heads, 1, len).assign(bias);
        for (int b = 0; b < n; b++)
            for (int h = 0; h < heads; h++) {
                INDArray kv = cacheRows(c.k, b, h, len);
                Gemm.mm(q3.get(NDArrayIndex.point(b), NDArrayIndex.interval(h, h + 1), NDArrayIndex.all()), kv, head(sc, b, h), false, true, 1.0, 1.0);
            }
        INDArray sc2 = sc.reshape((long) n * heads, len);
        Nd4j.exec(new SoftMax(sc2, sc2, 1));
        INDArray out = merged.get(dt, n, (long) heads * dk);
        INDArray out3 = out.reshape(n, heads, dk);
        for (int b = 0; b < n; b++)
            for (int h = 0; h < heads; h++) {
                INDArray vv = cacheRows(c.v, b, h, len);
                Gemm.mm(head(sc, b, h), vv, out3.get(NDArrayIndex.point(b), NDArrayIndex.interval(h, h + 1), NDArrayIndex.all()), false, false, 1.0, 0.0);
            }
        return o.get().forward(out, ForwardContext.inference());
    }
}
