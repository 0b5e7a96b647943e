package io.peft4j.model.t5;

import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.RmsNorm;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One T5 block with pre-norm residual sub-layers: self-attention, (decoder only) cross-attention,
 * feed-forward; each {@code h = h + dropout(sublayer(layer_norm(h)))}.
 */
public final class T5Block {
    final RmsNorm ln0, ln1, lnF;      // ln1 null in the encoder
    final Attention self, cross;       // cross null in the encoder
    final FeedForward ff;
    private final Dropout d0, d1, dF;

    T5Block(RmsNorm ln0, Attention self, RmsNorm ln1, Attention cross, RmsNorm lnF, FeedForward ff, double dropout) {
        this.ln0 = ln0; this.self = self; this.ln1 = ln1; this.cross = cross; this.lnF = lnF; this.ff = ff;
        this.d0 = new Dropout(dropout); this.d1 = new Dropout(dropout); this.dF = new Dropout(dropout);
    }

    /**
     * Shares this block's backward-only buffers with {@code other} (block 0 of the same stack): a
     * block's backward consumes all of them before it returns, and blocks run their backward one
     * after another. The one buffer that leaves a block (ln0's dX, the previous block's dOut) is read
     * only before the previous block writes its own ln0 dX. Saves one set of backward buffers per
     * block after the first (GradientCheckTest checks the gradients with several blocks).
     */
    void shareBackwardBuffers(T5Block other) {
        ln0.shareBackwardBuffers(other.ln0); lnF.shareBackwardBuffers(other.lnF);
        if (ln1 != null && other.ln1 != null) ln1.shareBackwardBuffers(other.ln1);
        self.shareBackwardBuffers(other.self);
        if (cross != null && other.cross != null) cross.shareBackwardBuffers(other.cross);
        ff.shareBackwardBuffers(other.ff);
        d0.shareBackwardBuffers(other.d0); d1.shareBackwardBuffers(other.d1); dF.shareBackwardBuffers(other.dF);
    }


    /**
     * @param x [B*T, d]; selfBias [B, H, T, T]; enc [B*S, d] and crossBias [B, H, T, S] for the decoder
     * @return [B*T, d]: x itself, updated in place (the residual stream)
     */
    INDArray forward(INDArray x, int B, int T, INDArray selfBias, INDArray enc, int S, INDArray crossBias, ForwardContext ctx) {
        boolean t = ctx.training();
        // a norm's output is kept per layer only when a projection reading it needs it in backward
        INDArray a = d0.forwardInPlace(self.forward(ln0.forward(x, t && (self.readsQueryInputInBackward()
            || self.readsKeyValueInputInBackward())), null, B, T, T, selfBias, ctx), ctx);
        INDArray h = residual(x, a);
        if (cross != null) {
            a = d1.forwardInPlace(cross.forward(ln1.forward(h, t && cross.readsQueryInputInBackward()), enc, B, T, S, crossBias, ctx), ctx);
            h = residual(h, a);
        }
        INDArray f = dF.forwardInPlace(ff.forward(lnF.forward(h, t && ff.readsInputInBackward()), ctx), ctx);
        return residual(h, f);
    }

    /**
     * x += a, in place: the residual stream is one buffer (the stack's embedded input) that every
     * block adds to. Nothing reads a block's input again after its norm (which keeps its own
     * normalised copy), so no per-block copy is kept.
     */
    private static INDArray residual(INDArray x, INDArray a) {
        if (Fast.plain(x, a)) Fast.addInPlace(x, a);
        else x.addi(a);
        return x;
    }

    private static INDArray addInPlace(INDArray g, INDArray d) {
        if (Fast.plain(g, d)) { Fast.addInPlace(g, d); return g; }
        return g.addi(d);
    }

    /** @param dOut [B*T, d]; dEnc accumulates the encoder-state gradient (decoder) @return dx */
    INDArray backward(INDArray dOut, INDArray dEnc) {
        INDArray dh = addInPlace(lnF.backward(ff.backward(dF.backward(dOut))), dOut);
        if (cross != null) {
            INDArray g = addInPlace(ln1.backward(cross.backward(d1.backward(dh))), dh);
            addInPlace(dEnc, cross.lastDKv());
            dh = g;
        }
        return addInPlace(ln0.backward(self.backward(d0.backward(dh))), dh);
    }

    /** Generation: one position per row. */
    private final Buf stepH = new Buf();   // [N, d] this block's output of the last decode step

    INDArray step(INDArray x, Attention.KvCache selfCache, INDArray selfBias, Attention.KvCache crossCache, INDArray crossBias) {
        ForwardContext ctx = ForwardContext.inference();
        INDArray a = self.stepSelf(ln0.forward(x), selfCache, selfBias);
        INDArray h = stepH.get(x.dataType(), x.shape());
        if (Fast.plain(x, a, h)) Fast.add(x, a, h); else h.assign(x).addi(a);
        INDArray cr = cross.stepCross(ln1.forward(h), crossCache, crossBias);
        if (Fast.plain(h, cr)) Fast.addInPlace(h, cr); else h.addi(cr);
        INDArray f = ff.forward(lnF.forward(h), ctx);
        if (Fast.plain(h, f)) Fast.addInPlace(h, f); else h.addi(f);
        return h;
    }
}
