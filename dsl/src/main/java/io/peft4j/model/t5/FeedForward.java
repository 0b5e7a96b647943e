package io.peft4j.model.t5;

import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Linear;
import io.peft4j.model.Slot;
import io.peft4j.ops.Activations;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * T5's feed-forward: {@code wo(drop(relu(wi x)))} or the gated form
 * {@code wo(drop(gelu_new(wi_0 x) * wi_1 x))} of FLAN-T5 / T5 v1.1. The GELU is the tanh
 * approximation ({@code gelu_new}), written out here because ND4J's {@code gelu} is the sigmoid one.
 */
public final class FeedForward {
    final Slot wi, wi1, wo;           // wi is wi_0 when gated; wi1 null unless gated
    final boolean gated;
    private static final int GRAIN = 1 << 14;
    private final Dropout drop;
    private final Buf h = new Buf(), hShared = new Buf(), g = new Buf(), dx = new Buf(), dlB = new Buf(), daB = new Buf(), derB = new Buf();
    private boolean derValid;          // derB holds gelu_new'(wi_0 x) of the last (training, float32) forward
    private INDArray pre0, pre1;      // wi / wi_0 output and wi_1 output of the last forward

    public FeedForward(Slot wi, Slot wi1, Slot wo, double dropout) {
        this.wi = wi; this.wi1 = wi1; this.wo = wo; this.gated = wi1 != null;
        this.drop = new Dropout(dropout);
    }

    /** Backward-only scratch and the projections' dX shared with another block's feed-forward (see {@link Buf#shareStorageOf}). */
    void shareBackwardBuffers(FeedForward other) {
        dx.shareStorageOf(other.dx); dlB.shareStorageOf(other.dlB); daB.shareStorageOf(other.daB); hShared.shareStorageOf(other.hShared);
        drop.shareBackwardBuffers(other.drop);
        Linear.shareBackwardBuffers(wi, other.wi); Linear.shareBackwardBuffers(wo, other.wo);
        if (wi1 != null && other.wi1 != null) Linear.shareBackwardBuffers(wi1, other.wi1);
    }

    /** Whether backward reads this feed-forward's input (wi or wi_1 trainable or adapted). */
    boolean readsInputInBackward() { return wi.get().readsInputInBackward() || (wi1 != null && wi1.get().readsInputInBackward()); }

    /** @param x [N, d] @return [N, d] */
    public INDArray forward(INDArray x, ForwardContext ctx) {
        pre0 = wi.get().forward(x, ctx);
        // wo's input: kept per layer only when wo's backward reads it (a trainable or adapted wo);
        // otherwise one buffer serves every block of the stack
        INDArray hid = (ctx.training() && wo.get().readsInputInBackward() ? h : hShared).get(pre0.dataType(), pre0.shape());
        if (gated && Fast.plain(pre0, hid)) {
            pre1 = wi1.get().forward(x, ctx);
            INDArray gl = g.get(pre0.dataType(), pre0.shape());
            java.nio.FloatBuffer a = Fast.fb(pre0), b = Fast.fb(pre1), gb = Fast.fb(gl), hb = Fast.fb(hid);
            int n = (int) pre0.length();
            java.nio.FloatBuffer db = ctx.training() ? Fast.fb(derB.get(pre0.dataType(), pre0.shape())) : null;
            Par.forRange(n, GRAIN, (from, to) -> Activations.geluGatedRange(a, b, gb, hb, db, from, to));
            derValid = db != null;
        } else if (gated) {
            derValid = false;
            pre1 = wi1.get().forward(x, ctx);
            INDArray gl = g.get(pre0.dataType(), pre0.shape());
            Activations.geluNew(pre0, gl);
            hid.assign(gl).muli(pre1);
        } else {
            hid.assign(pre0);
            Transforms.relu(hid, false);
        }
        drop.forwardInPlace(hid, ctx);
        return wo.get().forward(hid, ctx);
    }

    /** @param dOut [N, d] @return dx [N, d] */
    public INDArray backward(INDArray dOut) {
        INDArray dh = drop.backward(wo.get().backward(dOut));
        if (!gated) {
            INDArray dpre = dh.mul(Transforms.step(pre0, true));
            return wi.get().backward(dpre);
        }
        INDArray gl = g.get(pre0.dataType(), pre0.shape());
        if (derValid && Fast.plain(dh, gl, pre0, pre1)) {
            INDArray dl = dlB.get(dh.dataType(), dh.shape()), da = daB.get(dh.dataType(), dh.shape());
            java.nio.FloatBuffer d = Fast.fb(dh), gb = Fast.fb(gl), b = Fast.fb(pre1),
                lb = Fast.fb(dl), ab = Fast.fb(da), der = Fast.fb(derB.get(dh.dataType(), dh.shape()));
            int n = (int) dh.length();
            Par.forRange(n, GRAIN, (from, to) -> Activations.gatedBackwardRange(d, gb, b, der, lb, ab, from, to));
            INDArray dx0 = wi.get().backward(da);
            INDArray dx1 = wi1.get().backward(dl);
            INDArray out = dx.get(dx0.dataType(), dx0.shape());
            if (Fast.plain(dx0, dx1, out)) Fast.add(dx0, dx1, out);
            else out.assign(dx0).addi(dx1);
            return out;
        }
        INDArray dl = dh.mul(gl);                              // d wi_1 output
        INDArray da = dh.mul(pre1).muli(Activations.geluNewDerivative(pre0));
        INDArray dx0 = wi.get().backward(da);
        INDArray dx1 = wi1.get().backward(dl);
        return dx.get(dx0.dataType(), dx0.shape()).assign(dx0).addi(dx1);
    }

}
