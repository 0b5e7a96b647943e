package io.peft4j.model.llama;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.RmsNorm;
import io.peft4j.model.causal.KvCache;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One decoder layer with pre-norm residuals:
 * {@code h = x + self_attn(input_layernorm(x))}, {@code y = h + mlp(post_attention_layernorm(h))}.
 */
public final class LlamaLayer {
    final RmsNorm inputNorm, postNorm;
    final LlamaAttention attn;
    final LlamaMlp mlp;
    private final Buf h = new Buf(), y = new Buf(), dh = new Buf(), dx = new Buf(), stepH = new Buf(), stepY = new Buf();

    public LlamaLayer(RmsNorm inputNorm, LlamaAttention attn, RmsNorm postNorm, LlamaMlp mlp) {
        this.inputNorm = inputNorm; this.attn = attn; this.postNorm = postNorm; this.mlp = mlp;
    }

    /** buf = a + b (+ c): a fused loop for float32, ND4J otherwise. */
    static INDArray sum(Buf buf, INDArray a, INDArray b, INDArray... more) {
        INDArray out = buf.get(a.dataType(), a.shape());
        if (Fast.plain(a, b, out)) Fast.add(a, b, out);
        else out.assign(a).addi(b);
        for (INDArray c : more) {
            if (Fast.plain(out, c)) Fast.addInPlace(out, c);
            else out.addi(c);
        }
        return out;
    }

    /**
     * @param x [B*T, d], updated in place: the residual stream is one buffer every layer adds to (no
     *          layer reads its input again after its norm, which keeps its own normalised copy)
     * @return x
     */
    INDArray forward(INDArray x, int B, int T, int[] pos, int[][] keyMask, ForwardContext ctx) {
        boolean t = ctx.training();
        // a norm's output is kept per layer only when a projection reading it needs it in backward
        addInPlace(x, attn.forward(inputNorm.forward(x, t && attn.readsInputInBackward()), B, T, pos, keyMask, ctx));
        return addInPlace(x, mlp.forward(postNorm.forward(x, t && mlp.readsInputInBackward()), ctx));
    }

    private static INDArray addInPlace(INDArray x, INDArray a) {
        if (Fast.plain(x, a)) Fast.addInPlace(x, a);
        else x.addi(a);
        return x;
    }

    /**
     * Shares this layer's backward-only buffers with {@code other} (layer 0): a layer's backward
     * consumes them before it returns, and layers run their backward one after another. The buffer
     * that leaves a layer (its dX, the next lower layer's dOut) is read there before that layer writes
     * its own dX (LlamaGradientCheckTest compares float32 and float64 gradients over several layers).
     */
    void shareBackwardBuffers(LlamaLayer other) {
        dh.shareStorageOf(other.dh); dx.shareStorageOf(other.dx);
        inputNorm.shareBackwardBuffers(other.inputNorm); postNorm.shareBackwardBuffers(other.postNorm);
        attn.shareBackwardBuffers(other.attn); mlp.shareBackwardBuffers(other.mlp);
    }

    /** @param dOut [B*T, d] @return dx [B*T, d] (a buffer of this layer) */
    INDArray backward(INDArray dOut) {
        INDArray g = sum(dh, dOut, postNorm.backward(mlp.backward(dOut)));
        return sum(dx, g, inputNorm.backward(attn.backward(g)));
    }

    /** Prompt pass of decoding: as {@link #forward} (inference), filling {@code cache}. */
    INDArray prefill(INDArray x, int B, int T, int[] pos, int[][] keyMask, KvCache cache, int copies) {
        INDArray hh = sum(h, x, attn.prefill(inputNorm.forward(x), B, T, pos, keyMask, cache, copies));
        return sum(y, hh, mlp.forward(postNorm.forward(hh), ForwardContext.inference()));
    }

    /** One decode step: x [N, d] at positions pos [N]. */
    INDArray step(INDArray x, int[] pos, KvCache cache, int[][] keyMask) {
        INDArray hh = sum(stepH, x, attn.step(inputNorm.forward(x), pos, cache, keyMask));
        return sum(stepY, hh, mlp.forward(postNorm.forward(hh), ForwardContext.inference()));
    }
}
