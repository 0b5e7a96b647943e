package io.peft4j.model.t5;

import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Linear;
import io.peft4j.model.Slot;
import io.peft4j.ops.Activations;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Gemm;
import io.peft4j.ops.Par;

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
    private final Buf qh = new Buf(), kh = new Buf(), vh = new Buf(), scores = new Buf(), ctxB = new Buf(), merged = new Buf(), mergedShared = new Buf(),
        pd = new Buf(), dctx = new Buf(), dP = new Buf(), dq = new Buf(), dkB = new Buf(), dv = new Buf(),
        dq2 = new Buf(), dk2 = new Buf(), dv2 = new Buf(), dx = new Buf(), dkv = new Buf();
    private int B, T, S;
    private boolean selfAttention;
    private INDArray probs, probsDropped, lastDKv, lastDScores;
    private INDArray q4, k4, v4;        // [B, H, T|S, dk] (ND4J path)
    private INDArray q2, k2, v2;        // [B*T|S, H*dk] projection outputs (float32 path)
    private boolean fastLast;

    public Attention(Slot q, Slot k, Slot v, Slot o, int heads, int dk, double dropout) {
        this.q = q; this.k = k; this.v = v; this.o = o; this.heads = heads; this.dk = dk;
        this.drop = new Dropout(dropout);
    }

    /**
     * Backward-only scratch (and the projections' dX) shared with the same attention role of another
     * block: everything this backward writes is consumed before the block's backward returns (the
     * score gradient and the cross-attention key/value gradient by the block and stack right after).
     */
    void shareBackwardBuffers(Attention other) {
        Buf[] mine = {dctx, dP, dq, dkB, dv, dq2, dk2, dv2, dx, dkv, mergedShared}, theirs = {other.dctx, other.dP, other.dq, other.dkB, other.dv,
            other.dq2, other.dk2, other.dv2, other.dx, other.dkv, other.mergedShared};
        for (int i = 0; i < mine.length; i++) mine[i].shareStorageOf(theirs[i]);
        drop.shareBackwardBuffers(other.drop);
        Linear.shareBackwardBuffers(q, other.q); Linear.shareBackwardBuffers(k, other.k); Linear.shareBackwardBuffers(v, other.v); Linear.shareBackwardBuffers(o, other.o);
    }

    /** Whether backward reads the query input (x of {@link #forward}): q trainable or adapted. */
    boolean readsQueryInputInBackward() { return q.get().readsInputInBackward(); }

    /** Whether backward reads the key/value input (kvIn, or x for self-attention): k or v trainable or adapted. */
    boolean readsKeyValueInputInBackward() { return k.get().readsInputInBackward() || v.get().readsInputInBackward(); }

    /**
     * Storage for the merged heads (o's input): per layer only when o's backward reads it (a trainable
     * or adapted o), otherwise one buffer for every block of the stack.
     */
    private Buf contextBuf(ForwardContext ctx) { return ctx.training() && o.get().readsInputInBackward() ? merged : mergedShared; }

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
        if (Fast.plain(x, kvIn, bias)) {
            INDArray q2 = q.get().forward(x, ctx), k2 = k.get().forward(kvIn, ctx), v2 = v.get().forward(kvIn, ctx);
            if (Fast.plain(q2, k2, v2)) return forwardFast(q2, k2, v2, bias, ctx);
            q4 = split(qh, q2, B, T); k4 = split(kh, k2, B, S); v4 = split(vh, v2, B, S);
            return forwardNd4j(bias, ctx);
        }
        fastLast = false;
        q4 = split(qh, q.get().forward(x, ctx), B, T);
        k4 = split(kh, k.get().forward(kvIn, ctx), B, S);
        v4 = split(vh, v.get().forward(kvIn, ctx), B, S);
        return forwardNd4j(bias, ctx);
    }

    /**
     * Float32 path: per-head products straight on the projections' [B*T, H*dk] outputs (leading
     * dimension H*dk, no split/merge copies), softmax with the bias added in one Java pass.
     */
    private INDArray forwardFast(INDArray q2, INDArray k2, INDArray v2, INDArray bias, ForwardContext ctx) {
        fastLast = true;
        this.q2 = q2; this.k2 = k2; this.v2 = v2;
        int inner = heads * dk;
        DataType dt = q2.dataType();
        INDArray sc = scores.get(dt, B, heads, T, S);
        java.nio.FloatBuffer scb = Fast.fb(sc), biasb = Fast.fb(bias);
        int B = this.B, T = this.T, S = this.S, heads = this.heads, dk = this.dk;
        // the probabilities' dropout is applied head by head right after their softmax (still in cache)
        boolean dropping = drop.beginFused(ctx, B * heads * T * S);
        INDArray dropped = dropping ? pd.get(dt, B, heads, T, S) : sc;
        java.nio.FloatBuffer pdb = Fast.fb(dropped);
        Dropout dr = drop;
        Gemm.parallelSmall(B * heads, (from, to) -> {            // one (batch, head) per task: scores, softmax, dropout
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads;
                Gemm.raw(q2, (long) b * T * inner + (long) h * dk, false, inner, k2, (long) b * S * inner + (long) h * dk, true, inner,
                    sc, (long) bh * T * S, S, T, S, dk, 1.0, 0.0);
                softmaxRowsRange(scb, biasb, bh * T, (bh + 1) * T, S);
                if (dropping) dr.forwardRange(scb, pdb, bh * T * S, (bh + 1) * T * S);
            }
        });
        probs = sc;
        probsDropped = dropped;
        INDArray m = contextBuf(ctx).get(dt, (long) B * T, inner);
        INDArray pdrop = probsDropped;
        Gemm.parallelSmall(B * heads, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads;
                Gemm.raw(pdrop, (long) bh * T * S, false, S, v2, (long) b * S * inner + (long) h * dk, false, inner,
                    m, (long) b * T * inner + (long) h * dk, inner, T, dk, S, 1.0, 0.0);
            }
        });
        return o.get().forward(m, ctx);
    }

    /** Row-wise softmax of (s + bias) in place, rows {@code [from, to)} of length {@code n}. */
    static void softmaxRowsRange(java.nio.FloatBuffer s, java.nio.FloatBuffer bias, int from, int to, int n) {
        float[] row = new float[n], br = new float[n];          // one row at a time through Java arrays
        double[] ex = new double[n];
        for (int r = from; r < to; r++) {
            int o = r * n;
            s.get(o, row, 0, n);
            bias.get(o, br, 0, n);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) row[j] += br[j];
            for (int j = 0; j < n; j++) max = Math.max(max, row[j]);
            for (int j = 0; j < n; j++) ex[j] = row[j] - max;
            Activations.expInPlace(ex, n);                     // (float) Math.exp(row[j] - max), vectorised
            float sum = 0f;
            for (int j = 0; j < n; j++) { float e = (float) ex[j]; row[j] = e; sum += e; }
            float inv = 1f / sum;
            for (int j = 0; j < n; j++) row[j] *= inv;
            s.put(o, row, 0, n);
        }
    }

    private INDArray forwardNd4j(INDArray bias, ForwardContext ctx) {
        fastLast = false;
        DataType dt = bias.dataType();
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
        return o.get().forward(mergeHeads(contextBuf(ctx), c4, B, T), ctx);
    }

    /**
     * Backward of the last forward. @param dOut [B*T, d]
     * @return dX for the query input (for self-attention including the key/value paths)
     */
    public INDArray backward(INDArray dOut) {
        if (fastLast) return backwardFast(dOut);
        DataType dt = dOut.dataType();
        INDArray dc = split(dctx, o.get().backward(dOut), B, T);
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

    private INDArray backwardFast(INDArray dOut) {
        INDArray dc = o.get().backward(dOut);                                   // [B*T, inner]
        if (!Fast.plain(dc)) dc = dc.dup('c');
        DataType dt = dc.dataType();
        int inner = heads * dk;
        INDArray dp = dP.get(dt, B, heads, T, S), dv2b = dv2.get(dt, (long) B * S, inner);
        int B = this.B, T = this.T, S = this.S, heads = this.heads, dk = this.dk;
        INDArray pdrop = probsDropped, q2 = this.q2, k2 = this.k2, v2 = this.v2, dcf = dc;
        Gemm.parallelSmall(B * heads, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads;
                long so = (long) bh * T * S, to_ = (long) b * T * inner + (long) h * dk, ko = (long) b * S * inner + (long) h * dk;
                Gemm.raw(dcf, to_, false, inner, v2, ko, true, inner, dp, so, S, T, S, dk, 1.0, 0.0);
                Gemm.raw(pdrop, so, true, S, dcf, to_, false, inner, dv2b, ko, inner, S, dk, T, 1.0, 0.0);
            }
        });
        INDArray ds = dp;                                         // dropout and softmax backward in place, head by head
        java.nio.FloatBuffer dsb = Fast.fb(ds), pb = Fast.fb(probs);
        lastDScores = ds;
        boolean dropped = drop.active();
        Dropout dr = drop;
        INDArray dq2b = dq2.get(dt, (long) B * T, inner), dk2b = dk2.get(dt, (long) B * S, inner);
        Gemm.parallelSmall(B * heads, (from, to) -> {            // dropout and softmax backward of the head's rows, then dq and dk
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads;
                if (dropped) dr.backwardRange(dsb, dsb, bh * T * S, (bh + 1) * T * S);
                softmaxBackwardRowsRange(dsb, pb, bh * T, (bh + 1) * T, S);
                long so = (long) bh * T * S, to_ = (long) b * T * inner + (long) h * dk, ko = (long) b * S * inner + (long) h * dk;
                Gemm.raw(ds, so, false, S, k2, ko, false, inner, dq2b, to_, inner, T, dk, S, 1.0, 0.0);
                Gemm.raw(ds, so, true, S, q2, to_, false, inner, dk2b, ko, inner, S, dk, T, 1.0, 0.0);
            }
        });
        INDArray dxq = q.get().backward(dq2b);
        INDArray dxk = k.get().backward(dk2b);
        INDArray dxv = v.get().backward(dv2b);
        if (selfAttention) {
            lastDKv = null;
            INDArray out = dx.get(dt, dxq.shape());
            if (Fast.plain(dxq, dxk, dxv, out)) { Fast.add(dxq, dxk, out); Fast.addInPlace(out, dxv); }
            else out.assign(dxq).addi(dxk).addi(dxv);
            return out;
        }
        INDArray kv = dkv.get(dt, dxk.shape());
        if (Fast.plain(dxk, dxv, kv)) Fast.add(dxk, dxv, kv);
        else kv.assign(dxk).addi(dxv);
        lastDKv = kv;
        return dxq;
    }

    /** In place: ds = p * (ds - rowsum(ds * p)), rows {@code [from, to)} of length {@code n}. */
    static void softmaxBackwardRowsRange(java.nio.FloatBuffer ds, java.nio.FloatBuffer p, int from, int to, int n) {
        float[] dr = new float[n], pr = new float[n];          // one row at a time through Java arrays
        for (int r = from; r < to; r++) {
            int o = r * n;
            ds.get(o, dr, 0, n);
            p.get(o, pr, 0, n);
            float dot = 0f;
            for (int j = 0; j < n; j++) dot += dr[j] * pr[j];
            for (int j = 0; j < n; j++) dr[j] = pr[j] * (dr[j] - dot);
            ds.put(o, dr, 0, n);
        }
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
        INDArray kn = k.get().forward(x, ctx), vn = v.get().forward(x, ctx);
        if (Fast.plain(kn, vn, c.k, c.v)) {                 // write position c.len of every (row, head) directly
            java.nio.FloatBuffer kb = Fast.fb(kn), vb = Fast.fb(vn), ck = Fast.fb(c.k), cv = Fast.fb(c.v);
            int cap = (int) c.k.size(2), len = c.len;
            for (int b = 0; b < n; b++)
                for (int h = 0; h < heads; h++) {
                    int src = (b * heads + h) * dk, dst = ((b * heads + h) * cap + len) * dk;
                    ck.put(dst, kb, src, dk);
                    cv.put(dst, vb, src, dk);
                }
        } else {
            c.k.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c.len), NDArrayIndex.all()).assign(kn.reshape(n, heads, dk));
            c.v.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c.len), NDArrayIndex.all()).assign(vn.reshape(n, heads, dk));
        }
        c.len++;
        return stepAttend(q.get().forward(x, ctx), c, bias);
    }

    /**
     * Float32 decode-step attention as Java loops (no ND4J ops, no per-head views or 1-row GEMMs):
     * for each (row, head), scores over the cached keys plus bias, softmax, weighted sum of the cached
     * values into {@code out} [N, H*dk]. Parallel over (row, head) when the work is large enough.
     */
    private void stepAttendFast(INDArray q2, KvCache c, INDArray bias, INDArray out) {
        int n = (int) q2.size(0), len = c.len, cap = (int) c.k.size(2), heads = this.heads, dk = this.dk;
        java.nio.FloatBuffer qb = Fast.fb(q2), kb = Fast.fb(c.k), vb = Fast.fb(c.v), bb = Fast.fb(bias), ob = Fast.fb(out);
        Par.forRange(n * heads, Math.max(1, (1 << 16) / Math.max(1, len * dk)), (from, to) -> {
            float[] q = new float[dk], kr = new float[len * dk], acc = new float[dk], sc = new float[len];
            for (int bh = from; bh < to; bh++) {
                qb.get(bh * dk, q, 0, dk);                             // q2 [N, H*dk]: row b, head h at bh*dk
                int base = bh * cap * dk;
                kb.get(base, kr, 0, len * dk);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    float d = 0f;
                    int o = j * dk;
                    for (int e = 0; e < dk; e++) d += q[e] * kr[o + e];
                    d += bb.get(bh * len + j);
                    sc[j] = d;
                    if (d > max) max = d;
                }
                float sum = 0f;
                for (int j = 0; j < len; j++) { float e = (float) Math.exp(sc[j] - max); sc[j] = e; sum += e; }
                float inv = 1f / sum;
                vb.get(base, kr, 0, len * dk);
                java.util.Arrays.fill(acc, 0f);
                for (int j = 0; j < len; j++) {
                    float p = sc[j] * inv;
                    int o = j * dk;
                    for (int e = 0; e < dk; e++) acc[e] += p * kr[o + e];
                }
                ob.put(bh * dk, acc, 0, dk);
            }
        });
    }

    /** Cross-attention for one position per row against a precomputed cache. bias [N, H, 1, S]. */
    INDArray stepCross(INDArray x, KvCache c, INDArray bias) {
        return stepAttend(q.get().forward(x, ForwardContext.inference()), c, bias);
    }

    private INDArray stepAttend(INDArray q2, KvCache c, INDArray bias) {
        int n = (int) q2.size(0), len = c.len;
        DataType dt = q2.dataType();
        INDArray outFast = merged.get(dt, n, (long) heads * dk);
        if (Fast.plain(q2, c.k, c.v, outFast) && Fast.dense(bias) && bias.length() == (long) n * heads * len) {
            stepAttendFast(q2, c, bias, outFast);
            return o.get().forward(outFast, ForwardContext.inference());
        }
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
