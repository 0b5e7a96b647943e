package io.peft4j.model.gpt2;

import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.LayerNorm;
import io.peft4j.model.Parameter;
import io.peft4j.model.causal.KvCache;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * One GPT-2 block ({@code transformer.h.N}), pre-norm:
 * {@code h = x + drop(attn(ln_1(x)))}, {@code out = h + drop(mlp(ln_2(h)))}, the dropouts being
 * transformers' {@code resid_pdrop} after {@code attn.c_proj} and after {@code mlp.c_proj}.
 */
final class Gpt2Block {
    final LayerNorm ln1, ln2;
    final Gpt2Attention attn;
    final Gpt2Mlp mlp;
    private final Dropout dropA, dropM;
    private final Buf stepH = new Buf(), stepOut = new Buf();

    Gpt2Block(LayerNorm ln1, Gpt2Attention attn, LayerNorm ln2, Gpt2Mlp mlp, double residDropout) {
        this.ln1 = ln1; this.attn = attn; this.ln2 = ln2; this.mlp = mlp;
        this.dropA = new Dropout(residDropout);
        this.dropM = new Dropout(residDropout);
    }

    /**
     * @param x [B*T, d], updated in place: the residual stream is one buffer every block adds to (no
     *          block reads its input again after its norm, which keeps its own normalised copy)
     * @param keyMask [B][T] @return x
     */
    INDArray forward(INDArray x, int B, int T, int[][] keyMask, ForwardContext ctx) {
        INDArray a = dropA.forwardInPlace(attn.forward(ln1.forward(x), B, T, keyMask, ctx), ctx);
        addInPlace(x, a);
        INDArray f = dropM.forwardInPlace(mlp.forward(ln2.forward(x), ctx), ctx);
        return addInPlace(x, f);
    }

    /**
     * Shares this block's backward-only buffers with {@code other} (block 0): a block's backward
     * consumes them before it returns, and the one that leaves it (ln_1's dX, the next lower block's
     * dOut) is read there before that block writes its own (Gpt2GradientCheckTest compares float32
     * and float64 gradients over several blocks).
     */
    void shareBackwardBuffers(Gpt2Block other) {
        ln1.shareBackwardBuffers(other.ln1); ln2.shareBackwardBuffers(other.ln2);
        attn.shareBackwardBuffers(other.attn); mlp.shareBackwardBuffers(other.mlp);
        dropA.shareBackwardBuffers(other.dropA); dropM.shareBackwardBuffers(other.dropM);
    }

    /** @param dOut [B*T, d] @return dx [B*T, d] (a buffer of this block's layers) */
    INDArray backward(INDArray dOut) {
        INDArray dh = addInPlace(ln2.backward(mlp.backward(dropM.backward(dOut))), dOut);
        return addInPlace(ln1.backward(attn.backward(dropA.backward(dh))), dh);
    }

    /** Decoding: one position per cache row. @param x [N, d] @return [N, d] (a buffer of this block) */
    INDArray step(INDArray x, KvCache cache, int[][] keyMask) {
        INDArray h = add(stepH, x, attn.step(ln1.forward(x), cache, keyMask));
        return add(stepOut, h, mlp.forward(ln2.forward(h), ForwardContext.inference()));
    }

    /** Every parameter of the block, whatever its slots hold now. */
    List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        out.add(ln1.weight()); out.add(ln1.bias());
        out.addAll(attn.cAttn.get().parameters());
        out.addAll(attn.cProj.get().parameters());
        out.add(ln2.weight()); out.add(ln2.bias());
        out.addAll(mlp.cFc.get().parameters());
        out.addAll(mlp.cProj.get().parameters());
        return out;
    }

    /** True when anything in this block needs a gradient. */
    boolean anyTrainable() {
        for (Parameter p : parameters()) if (p.trainable()) return true;
        return false;
    }

    private static INDArray add(Buf buf, INDArray a, INDArray b) {
        INDArray out = buf.get(a.dataType(), a.shape());
        if (Fast.plain(a, b, out)) Fast.add(a, b, out);
        else out.assign(a).addi(b);
        return out;
    }

    private static INDArray addInPlace(INDArray g, INDArray d) {
        if (Fast.plain(g, d)) { Fast.addInPlace(g, d); return g; }
        return g.addi(d);
    }
}
