package io.peft4j.peft;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.Projection;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * (IA)^3 on one linear module (PEFT's {@code ia3.Linear}): a learned vector rescales either the
 * module's output ({@code y = (x W^T) * l}, l [out, 1], for attention k and v) or, for a
 * feed-forward module, its input ({@code y = (x * l) W^T}, l [1, in], for T5's wo). The vector
 * starts at ones (no change). Mergeable: W's rows (output) or columns (input) are multiplied by l;
 * with output scaling a bias of the base layer is multiplied by l too (as PEFT merges it).
 */
public final class Ia3Linear implements PeftLayer {
    private static final Logger LOG = LoggerFactory.getLogger(Ia3Linear.class);

    private final String module;
    private final Projection base;
    private final Parameter weight;        // [out, in]
    private final Parameter l;             // [out, 1] or [1, in]
    private final boolean feedforward;
    private boolean merged, disabled;
    private INDArray lastX, lastY;         // training caches: x [N,in] (feedforward) or base output [N,out]

    public Ia3Linear(String module, Projection base, boolean feedforward) {
        this.module = module;
        this.base = base;
        this.weight = LoraLinear.weightOf(module, base);
        this.feedforward = feedforward;
        long[] shape = feedforward ? new long[]{1, base.inFeatures()} : new long[]{base.outFeatures(), 1};
        this.l = new Parameter(module + ".ia3_l.default", Nd4j.ones(weight.value().dataType(), shape), true);
    }

    @Override public String module() { return module; }
    @Override public Projection base() { return base; }
    @Override public List<Parameter> adapterParameters() { return List.of(l); }
    @Override public long inFeatures() { return base.inFeatures(); }
    @Override public long outFeatures() { return base.outFeatures(); }

    /** The scaling vector, [out, 1] or [1, in] as PEFT stores it. */
    public Parameter vector() { return l; }
    public boolean feedforward() { return feedforward; }
    public boolean merged() { return merged; }

    public void setDisabled(boolean d) {
        if (d && merged) unmerge();
        disabled = d;
    }

    /**
     * W *= l (rows for output scaling, columns for input scaling), and an output-scaled layer's bias
     * too, as PEFT merges it. Twice: warns, does nothing.
     */
    public void merge() {
        if (merged) { LOG.warn("{}: IA3 vector already merged; merging again does nothing", module); return; }
        if (feedforward) weight.value().muliRowVector(l.value());
        else {
            weight.value().muliColumnVector(l.value());
            Parameter b = biasOf();
            if (b != null) b.value().muli(l.value().reshape(b.value().shape()));   // PEFT scales an output bias too
        }
        merged = true;
    }

    public void unmerge() {
        if (!merged) { LOG.warn("{}: IA3 vector is not merged; nothing to unmerge", module); return; }
        if (feedforward) weight.value().diviRowVector(l.value());
        else {
            weight.value().diviColumnVector(l.value());
            Parameter b = biasOf();
            if (b != null) b.value().divi(l.value().reshape(b.value().shape()));
        }
        merged = false;
    }

    /** The base layer's bias [out] (Qwen2's k/v, GPT-2's layers), or null. */
    private Parameter biasOf() {
        for (Parameter p : base.parameters())
            if (p != weight && p.value().rank() == 1 && p.value().length() == base.outFeatures()) return p;
        return null;
    }

    @Override public INDArray forward(INDArray x, ForwardContext ctx) {
        lastX = null; lastY = null;
        if (disabled || merged) {
            if (merged && ctx.training()) throw new IllegalStateException(module + ": IA3 vector is merged; unmerge before training");
            return base.forward(x, ctx);
        }
        if (feedforward) {
            INDArray xs = x.mulRowVector(l.value());
            if (ctx.training()) lastX = x.dup();
            return base.forward(xs, ctx);
        }
        INDArray y = base.forward(x, ctx);
        if (ctx.training()) lastY = y.dup();
        return y.muliRowVector(l.value().reshape(1, base.outFeatures()));
    }

    @Override public INDArray backward(INDArray dy) {
        if (disabled || merged) return base.backward(dy);
        if (feedforward) {
            INDArray dxs = base.backward(dy);                                    // d(x*l) [N, in]
            if (l.trainable() && lastX != null) l.grad().addi(dxs.mul(lastX).sum(true, 0));
            return dxs.mulRowVector(l.value());
        }
        INDArray lrow = l.value().reshape(1, base.outFeatures());
        if (l.trainable() && lastY != null) l.grad().addi(dy.mul(lastY).sum(true, 0).reshape(base.outFeatures(), 1));
        return base.backward(dy.mulRowVector(lrow));
    }

    @Override public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>(base.parameters());
        ps.add(l);
        return ps;
    }

    @Override public String toString() {
        return "Ia3Linear(" + module + (feedforward ? ", scales input" : ", scales output") + (merged ? ", merged" : "") + ")";
    }
}
