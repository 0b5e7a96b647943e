package io.peft4j.model.causal;

import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.ops.Activations;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Gemm;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention core every decoder-only family shares: scaled dot-product self-attention of
 * already-projected (and, for rotary families, already-rotated) queries, keys and values under a
 * causal mask plus a key padding mask, with its explicit backward and a decode step over a
 * {@link KvCache}. Projections, position transforms and the output projection belong to the
 * family's attention layer, so a fused GPT-2 {@code c_attn} and Llama's separate q/k/v both use it.
 *
 * <p>Layout: inputs and outputs keep the projections' row layout, {@code q [B*T, H*hd]},
 * {@code k, v [B*T, Hkv*hd]}, {@code context [B*T, H*hd]}; head {@code h} reads key/value head
 * {@code h / (H/Hkv)} (grouped-query attention at any ratio; {@code Hkv = H} is plain multi-head,
 * {@code Hkv = 1} multi-query). Every per-head product is one GEMM on offsets into those buffers
 * ({@link Gemm#raw}), parallel over (row, head) with single-threaded BLAS.
 *
 * <p>Masking follows transformers: query {@code i} of row {@code b} sees key {@code j} when
 * {@code j <= i}, {@code keyMask[b][j] == 1} and (with a sliding window {@code W > 0})
 * {@code i - j < W}; the scores are {@code q.k * headDim^-0.5} (or a given scale). A query that sees
 * no key at all (a left-padded row's leading pads) gets a zero context, as transformers' default
 * (SDPA) attention returns for a fully masked row; the eager path would instead average every key.
 * Such rows only ever reach pad positions' outputs.
 *
 * <p>Attention dropout (transformers' {@code attention_dropout}) applies to the probabilities in
 * training mode through {@link ForwardContext}. Float32 and float64 (gradient checks) are supported.
 */
public final class CausalAttention {
    private final int heads, kvHeads, headDim, group, window;
    private final double scale;
    private final Dropout drop;
    private final Buf scoresB = new Buf(), droppedB = new Buf(), ctxB = new Buf(), ctxShared = new Buf(), dpB = new Buf(),
        dqB = new Buf(), dkB = new Buf(), dvB = new Buf(), stepB = new Buf();
    // state of the last forward, kept for backward
    private INDArray q, k, v, probs, probsDropped;   // q [B*T, H*hd], k/v [B*T, Hkv*hd], probs [B, H, T, T]
    private int B, T;
    private boolean haveForward;

    /** Gradients of the last backward w.r.t. the forward's inputs (buffers of this layer). */
    public record Grads(INDArray dq, INDArray dk, INDArray dv) {}

    /** With scale {@code headDim^-0.5} and no sliding window. */
    public CausalAttention(int heads, int kvHeads, int headDim, double attentionDropout) {
        this(heads, kvHeads, headDim, attentionDropout, 0, Math.pow(headDim, -0.5));
    }

    /**
     * @param slidingWindow keys more than {@code slidingWindow - 1} positions back are masked (0: none)
     * @param scale         multiplier of the query-key products
     */
    public CausalAttention(int heads, int kvHeads, int headDim, double attentionDropout, int slidingWindow, double scale) {
        if (heads < 1) throw new IllegalArgumentException("num_attention_heads must be >= 1, got " + heads);
        if (kvHeads < 1 || kvHeads > heads || heads % kvHeads != 0)
            throw new IllegalArgumentException("num_key_value_heads must divide num_attention_heads " + heads + ", got " + kvHeads);
        if (headDim < 1) throw new IllegalArgumentException("head_dim must be >= 1, got " + headDim);
        if (slidingWindow < 0) throw new IllegalArgumentException("sliding_window must be >= 0 (0: none), got " + slidingWindow);
        if (!(attentionDropout >= 0 && attentionDropout < 1))
            throw new IllegalArgumentException("attention_dropout must be in [0, 1), got " + attentionDropout);
        this.heads = heads; this.kvHeads = kvHeads; this.headDim = headDim; this.group = heads / kvHeads;
        this.window = slidingWindow; this.scale = scale;
        this.drop = new Dropout(attentionDropout);
    }

    public int heads() { return heads; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    public int slidingWindow() { return window; }

    private boolean visible(int[] maskRow, int i, int j) {
        return j <= i && (maskRow == null || maskRow[j] != 0) && (window == 0 || i - j < window);
    }

    /**
     * @param q       [B*T, H*hd] queries (kept, unchanged, until {@link #backward})
     * @param k       [B*T, Hkv*hd] keys (kept likewise)
     * @param v       [B*T, Hkv*hd] values (kept likewise)
     * @param keyMask [B][T] 1 = real token, 0 = padding; null: no padding
     * @return context [B*T, H*hd] (a buffer of this layer)
     */
    public INDArray forward(INDArray q, INDArray k, INDArray v, int B, int T, int[][] keyMask, ForwardContext ctx) {
        return forward(q, k, v, B, T, keyMask, ctx, true);
    }

    /**
     * Backward-only scratch (and the attention dropout's backward output) shared with the same
     * attention of another layer: everything the backward writes is consumed by the caller before
     * the next layer's backward runs ({@link io.peft4j.ops.Buf#shareStorageOf}).
     */
    public void shareBackwardBuffers(CausalAttention other) {
        dpB.shareStorageOf(other.dpB); dqB.shareStorageOf(other.dqB); dkB.shareStorageOf(other.dkB); dvB.shareStorageOf(other.dvB);
        ctxShared.shareStorageOf(other.ctxShared);
        drop.shareBackwardBuffers(other.drop);
    }

    /**
     * As {@link #forward(INDArray, INDArray, INDArray, int, int, int[][], ForwardContext)}; with
     * {@code keepContext} false the context goes to storage shared across layers (for an output
     * projection whose backward does not read its input).
     */
    public INDArray forward(INDArray q, INDArray k, INDArray v, int B, int T, int[][] keyMask, ForwardContext ctx, boolean keepContext) {
        int qd = heads * headDim, kd = kvHeads * headDim;
        checkShape("q", q, (long) B * T, qd);
        checkShape("k", k, (long) B * T, kd);
        checkShape("v", v, (long) B * T, kd);
        if (keyMask != null && keyMask.length != B) throw new IllegalArgumentException("key mask has " + keyMask.length + " rows for a batch of " + B);
        this.q = Vals.denseOrCopy(q); this.k = Vals.denseOrCopy(k); this.v = Vals.denseOrCopy(v);
        this.B = B; this.T = T;
        DataType dt = q.dataType();
        INDArray sc = scoresB.get(dt, B, heads, T, T);
        INDArray qq = this.q, kk = this.k, vv = this.v;
        Vals s = Vals.of(sc);
        java.nio.FloatBuffer sf = dt == DataType.FLOAT ? sc.data().asNioFloat() : null;
        Gemm.parallelSmall(B * heads, (from, to) -> {
            float[] row = sf == null ? null : new float[T];
            double[] ex = sf == null ? null : new double[T];
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads, g = h / group;
                Gemm.raw(qq, (long) b * T * qd + (long) h * headDim, false, qd, kk, (long) b * T * kd + (long) g * headDim, true, kd,
                    sc, (long) bh * T * T, T, T, T, headDim, scale, 0.0);
                int[] mrow = keyMask == null ? null : keyMask[b];
                for (int i = 0; i < T; i++) {
                    if (sf != null) softmaxRowFloat(sf, row, ex, (bh * T + i) * T, T, mrow, i);
                    else softmaxRow(s, (bh * T + i) * T, T, mrow, i);
                }
            }
        });
        probs = sc;
        probsDropped = ctx.training() ? drop.forwardInto(sc, droppedB.get(dt, B, heads, T, T), ctx) : drop.forwardInPlace(sc, ctx);
        INDArray out = (keepContext ? ctxB : ctxShared).get(dt, (long) B * T, qd), pd = probsDropped;
        Gemm.parallelSmall(B * heads, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads, g = h / group;
                Gemm.raw(pd, (long) bh * T * T, false, T, vv, (long) b * T * kd + (long) g * headDim, false, kd,
                    out, (long) b * T * qd + (long) h * headDim, qd, T, headDim, T, 1.0, 0.0);
            }
        });
        haveForward = true;
        return out;
    }

    /** First key query {@code i} may see under the sliding window (0 without one). */
    private int firstKey(int i) { return window == 0 ? 0 : Math.max(0, i - window + 1); }

    /** {@link #softmaxRow} for float32 storage: the row is processed in a Java array (one bulk read, one bulk write). */
    private void softmaxRowFloat(java.nio.FloatBuffer s, float[] row, double[] ex, int o, int n, int[] mrow, int i) {
        s.get(o, row, 0, n);
        int lo = firstKey(i), hi = Math.min(i, n - 1);
        float max = Float.NEGATIVE_INFINITY;
        for (int j = lo; j <= hi; j++) if ((mrow == null || mrow[j] != 0) && row[j] > max) max = row[j];
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(row, 0, n, 0f);
        } else {
            double sum = 0;
            int len = hi - lo + 1;
            for (int j = lo; j <= hi; j++) ex[j - lo] = row[j] - max;
            Activations.expInPlace(ex, len);                   // (float) Math.exp(row[j] - max), vectorised
            java.util.Arrays.fill(row, 0, lo, 0f);
            java.util.Arrays.fill(row, hi + 1, n, 0f);
            for (int j = lo; j <= hi; j++) {
                if (mrow == null || mrow[j] != 0) { float e = (float) ex[j - lo]; row[j] = e; sum += e; }
                else row[j] = 0f;
            }
            float inv = (float) (1.0 / sum);
            for (int j = lo; j <= hi; j++) row[j] *= inv;
        }
        s.put(o, row, 0, n);
    }

    /** Softmax in place over the visible keys of row {@code o..o+n} (query index i); invisible ones 0; all 0 if none is visible. */
    private void softmaxRow(Vals s, int o, int n, int[] mrow, int i) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) if (visible(mrow, i, j)) max = Math.max(max, s.get(o + j));
        if (max == Double.NEGATIVE_INFINITY) {
            for (int j = 0; j < n; j++) s.put(o + j, 0.0);
            return;
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            if (visible(mrow, i, j)) { double e = Math.exp(s.get(o + j) - max); s.put(o + j, e); sum += e; }
            else s.put(o + j, 0.0);
        }
        double inv = 1.0 / sum;
        for (int j = 0; j <= Math.min(i, n - 1); j++) s.put(o + j, s.get(o + j) * inv);
    }

    /**
     * Backward of the last training-mode (or inference) forward.
     * @param dctx [B*T, H*hd] gradient w.r.t. the context
     * @return gradients w.r.t. q, k and v (buffers of this layer, valid until the next backward)
     */
    public Grads backward(INDArray dctx) {
        if (!haveForward) throw new IllegalStateException("backward() needs a preceding forward()");
        int B = this.B, T = this.T, qd = heads * headDim, kd = kvHeads * headDim;
        checkShape("dctx", dctx, (long) B * T, qd);
        INDArray dc = Vals.denseOrCopy(dctx);
        DataType dt = dc.dataType();
        INDArray dp = dpB.get(dt, B, heads, T, T), dv = dvB.get(dt, (long) B * T, kd), dq = dqB.get(dt, (long) B * T, qd),
            dk = dkB.get(dt, (long) B * T, kd);
        INDArray qq = q, kk = k, vv = v, pd = probsDropped;
        // dP = dC V^T per head; dV (per kv head) = sum over its query heads of Pdrop^T dC
        Gemm.parallelSmall(B * kvHeads, (from, to) -> {
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads;
                long kvOff = (long) b * T * kd + (long) g * headDim;
                for (int hi = 0; hi < group; hi++) {
                    int h = g * group + hi, bh = b * heads + h;
                    long qOff = (long) b * T * qd + (long) h * headDim, so = (long) bh * T * T;
                    Gemm.raw(dc, qOff, false, qd, vv, kvOff, true, kd, dp, so, T, T, T, headDim, 1.0, 0.0);
                    Gemm.raw(pd, so, true, T, dc, qOff, false, qd, dv, kvOff, kd, T, headDim, T, 1.0, hi == 0 ? 0.0 : 1.0);
                }
            }
        });
        INDArray ds = drop.backward(dp);
        Vals dsv = Vals.of(ds), pv = Vals.of(probs);
        boolean f32 = dt == DataType.FLOAT;
        java.nio.FloatBuffer dsf = f32 ? ds.data().asNioFloat() : null, pf = f32 ? probs.data().asNioFloat() : null;
        Gemm.parallelSmall(B * kvHeads, (from, to) -> {
            float[] dr = f32 ? new float[T] : null, pr = f32 ? new float[T] : null;
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads;
                long kvOff = (long) b * T * kd + (long) g * headDim;
                for (int hi = 0; hi < group; hi++) {
                    int h = g * group + hi, bh = b * heads + h;
                    long qOff = (long) b * T * qd + (long) h * headDim, so = (long) bh * T * T;
                    for (int i = 0; i < T; i++) {                  // softmax backward: dS = P * (dP - rowsum(dP * P))
                        int o = (bh * T + i) * T;
                        if (f32) {                                 // P is 0 outside [firstKey(i), i]: only that span is non-zero
                            dsf.get(o, dr, 0, T);
                            pf.get(o, pr, 0, T);
                            int lo = firstKey(i), end = Math.min(i, T - 1);
                            double dot = 0;
                            for (int j = lo; j <= end; j++) dot += dr[j] * pr[j];
                            float d = (float) dot;
                            for (int j = 0; j < T; j++) dr[j] = j >= lo && j <= end ? pr[j] * (dr[j] - d) : 0f;
                            dsf.put(o, dr, 0, T);
                            continue;
                        }
                        double dot = 0;
                        for (int j = 0; j < T; j++) dot += dsv.get(o + j) * pv.get(o + j);
                        for (int j = 0; j < T; j++) dsv.put(o + j, pv.get(o + j) * (dsv.get(o + j) - dot));
                    }
                    Gemm.raw(ds, so, false, T, kk, kvOff, false, kd, dq, qOff, qd, T, headDim, T, scale, 0.0);
                    Gemm.raw(ds, so, true, T, qq, qOff, false, qd, dk, kvOff, kd, T, headDim, T, scale, hi == 0 ? 0.0 : 1.0);
                }
            }
        });
        haveForward = false;
        return new Grads(dq, dk, dv);
    }

    // ---------------------------------------------------------------- decoding

    /** A cache for {@code rows} decoding rows and {@code capacity} positions, in this layer's head layout. */
    public KvCache newCache(DataType dt, int rows, int capacity) { return new KvCache(dt, rows, kvHeads, capacity, headDim); }

    /**
     * Writes the prompt's keys and values into the cache: row {@code b} of the prompt goes to cache
     * rows {@code b*copies .. b*copies+copies-1}, positions {@code 0..T-1}.
     * @param k [B*T, Hkv*hd] keys as attention consumed them; v likewise
     */
    public void prefill(KvCache c, INDArray k, INDArray v, int B, int T, int copies) {
        int kd = kvHeads * headDim;
        checkShape("k", k, (long) B * T, kd);
        checkShape("v", v, (long) B * T, kd);
        if (c.rows != B * copies || c.kvHeads != kvHeads || c.headDim != headDim)
            throw new IllegalArgumentException("cache of " + c.rows + " rows x " + c.kvHeads + " kv heads x " + c.headDim
                + " does not fit " + B + " x " + copies + " rows of " + kvHeads + " x " + headDim);
        if (T > c.capacity) throw new IllegalArgumentException("prompt of " + T + " positions exceeds the cache capacity " + c.capacity);
        Vals ks = Vals.of(Vals.denseOrCopy(k)), vs = Vals.of(Vals.denseOrCopy(v)), kc = Vals.of(c.k), vc = Vals.of(c.v);
        int cap = c.capacity;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int g = 0; g < kvHeads; g++) {
                    int src = (b * T + t) * kd + g * headDim;
                    for (int cp = 0; cp < copies; cp++) {
                        int dst = (((b * copies + cp) * kvHeads + g) * cap + t) * headDim;
                        for (int e = 0; e < headDim; e++) { kc.put(dst + e, ks.get(src + e)); vc.put(dst + e, vs.get(src + e)); }
                    }
                }
        c.len = T;
    }

    /**
     * One new position per cache row: appends {@code kNew}/{@code vNew} at position {@code c.length()}
     * and attends the query over every cached position.
     *
     * @param q       [N, H*hd] the new positions' queries
     * @param kNew    [N, Hkv*hd]; vNew likewise
     * @param keyMask [N][>= length+1] 1 = real, 0 = padding (the prompt's mask followed by ones); null: none
     * @return context [N, H*hd] (a buffer of this layer)
     */
    public INDArray step(INDArray q, INDArray kNew, INDArray vNew, KvCache c, int[][] keyMask) {
        int n = c.rows, qd = heads * headDim, kd = kvHeads * headDim;
        checkShape("q", q, n, qd);
        checkShape("k", kNew, n, kd);
        checkShape("v", vNew, n, kd);
        if (c.len >= c.capacity) throw new IllegalStateException("KV cache is full (" + c.capacity + " positions)");
        int pos = c.len, cap = c.capacity;
        Vals kn = Vals.of(Vals.denseOrCopy(kNew)), vn = Vals.of(Vals.denseOrCopy(vNew)), kc = Vals.of(c.k), vc = Vals.of(c.v);
        for (int r = 0; r < n; r++)
            for (int g = 0; g < kvHeads; g++) {
                int src = r * kd + g * headDim, dst = ((r * kvHeads + g) * cap + pos) * headDim;
                for (int e = 0; e < headDim; e++) { kc.put(dst + e, kn.get(src + e)); vc.put(dst + e, vn.get(src + e)); }
            }
        c.len++;
        int len = c.len;
        INDArray out = stepB.get(q.dataType(), n, qd);
        Vals qv = Vals.of(Vals.denseOrCopy(q)), ov = Vals.of(out);
        int hd = headDim;
        Par.forRange(n * heads, Math.max(1, (1 << 15) / Math.max(1, len * hd)), (from, to) -> {
            double[] qr = new double[hd], acc = new double[hd], p = new double[len];
            for (int rh = from; rh < to; rh++) {
                int r = rh / heads, h = rh % heads, g = h / group;
                int[] mrow = keyMask == null ? null : keyMask[r];
                for (int e = 0; e < hd; e++) qr[e] = qv.get(r * qd + h * hd + e);
                int base = (r * kvHeads + g) * cap * hd;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    if (!visible(mrow, pos, j)) { p[j] = Double.NEGATIVE_INFINITY; continue; }
                    double d = 0;
                    for (int e = 0, o = base + j * hd; e < hd; e++) d += qr[e] * kc.get(o + e);
                    p[j] = d * scale;
                    max = Math.max(max, p[j]);
                }
                java.util.Arrays.fill(acc, 0.0);
                if (max != Double.NEGATIVE_INFINITY) {
                    double sum = 0;
                    for (int j = 0; j < len; j++) { p[j] = p[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(p[j] - max); sum += p[j]; }
                    for (int j = 0; j < len; j++) {
                        if (p[j] == 0) continue;
                        double w = p[j] / sum;
                        for (int e = 0, o = base + j * hd; e < hd; e++) acc[e] += w * vc.get(o + e);
                    }
                }
                for (int e = 0; e < hd; e++) ov.put(r * qd + h * hd + e, acc[e]);
            }
        });
        return out;
    }

    private static void checkShape(String what, INDArray a, long rows, long cols) {
        if (a.rank() != 2 || a.size(0) != rows || a.size(1) != cols)
            throw new IllegalArgumentException("attention " + what + " must be [" + rows + ", " + cols + "], got "
                + java.util.Arrays.toString(a.shape()));
        if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE)
            throw new IllegalArgumentException("attention " + what + " must be FLOAT or DOUBLE, got " + a.dataType());
    }
}
