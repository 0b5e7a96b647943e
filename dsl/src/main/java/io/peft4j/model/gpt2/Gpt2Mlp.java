package io.peft4j.model.gpt2;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Slot;
import io.peft4j.ops.Activations;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * GPT-2's MLP: {@code c_proj(gelu_new(c_fc(x)))} ({@code transformer.h.N.mlp}); the residual dropout
 * after it belongs to the block. Both projections are called only through their {@link Slot}s
 * ({@code mlp.c_fc}, {@code mlp.c_proj}), so PEFT methods can wrap them.
 *
 * <p>gelu_new is the tanh form {@code 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3)))} in float32 as
 * PyTorch computes it; a training forward keeps its derivative for the backward.
 */
final class Gpt2Mlp {
    private static final int GRAIN = 1 << 14;
    private static final float GC = (float) Activations.GELU_C, GA = (float) Activations.GELU_A;
    final Slot cFc, cProj;
    private final Buf hB = new Buf(), hShared = new Buf(), derB = new Buf(), dpreB = new Buf();
    private INDArray pre;             // [N, ff] c_fc output of the last forward (ND4J path)
    private boolean derValid;         // derB holds gelu_new'(pre) of the last training forward (float32 path)

    Gpt2Mlp(Slot cFc, Slot cProj) { this.cFc = cFc; this.cProj = cProj; }

    /** Backward-only buffers and the projections' dX shared with another block's MLP ({@link Buf#shareStorageOf}). */
    void shareBackwardBuffers(Gpt2Mlp other) {
        dpreB.shareStorageOf(other.dpreB); hShared.shareStorageOf(other.hShared);
        io.peft4j.model.Linear.shareBackwardBuffers(cFc, other.cFc); io.peft4j.model.Linear.shareBackwardBuffers(cProj, other.cProj);
    }

    /** @param x [N, d] @return [N, d] */
    INDArray forward(INDArray x, ForwardContext ctx) {
        INDArray a = cFc.get().forward(x, ctx);
        // c_proj's input: per layer only when c_proj's backward reads it, else one buffer for every block
        INDArray h = (ctx.training() && cProj.get().readsInputInBackward() ? hB : hShared).get(a.dataType(), a.shape());
        if (Fast.plain(a, h)) {
            FloatBuffer ab = Fast.fb(a), hb = Fast.fb(h);
            FloatBuffer db = ctx.training() ? Fast.fb(derB.get(a.dataType(), a.shape())) : null;
            Par.forRange((int) a.length(), GRAIN, (from, to) -> gelu(ab, hb, db, from, to));
            derValid = db != null;
            pre = null;
        } else {
            Activations.geluNew(a, h);
            derValid = false;
            pre = ctx.training() ? a.dup() : null;
        }
        return cProj.get().forward(h, ctx);
    }

    /** g = gelu_new(a) and, when {@code der} is not null, gelu_new'(a), elements [from, to), float32. */
    static void gelu(FloatBuffer a, FloatBuffer g, FloatBuffer der, int from, int to) {
        final int ch = 2048;
        float[] av = new float[ch], gv = new float[ch], dv = der == null ? null : new float[ch];
        for (int s0 = from; s0 < to; s0 += ch) {
            int len = Math.min(ch, to - s0);
            a.get(s0, av, 0, len);
            for (int i = 0; i < len; i++) {
                float v = av[i], v2 = v * v;
                float t = Activations.tanhf(GC * (v + GA * v2 * v));
                gv[i] = 0.5f * v * (1f + t);
                if (dv != null) dv[i] = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * GC * (1f + 3f * GA * v2);
            }
            g.put(s0, gv, 0, len);
            if (dv != null) der.put(s0, dv, 0, len);
        }
    }

    /** @param dOut [N, d] @return dx [N, d] */
    INDArray backward(INDArray dOut) {
        INDArray dh = cProj.get().backward(dOut);
        INDArray dpre;
        if (derValid && Fast.plain(dh)) {
            dpre = dpreB.get(dh.dataType(), dh.shape());
            FloatBuffer g = Fast.fb(dh), d = Fast.fb(derB.get(dh.dataType(), dh.shape())), o = Fast.fb(dpre);
            Par.forRange((int) dh.length(), GRAIN, (from, to) -> { for (int i = from; i < to; i++) o.put(i, g.get(i) * d.get(i)); });
        } else {
            if (pre == null) throw new IllegalStateException("GPT-2 MLP backward needs a preceding training-mode forward");
            dpre = dh.mul(Activations.geluNewDerivative(pre));
        }
        return cFc.get().backward(dpre);
    }
}
