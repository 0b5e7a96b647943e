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

    /** @param x [B*T, d] @return [B*T, d] (a buffer of this layer) */
    INDArray forward(INDArray x, int B, int T, int[] pos, int[][] keyMask, ForwardContext ctx) {
        INDArray hh = sum(h, x, attn.forward(inputNorm.forward(x), B, T, pos, keyMask, ctx));
        return sum(y, hh, mlp.forward(postNorm.forward(hh), ctx));
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
