package io.peft4j.train;

import io.peft4j.ops.Fast;

import io.peft4j.model.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with the exact semantics of {@code torch.optim.AdamW} (single-tensor path, amsgrad off),
 * over the trainable parameters only. For each parameter p with gradient g at step t (1-based):
 * <pre>
 *   p   = p * (1 - lr * weightDecay)                 decoupled weight decay, before the Adam update
 *   m   = beta1 * m + (1 - beta1) * g
 *   v   = beta2 * v + (1 - beta2) * g * g
 *   p   = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Defaults are torch's: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. (Hugging Face's Trainer
 * passes weight decay 0.0; {@link TrainingConfig} follows the Trainer, this class follows torch.)
 *
 * <p>State per parameter: first moment m and second moment v (same shape as the parameter) and one
 * shared step count, as torch keeps it. All arithmetic is in place on preallocated buffers (one
 * scratch buffer per parameter), so a step allocates no tensors.
 *
 * <p>Parameters come in {@link Group}s, as torch's {@code param_groups}: each group has its own
 * learning-rate factor (the step's rate times the factor, e.g. LoRA+'s larger rate for B, see
 * {@link LoraPlus}) and its own weight decay. The list constructor makes one group with factor 1
 * and the options' weight decay.
 *
 * <p>{@link #step(double)} is all-or-nothing for the parameter values: the new values are computed
 * into the scratch buffers first and written only when every one of them is finite; otherwise a
 * {@link TrainingDivergedException} names the first parameter whose update overflowed and the
 * parameters keep their previous values. (The moments of that failed step have been advanced: resume
 * from a checkpoint to restore them exactly.)
 */
public final class AdamW {

    /** Hyper-parameters (learning rate comes per step from the schedule). */
    public record Options(double beta1, double beta2, double eps, double weightDecay) {
        public Options {
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 = " + beta1 + " is invalid: must be in [0, 1)");
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 = " + beta2 + " is invalid: must be in [0, 1)");
            if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("eps = " + eps + " is invalid: must be finite and >= 0");
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("weightDecay = " + weightDecay + " is invalid: must be finite and >= 0");
        }
        /** torch.optim.AdamW defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01. */
        public static Options torchDefaults() { return new Options(0.9, 0.999, 1e-8, 0.01); }
    }

    /**
     * A parameter group (torch's {@code param_groups} entry).
     *
     * @param name        for messages and tables (e.g. PEFT's "groupA", "groupB")
     * @param params      its parameters (frozen ones are ignored)
     * @param lrFactor    its learning rate is the step's rate times this (finite, >= 0)
     * @param weightDecay its decoupled weight decay (finite, >= 0)
     */
    public record Group(String name, List<Parameter> params, double lrFactor, double weightDecay) {
        public Group {
            params = List.copyOf(params);
            if (!(lrFactor >= 0) || Double.isInfinite(lrFactor)) throw new IllegalArgumentException("group '" + name + "': lrFactor = " + lrFactor + " is invalid: must be finite and >= 0");
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("group '" + name + "': weightDecay = " + weightDecay + " is invalid: must be finite and >= 0");
        }
    }

    private final Options opt;
    private final List<Group> groups;
    private final List<Parameter> params;     // trainable parameters, group by group (in model order within a group)
    private final double[] lrFactor, decay;   // per parameter, from its group
    private final List<INDArray> m;            // first moments, same shapes as params
    private final List<INDArray> v;            // second moments
    private final List<INDArray> scratch;      // new parameter values during a step
    private long step;

    /** Optimizes the trainable members of {@code parameters} (frozen ones are ignored), one group. */
    public AdamW(List<Parameter> parameters, Options options) {
        this(options, List.of(new Group("default", parameters, 1.0, options.weightDecay())));
    }

    /**
     * Optimizes the trainable members of {@code groups}, each with its learning-rate factor and
     * weight decay ({@code options.weightDecay()} is not used). A parameter may be in one group only.
     */
    public static AdamW withGroups(List<Group> groups, Options options) { return new AdamW(options, groups); }

    private AdamW(Options options, List<Group> groups) {
        this.opt = options;
        this.groups = List.copyOf(groups);
        List<Parameter> t = new ArrayList<>();
        List<Double> f = new ArrayList<>(), d = new ArrayList<>();
        java.util.Set<Parameter> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Group g : this.groups)
            for (Parameter p : g.params()) {
                if (!p.trainable()) continue;
                if (!seen.add(p)) throw new IllegalArgumentException("parameter " + p.name() + " is in more than one group (second: '" + g.name() + "')");
                t.add(p); f.add(g.lrFactor()); d.add(g.weightDecay());
            }
        if (t.isEmpty()) throw new IllegalArgumentException("no trainable parameters: mark at least one parameter trainable before training");
        this.params = Collections.unmodifiableList(t);
        this.lrFactor = f.stream().mapToDouble(Double::doubleValue).toArray();
        this.decay = d.stream().mapToDouble(Double::doubleValue).toArray();
        this.m = new ArrayList<>(); this.v = new ArrayList<>(); this.scratch = new ArrayList<>();
        for (Parameter p : t) {
            m.add(Nd4j.zeros(p.value().dataType(), p.value().shape()));
            v.add(Nd4j.zeros(p.value().dataType(), p.value().shape()));
            scratch.add(Nd4j.zeros(p.value().dataType(), p.value().shape()));
        }
    }

    public Options options() { return opt; }
    public List<Parameter> parameters() { return params; }
    /** The parameter groups, in order. */
    public List<Group> groups() { return groups; }
    /** Number of updates done so far (torch's {@code state['step']}). */
    public long stepCount() { return step; }

    /**
     * One update with learning rate {@code lr} from the gradients in each parameter's grad buffer
     * (a parameter without a gradient buffer is treated as having gradient zero, as torch skips
     * parameters whose grad is None only for the moments; here the buffer is created).
     */
    public void step(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate " + lr + " is invalid: must be finite and >= 0");
        long t = step + 1;
        double b1 = opt.beta1(), b2 = opt.beta2();
        double bc1 = 1 - Math.pow(b1, t);
        double bc2sqrt = Math.sqrt(1 - Math.pow(b2, t));
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            double groupLr = lr * lrFactor[i];
            double stepSize = groupLr / bc1;
            double decay = 1 - groupLr * this.decay[i];
            INDArray g = p.grad();
            INDArray mi = m.get(i), vi = v.get(i), s = scratch.get(i);
            boolean finite = Fast.plain(p.value(), g, mi, vi, s)
                ? fused(p.value(), g, mi, vi, s, b1, b2, bc2sqrt, stepSize, decay)
                : unfused(p.value(), g, mi, vi, s, b1, b2, bc2sqrt, stepSize, decay);
            if (!finite) {
                step = t;
                throw new TrainingDivergedException(-1, p.name(), "its value after the update is not finite (the learning rate " + lr + " is too large)");
            }
        }
        for (int i = 0; i < params.size(); i++) {
            INDArray pv = params.get(i).value(), sv = scratch.get(i);
            if (Fast.plain(pv, sv)) Fast.copy(sv, pv); else pv.assign(sv);
        }
        step = t;
    }

    /**
     * One pass over float32 buffers, in torch's order of float operations: m = m + (1-b1)(g-m);
     * v = v*b2 + (1-b2)(g*g); d = sqrt(v)/sqrt(bc2) + eps; new p = p*decay + (-lr/bc1)(m/d) into s.
     * Large tensors are split into chunks processed in parallel (elementwise, so deterministic).
     * @return whether every new value is finite
     */
    private boolean fused(INDArray p, INDArray g, INDArray m, INDArray v, INDArray s,
                          double b1, double b2, double bc2sqrt, double stepSize, double decay) {
        java.nio.FloatBuffer P = Fast.fb(p), G = Fast.fb(g), M = Fast.fb(m), V = Fast.fb(v), S = Fast.fb(s);
        final float w1 = (float) (1 - b1), fb2 = (float) b2, w2 = (float) (1 - b2), c2 = (float) bc2sqrt,
            e = (float) opt.eps(), ns = (float) -stepSize, dec = (float) decay;
        return Fast.forChunks((int) p.length(), (from, to) -> {
            boolean ok = true;
            for (int k = from; k < to; k++) {
                float gk = G.get(k);
                float mk = M.get(k);
                mk = mk + w1 * (gk - mk);
                float vk = V.get(k) * fb2 + w2 * (gk * gk);
                M.put(k, mk);
                V.put(k, vk);
                float denom = (float) Math.sqrt(vk) / c2 + e;
                float np = P.get(k) * dec + ns * (mk / denom);
                S.put(k, np);
                ok &= Float.isFinite(np);
            }
            return ok;
        });
    }

    /** The same update with ND4J operations, for tensors that are views, not c-ordered or not float32. */
    private boolean unfused(INDArray p, INDArray g, INDArray mi, INDArray vi, INDArray s,
                            double b1, double b2, double bc2sqrt, double stepSize, double decay) {
        s.assign(g).subi(mi).muli(1 - b1);
        mi.addi(s);
        s.assign(g).muli(g).muli(1 - b2);
        vi.muli(b2).addi(s);
        s.assign(vi);
        Transforms.sqrt(s, false);
        s.divi(bc2sqrt).addi(opt.eps());
        s.rdivi(mi).muli(-stepSize);
        Finite.axpy(decay, p, s);
        return Finite.isFinite(s);
    }

    /** State tensors keyed {@code <name>.exp_avg} and {@code <name>.exp_avg_sq} (views; copy before mutating). */
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put(params.get(i).name() + ".exp_avg", m.get(i));
            out.put(params.get(i).name() + ".exp_avg_sq", v.get(i));
        }
        return out;
    }

    /** Restores moments and step count from {@link #state()}; every trainable parameter must be present. */
    public void load(Map<String, INDArray> state, long stepCount) {
        if (stepCount < 0) throw new IllegalArgumentException("optimizer step " + stepCount + " is invalid: must be >= 0");
        for (int i = 0; i < params.size(); i++) {
            String n = params.get(i).name();
            for (String kind : new String[] {"exp_avg", "exp_avg_sq"}) {
                INDArray a = state.get(n + "." + kind);
                if (a == null) throw new IllegalArgumentException("optimizer state has no tensor '" + n + "." + kind + "' (present: " + state.keySet() + ")");
                INDArray target = kind.equals("exp_avg") ? m.get(i) : v.get(i);
                if (!java.util.Arrays.equals(a.shape(), target.shape()))
                    throw new IllegalArgumentException("optimizer state '" + n + "." + kind + "' has shape "
                        + java.util.Arrays.toString(a.shape()) + ", parameter has " + java.util.Arrays.toString(target.shape()));
                target.assign(a);
            }
        }
        this.step = stepCount;
    }
}
