package io.peft4j.model.llama;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Slot;
import io.peft4j.model.causal.Vals;
import io.peft4j.ops.Activations;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The SwiGLU MLP of Llama-shaped models: {@code down(silu(gate(x)) * up(x))}, with
 * {@code silu(a) = a * sigmoid(a)}. The three linear maps are called only through their slots
 * ({@code mlp.gate_proj}, {@code mlp.up_proj}, {@code mlp.down_proj}), so PEFT layers can wrap them.
 */
public final class LlamaMlp {
    final Slot gate, up, down;
    private static final int GRAIN = 1 << 14, CH = 2048;
    private final Buf h = new Buf(), hShared = new Buf(), dg = new Buf(), du = new Buf(), dx = new Buf();
    private INDArray g, u;             // [N, ff] gate and up outputs of the last forward

    public LlamaMlp(Slot gate, Slot up, Slot down) { this.gate = gate; this.up = up; this.down = down; }

    static double silu(double a) { return a / (1.0 + Math.exp(-a)); }

    /** d silu / da = s (1 + a (1 - s)), s = sigmoid(a). */
    static double siluGrad(double a) {
        double s = 1.0 / (1.0 + Math.exp(-a));
        return s * (1.0 + a * (1.0 - s));
    }

    /** Whether backward reads this MLP's input (gate or up trainable or adapted). */
    boolean readsInputInBackward() { return gate.get().readsInputInBackward() || up.get().readsInputInBackward(); }

    /** Backward-only buffers and the projections' dX shared with another layer's MLP ({@link Buf#shareStorageOf}). */
    void shareBackwardBuffers(LlamaMlp other) {
        dg.shareStorageOf(other.dg); du.shareStorageOf(other.du); dx.shareStorageOf(other.dx); hShared.shareStorageOf(other.hShared);
        io.peft4j.model.Linear.shareBackwardBuffers(gate, other.gate); io.peft4j.model.Linear.shareBackwardBuffers(up, other.up);
        io.peft4j.model.Linear.shareBackwardBuffers(down, other.down);
    }

    /** @param x [N, d] @return [N, d] */
    public INDArray forward(INDArray x, ForwardContext ctx) {
        g = Vals.denseOrCopy(gate.get().forward(x, ctx));
        u = Vals.denseOrCopy(up.get().forward(x, ctx));
        // down's input: per layer only when down's backward reads it, else one buffer for every layer
        INDArray hid = (ctx.training() && down.get().readsInputInBackward() ? h : hShared).get(g.dataType(), g.shape());
        if (g.dataType() == DataType.FLOAT) {                 // float32: blocks of Java arrays (bulk reads and writes)
            FloatBuffer gb = g.data().asNioFloat(), ub = u.data().asNioFloat(), hb = hid.data().asNioFloat();
            Par.forRange((int) g.length(), GRAIN, (from, to) -> {
                float[] ga = new float[CH], ua = new float[CH];
                double[] ex = new double[CH];
                for (int s0 = from; s0 < to; s0 += CH) {
                    int len = Math.min(CH, to - s0);
                    gb.get(s0, ga, 0, len);
                    ub.get(s0, ua, 0, len);
                    for (int i = 0; i < len; i++) ex[i] = -ga[i];
                    Activations.expInPlace(ex, len);             // exp(-a), vectorised
                    for (int i = 0; i < len; i++) ga[i] = (float) (ga[i] / (1.0 + ex[i])) * ua[i];   // silu(a) * up
                    hb.put(s0, ga, 0, len);
                }
            });
        } else {
            Vals gv = Vals.of(g), uv = Vals.of(u), hv = Vals.of(hid);
            Par.forRange((int) g.length(), GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) hv.put(i, silu(gv.get(i)) * uv.get(i));
            });
        }
        return down.get().forward(hid, ctx);
    }

    /** @param dOut [N, d] @return dx [N, d] (a buffer of this layer) */
    public INDArray backward(INDArray dOut) {
        INDArray dh = Vals.denseOrCopy(down.get().backward(dOut));
        INDArray dgB = dg.get(g.dataType(), g.shape()), duB = du.get(g.dataType(), g.shape());
        if (g.dataType() == DataType.FLOAT) {
            FloatBuffer db = dh.data().asNioFloat(), gb = g.data().asNioFloat(), ub = u.data().asNioFloat(),
                dgb = dgB.data().asNioFloat(), dub = duB.data().asNioFloat();
            Par.forRange((int) g.length(), GRAIN, (from, to) -> {
                float[] da = new float[CH], ga = new float[CH], ua = new float[CH];
                double[] ex = new double[CH];
                for (int s0 = from; s0 < to; s0 += CH) {
                    int len = Math.min(CH, to - s0);
                    db.get(s0, da, 0, len);
                    gb.get(s0, ga, 0, len);
                    ub.get(s0, ua, 0, len);
                    for (int i = 0; i < len; i++) ex[i] = -ga[i];
                    Activations.expInPlace(ex, len);             // exp(-a), vectorised
                    for (int i = 0; i < len; i++) {
                        double a = ga[i], sg = 1.0 / (1.0 + ex[i]);
                        float dv = da[i];
                        ga[i] = (float) (dv * ua[i] * sg * (1.0 + a * (1.0 - sg)));   // d gate
                        ua[i] = (float) (dv * a * sg);                                 // d up
                    }
                    dgb.put(s0, ga, 0, len);
                    dub.put(s0, ua, 0, len);
                }
            });
        } else {
            Vals d = Vals.of(dh), gv = Vals.of(g), uv = Vals.of(u), dgv = Vals.of(dgB), duv = Vals.of(duB);
            Par.forRange((int) g.length(), GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    double a = gv.get(i), dv = d.get(i);
                    dgv.put(i, dv * uv.get(i) * siluGrad(a));
                    duv.put(i, dv * silu(a));
                }
            });
        }
        INDArray dx0 = gate.get().backward(dgB);
        INDArray dx1 = up.get().backward(duB);
        return LlamaLayer.sum(dx, dx0, dx1);
    }
}
