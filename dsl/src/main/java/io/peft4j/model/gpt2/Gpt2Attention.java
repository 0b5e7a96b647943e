package io.peft4j.model.gpt2;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Slot;
import io.peft4j.model.causal.CausalAttention;
import io.peft4j.model.causal.KvCache;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.FloatBuffer;

/**
 * GPT-2's self-attention ({@code transformer.h.N.attn}): one fused projection {@code c_attn}
 * ({@code [d] -> [3d]}, output split into q, k, v in that order), the shared causal attention core
 * ({@link CausalAttention}: multi-head, causal plus padding mask, scale {@code head_dim^-0.5}
 * possibly divided by {@code layer + 1}, dropout {@code attn_pdrop} on the probabilities) and the
 * output projection {@code c_proj}. Both projections are called only through their {@link Slot}s, so
 * a LoRA adapter on {@code c_attn} adapts q, k and v together, as PEFT's does.
 */
final class Gpt2Attention {
    final Slot cAttn, cProj;
    final CausalAttention core;
    private final int d;
    private final Buf qB = new Buf(), kB = new Buf(), vB = new Buf(), dqkvB = new Buf();
    private INDArray lastK, lastV;    // [B*T, d] keys and values of the last forward (for the prefill of a decoding)

    Gpt2Attention(Slot cAttn, Slot cProj, CausalAttention core, int d) {
        this.cAttn = cAttn; this.cProj = cProj; this.core = core; this.d = d;
    }

    /** @param x [B*T, d] (layer-normed) @param keyMask [B][T] @return [B*T, d] c_proj output (a buffer of the projection) */
    INDArray forward(INDArray x, int B, int T, int[][] keyMask, ForwardContext ctx) {
        INDArray qkv = cAttn.get().forward(x, ctx);
        INDArray q = qB.get(qkv.dataType(), qkv.size(0), d), k = kB.get(qkv.dataType(), qkv.size(0), d),
            v = vB.get(qkv.dataType(), qkv.size(0), d);
        split(qkv, q, k, v);
        lastK = k; lastV = v;
        return cProj.get().forward(core.forward(q, k, v, B, T, keyMask, ctx, ctx.training() && cProj.get().readsInputInBackward()), ctx);
    }

    /** Backward-only buffers and the projections' dX shared with another block's attention ({@link Buf#shareStorageOf}). */
    void shareBackwardBuffers(Gpt2Attention other) {
        dqkvB.shareStorageOf(other.dqkvB);
        core.shareBackwardBuffers(other.core);
        io.peft4j.model.Linear.shareBackwardBuffers(cAttn, other.cAttn); io.peft4j.model.Linear.shareBackwardBuffers(cProj, other.cProj);
    }

    /** @param dOut [B*T, d] @return dx [B*T, d] */
    INDArray backward(INDArray dOut) {
        CausalAttention.Grads g = core.backward(cProj.get().backward(dOut));
        INDArray dqkv = dqkvB.get(g.dq().dataType(), g.dq().size(0), 3L * d);
        join(g.dq(), g.dk(), g.dv(), dqkv);
        return cAttn.get().backward(dqkv);
    }

    /** Writes the keys and values of the last (prompt) forward into the cache, each row {@code copies} times. */
    void prefill(KvCache cache, int B, int T, int copies) { core.prefill(cache, lastK, lastV, B, T, copies); }

    /** One new position per cache row. @param x [N, d] (layer-normed) @return [N, d] */
    INDArray step(INDArray x, KvCache cache, int[][] keyMask) {
        ForwardContext ctx = ForwardContext.inference();
        INDArray qkv = cAttn.get().forward(x, ctx);
        INDArray q = qB.get(qkv.dataType(), qkv.size(0), d), k = kB.get(qkv.dataType(), qkv.size(0), d),
            v = vB.get(qkv.dataType(), qkv.size(0), d);
        split(qkv, q, k, v);
        return cProj.get().forward(core.step(q, k, v, cache, keyMask), ctx);
    }

    /** q, k, v [N, d] = columns [0, d), [d, 2d), [2d, 3d) of qkv [N, 3d]. */
    private void split(INDArray qkv, INDArray q, INDArray k, INDArray v) {
        int n = (int) qkv.size(0);
        if (Fast.plain(qkv, q, k, v)) {
            FloatBuffer s = Fast.fb(qkv), qb = Fast.fb(q), kb = Fast.fb(k), vb = Fast.fb(v);
            for (int r = 0; r < n; r++) {
                int o = r * 3 * d, t = r * d;
                qb.put(t, s, o, d);
                kb.put(t, s, o + d, d);
                vb.put(t, s, o + 2 * d, d);
            }
            return;
        }
        q.assign(qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)));
        k.assign(qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2L * d)));
        v.assign(qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(2L * d, 3L * d)));
    }

    /** out [N, 3d] = [dq | dk | dv]. */
    private void join(INDArray dq, INDArray dk, INDArray dv, INDArray out) {
        int n = (int) out.size(0);
        if (Fast.plain(dq, dk, dv, out)) {
            FloatBuffer o = Fast.fb(out), qb = Fast.fb(dq), kb = Fast.fb(dk), vb = Fast.fb(dv);
            for (int r = 0; r < n; r++) {
                int t = r * 3 * d, s = r * d;
                o.put(t, qb, s, d);
                o.put(t + d, kb, s, d);
                o.put(t + 2 * d, vb, s, d);
            }
            return;
        }
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).assign(dq);
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2L * d)).assign(dk);
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(2L * d, 3L * d)).assign(dv);
    }
}
