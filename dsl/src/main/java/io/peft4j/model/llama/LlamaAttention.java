package io.peft4j.model.llama;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Slot;
import io.peft4j.model.causal.CausalAttention;
import io.peft4j.model.causal.KvCache;
import io.peft4j.model.causal.Vals;
import io.peft4j.ops.Buf;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Llama-shaped self-attention: {@code q_proj}, {@code k_proj}, {@code v_proj} (with bias for Qwen2
 * or Llama's {@code attention_bias}), rotary embeddings on q and k, the shared
 * {@link CausalAttention} core (grouped-query, causal plus padding mask, optional sliding window),
 * then {@code o_proj}. Projections are called only through their slots.
 */
public final class LlamaAttention {
    final Slot q, k, v, o;
    final RotaryEmbedding rope;
    final CausalAttention core;
    private final int heads, kvHeads;
    private final Buf qr = new Buf(), kr = new Buf(), dq = new Buf(), dk = new Buf(), dx = new Buf(),
        sq = new Buf(), sk = new Buf();
    private int[] pos;                 // [B*T] position ids of the last forward
    private INDArray lastK, lastV;     // [B*T, Hkv*hd] rotated keys and values of the last forward

    public LlamaAttention(Slot q, Slot k, Slot v, Slot o, RotaryEmbedding rope, CausalAttention core) {
        this.q = q; this.k = k; this.v = v; this.o = o; this.rope = rope; this.core = core;
        this.heads = core.heads(); this.kvHeads = core.kvHeads();
    }

    /**
     * @param x [B*T, d] normalised hidden states; pos [B*T] position ids; keyMask [B][T] or null
     * @return [B*T, d]
     */
    public INDArray forward(INDArray x, int B, int T, int[] pos, int[][] keyMask, ForwardContext ctx) {
        this.pos = pos;
        INDArray q2 = q.get().forward(x, ctx), k2 = k.get().forward(x, ctx), v2 = v.get().forward(x, ctx);
        INDArray qRot = qr.get(q2.dataType(), q2.shape()), kRot = kr.get(k2.dataType(), k2.shape());
        rope.forward(Vals.denseOrCopy(q2), qRot, heads, pos);
        rope.forward(Vals.denseOrCopy(k2), kRot, kvHeads, pos);
        lastK = kRot;
        lastV = v2;
        INDArray c = core.forward(qRot, kRot, v2, B, T, keyMask, ctx, ctx.training() && o.get().readsInputInBackward());
        return o.get().forward(c, ctx);
    }

    /** Whether backward reads this attention's input (q, k or v trainable or adapted). */
    boolean readsInputInBackward() {
        return q.get().readsInputInBackward() || k.get().readsInputInBackward() || v.get().readsInputInBackward();
    }

    /** Backward-only buffers and the projections' dX shared with another layer's attention ({@link io.peft4j.ops.Buf#shareStorageOf}). */
    void shareBackwardBuffers(LlamaAttention other) {
        dq.shareStorageOf(other.dq); dk.shareStorageOf(other.dk); dx.shareStorageOf(other.dx);
        core.shareBackwardBuffers(other.core);
        io.peft4j.model.Linear.shareBackwardBuffers(q, other.q); io.peft4j.model.Linear.shareBackwardBuffers(k, other.k);
        io.peft4j.model.Linear.shareBackwardBuffers(v, other.v); io.peft4j.model.Linear.shareBackwardBuffers(o, other.o);
    }

    /** @param dOut [B*T, d] @return dx [B*T, d] (a buffer of this layer) */
    public INDArray backward(INDArray dOut) {
        CausalAttention.Grads g = core.backward(o.get().backward(dOut));
        INDArray dq2 = dq.get(g.dq().dataType(), g.dq().shape()), dk2 = dk.get(g.dk().dataType(), g.dk().shape());
        rope.backward(g.dq(), dq2, heads, pos);
        rope.backward(g.dk(), dk2, kvHeads, pos);
        INDArray a = q.get().backward(dq2), b = k.get().backward(dk2), c = v.get().backward(g.dv());
        return LlamaLayer.sum(dx, a, b, c);
    }

    /** Prompt pass of decoding: the forward, then the rotated keys and values into {@code cache} (each row {@code copies} times). */
    INDArray prefill(INDArray x, int B, int T, int[] pos, int[][] keyMask, KvCache cache, int copies) {
        INDArray out = forward(x, B, T, pos, keyMask, ForwardContext.inference());
        core.prefill(cache, lastK, lastV, B, T, copies);
        return out;
    }

    /** One decode step: x [N, d], pos [N]; appends to the cache and attends over it. */
    INDArray step(INDArray x, int[] pos, KvCache cache, int[][] keyMask) {
        ForwardContext ctx = ForwardContext.inference();
        INDArray q2 = q.get().forward(x, ctx), k2 = k.get().forward(x, ctx), v2 = v.get().forward(x, ctx);
        INDArray qRot = sq.get(q2.dataType(), q2.shape()), kRot = sk.get(k2.dataType(), k2.shape());
        rope.forward(Vals.denseOrCopy(q2), qRot, heads, pos);
        rope.forward(Vals.denseOrCopy(k2), kRot, kvHeads, pos);
        return o.get().forward(core.step(qRot, kRot, v2, cache, keyMask), ctx);
    }
}
