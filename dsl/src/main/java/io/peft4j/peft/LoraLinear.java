package io.peft4j.peft;

import io.peft4j.ops.Fast;
import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.Projection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A linear module with LoRA adapters: {@code y = x W^T + sum over active adapters of
 * scaling * dropout(x) A^T B^T}, the base weight W [out, in] frozen. Each adapter's share is
 * computed by its {@link LoraVariant}: plain LoRA as written, DoRA ({@link Dora}) rescaling the
 * adapted weight's rows by a learned magnitude.
 *
 * <p>Like PEFT's {@code lora.Linear}, it wraps the original projection and can hold several named
 * adapters, one or more of them active. {@link #merge} folds the active adapters into W
 * ({@code W += scaling * B A}, computed in float32) so inference costs nothing extra;
 * {@link #unmerge} takes them out again (the last merged first, as PEFT). Merging an adapter that is
 * already merged warns and does nothing.
 *
 * <p>Backward computes dX and the gradients of trainable A and B, never dW: the base projection's
 * weight is frozen, so its own backward only propagates dX.
 *
 * <p>This class holds no training logic (no optimiser, no schedule): it is a {@link Projection}.
 */
public final class LoraLinear implements PeftLayer {
    private static final Logger LOG = LoggerFactory.getLogger(LoraLinear.class);

    private final String module;
    private final Projection base;
    private final Parameter weight;                          // [out, in], the base weight (for merging)
    private final Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
    private final Set<String> active = new LinkedHashSet<>();
    private final Set<String> merged = new LinkedHashSet<>();
    private boolean disabled;
    private String[] rowAdapters;                            // per batch row, inference only; null: all rows use the active set

    // kept by a training forward for backward
    private INDArray lastX;                                  // [N, in]
    private final List<Cache> caches = new ArrayList<>();

    private record Cache(LoraAdapter adapter, Dropout dropout, LoraVariant.Backward backward) {}  // dropout of the input, or null
    /** Each adapter's dropout on the layer input: the model's one {@link Dropout} (masks recomputed from the seed in backward). */
    private final Map<String, Dropout> dropouts = new java.util.HashMap<>();

    /**
     * @param module the Hugging Face module name (used for adapter parameter names and messages)
     * @param base   the frozen linear projection; its [out, in] weight is found among its parameters
     */
    public LoraLinear(String module, Projection base) {
        if (base instanceof LoraLinear) throw new IllegalArgumentException(module + " is already a LoRA layer");
        this.module = module;
        this.base = base;
        this.weight = weightOf(module, base);
    }

    /** The [out, in] weight parameter of a linear projection. */
    static Parameter weightOf(String module, Projection p) {
        for (Parameter q : p.parameters()) {
            long[] s = q.value().shape();
            if (s.length == 2 && s[0] == p.outFeatures() && s[1] == p.inFeatures()) return q;
        }
        throw new IllegalArgumentException(module + ": projection " + p.getClass().getSimpleName()
            + " has no [" + p.outFeatures() + ", " + p.inFeatures() + "] weight parameter to adapt");
    }

    @Override public String module() { return module; }
    @Override public Projection base() { return base; }

    @Override public List<Parameter> adapterParameters() {
        List<Parameter> ps = new ArrayList<>();
        for (LoraAdapter a : adapters.values()) ps.addAll(a.parameters());
        return ps;
    }
    public Parameter baseWeight() { return weight; }

    /** The base weight's current value as [out, in] (the layout every variant and initialisation works in). */
    INDArray weightOutIn() { return weight.value(); }

    /** The base projection's bias [out], or null. */
    INDArray baseBias() {
        for (Parameter q : base.parameters()) {
            long[] sh = q.value().shape();
            if (q != weight && sh.length == 1 && sh[0] == base.outFeatures()) return q.value();
        }
        return null;
    }

    @Override public long inFeatures() { return base.inFeatures(); }
    @Override public long outFeatures() { return base.outFeatures(); }

    // ---------------------------------------------------------------- adapters

    /** Adds a named plain LoRA adapter (not activated). */
    public LoraAdapter addAdapter(String name, int r, double scaling, double dropout, LoraInit init, SplittableRandom rng) {
        return addAdapter(name, r, scaling, dropout, init, LoraVariant.Kind.LORA, rng);
    }

    /**
     * Adds a named adapter (not activated): A and B from {@code init} (OLoRA and PiSSA also replace
     * the base weight by the residual, as PEFT does), then the variant (DoRA's magnitude starts as
     * the row norms of the weight the adapter now sees).
     */
    public LoraAdapter addAdapter(String name, int r, double scaling, double dropout, LoraInit init, LoraVariant.Kind variant,
                                  SplittableRandom rng) {
        if (adapters.containsKey(name)) throw new IllegalArgumentException(module + " already has an adapter named '" + name + "'");
        if (r <= 0) throw new IllegalArgumentException(module + ": r = " + r + " is invalid: the rank must be a positive integer");
        if (init.changesBaseWeight() && !merged.isEmpty())
            throw new IllegalStateException(module + ": adapters " + merged + " are merged; unmerge them before adding a " + init.peftValue()
                + " adapter (it replaces the base weight by a residual)");
        INDArray av = Nd4j.zeros(DataType.FLOAT, r, inFeatures()), bv = Nd4j.zeros(DataType.FLOAT, outFeatures(), r);
        init.init(new LoraInit.Target(module, av, bv, weightOutIn(), scaling, rng));
        LoraAdapter a = new LoraAdapter(module, name, av, bv, scaling, dropout, init, variant, weightOutIn(), weight.value().dataType());
        adapters.put(name, a);
        return a;
    }

    public Map<String, LoraAdapter> adapters() { return java.util.Collections.unmodifiableMap(adapters); }

    public LoraAdapter adapter(String name) {
        LoraAdapter a = adapters.get(name);
        if (a == null) throw new IllegalArgumentException(module + " has no adapter '" + name + "' (has " + adapters.keySet() + ")");
        return a;
    }

    /** Makes exactly these adapters active (unmerging merged ones that become inactive first). */
    public void setActive(List<String> names) {
        for (String n : names) adapter(n);
        for (String m : new ArrayList<>(merged)) if (!names.contains(m)) unmerge(List.of(m));
        active.clear();
        active.addAll(names);
    }

    public List<String> active() { return List.copyOf(active); }

    /** Removes an adapter (unmerged first when merged). */
    public void deleteAdapter(String name) {
        adapter(name);
        if (merged.contains(name)) unmerge(List.of(name));
        adapters.remove(name);             // with it go its work buffers
        dropouts.remove(name);
        active.remove(name);
    }

    /** While disabled the layer computes the base projection only (merged adapters are unmerged first, as PEFT does). */
    public void setDisabled(boolean disabled) {
        if (disabled && !merged.isEmpty()) unmerge(new ArrayList<>(merged));
        this.disabled = disabled;
    }

    public boolean disabled() { return disabled; }

    /** Per-row adapter names for the next inference passes (null entries: base only); null clears. DoRA adapters take part too (PEFT refuses them). */
    public void setRowAdapters(String[] perRow) {
        if (perRow != null) {
            for (String n : perRow) if (n != null) adapter(n);
            if (!merged.isEmpty()) throw new IllegalStateException(module + ": adapters " + merged + " are merged; unmerge before a mixed-adapter batch");
        }
        this.rowAdapters = perRow;
    }

    // ---------------------------------------------------------------- merging

    /**
     * Folds the given adapters into W, in order (plain LoRA: W += scaling * B A, float32; DoRA: see
     * {@link Dora}). Already merged ones warn and are skipped.
     */
    public void merge(List<String> names) {
        for (String n : names) {
            LoraAdapter a = adapter(n);
            if (merged.contains(n)) {
                LOG.warn("{}: adapter '{}' is already merged; merging again does nothing", module, n);
                continue;
            }
            INDArray w = weightOutIn();
            a.variant().merge(a, w, this::unmergedWeight);
            merged.add(n);
        }
    }

    /** The base weight with every merged adapter taken out (a copy; W itself when nothing is merged). */
    private INDArray unmergedWeight() {
        if (merged.isEmpty()) return weightOutIn();
        INDArray w = weightOutIn().dup();
        List<String> order = new ArrayList<>(merged);
        java.util.Collections.reverse(order);
        for (String n : order) adapters.get(n).variant().unmerge(adapters.get(n), w);   // on the copy
        return w;
    }

    /** Merges the active adapters. */
    public void merge() { merge(List.copyOf(active)); }

    /**
     * Takes merged adapters out of W again, the last merged first; names not merged warn and are
     * skipped.
     */
    public void unmerge(List<String> names) {
        for (String n : names) {
            adapter(n);
            if (!merged.contains(n)) LOG.warn("{}: adapter '{}' is not merged; nothing to unmerge", module, n);
        }
        List<String> order = new ArrayList<>(merged);
        java.util.Collections.reverse(order);
        for (String n : order) {
            if (!names.contains(n)) continue;
            LoraAdapter a = adapters.get(n);
            // a DoRA merge scales the rows of W, so what was merged before it can only come out after it
            for (String later : laterThan(n))
                if (!names.contains(later) && (a.variant() instanceof Dora || adapters.get(later).variant() instanceof Dora))
                    throw new IllegalStateException(module + ": adapter '" + n + "' was merged before '" + later + "' and one of them is DoRA, "
                        + "whose merge rescales the rows of the weight; unmerge '" + later + "' too (or everything)");
            a.variant().unmerge(a, weightOutIn());
            merged.remove(n);
        }
    }

    private List<String> laterThan(String name) {
        List<String> out = new ArrayList<>();
        boolean after = false;
        for (String m : merged) { if (after) out.add(m); if (m.equals(name)) after = true; }
        return out;
    }

    /** Unmerges everything merged. */
    public void unmerge() { unmerge(new ArrayList<>(merged)); }

    public Set<String> merged() { return java.util.Collections.unmodifiableSet(merged); }

    // ---------------------------------------------------------------- compute

    @Override
    public INDArray forward(INDArray x, ForwardContext ctx) {
        INDArray y = base.forward(x, ctx);
        caches.clear();
        lastX = null;
        if (disabled) return y;
        if (rowAdapters != null) {
            if (ctx.training()) throw new IllegalStateException(module + ": mixed-adapter batches are for inference only");
            return forwardRows(x, y);
        }
        List<LoraAdapter> run = new ArrayList<>();
        for (String n : active) if (!merged.contains(n)) run.add(adapters.get(n));
        if (run.isEmpty()) return y;
        if (ctx.training() && !merged.isEmpty())
            throw new IllegalStateException(module + ": adapters " + merged + " are merged into the base weight; unmerge before training");
        if (ctx.training() && run.size() > 1)
            for (LoraAdapter a : run) if (a.variant() instanceof Dora)
                throw new IllegalStateException(module + ": training DoRA adapter '" + a.name() + "' together with other active adapters "
                    + active + " is not supported: activate one adapter for training");
        INDArray xc = x.isView() ? x.dup() : x;
        for (LoraAdapter a : run) {
            INDArray xd = xc;
            Dropout drop = null;
            if (ctx.training() && a.dropout() > 0) {
                drop = dropouts.computeIfAbsent(a.name(), k -> new Dropout(a.dropout()));
                xd = drop.forwardInto(xc, a.xd.get(xc.dataType(), xc.shape()), ctx);
            }
            LoraVariant.Backward bw = a.variant().forward(this, a, xd, drop != null, y, ctx.training());
            if (ctx.training()) caches.add(new Cache(a, drop, bw));
        }
        if (ctx.training()) lastX = xc;
        return y;
    }

    private INDArray forwardRows(INDArray x, INDArray y) {
        long n = x.size(0), rows = rowAdapters.length;
        if (n % rows != 0) throw new IllegalArgumentException(module + ": " + n + " input rows do not split into " + rows + " batch rows");
        long t = n / rows;
        for (int b = 0; b < rows; b++) {
            if (rowAdapters[b] == null) continue;
            LoraAdapter a = adapters.get(rowAdapters[b]);
            INDArray xs = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(b * t, (b + 1) * t), org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
            INDArray ySlice = y.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(b * t, (b + 1) * t), org.nd4j.linalg.indexing.NDArrayIndex.all());
            INDArray ys = ySlice.dup();
            a.variant().forward(this, a, xs, false, ys, false);
            ySlice.assign(ys);
        }
        return y;
    }

    @Override
    public INDArray backward(INDArray dy) {
        INDArray dx = base.backward(dy);
        if (caches.isEmpty()) return dx;
        INDArray dyc = dy.isView() ? dy.dup() : dy;
        for (Cache c : caches) {
            LoraAdapter a = c.adapter();
            if (c.dropout() == null) c.backward().backward(dyc, dx, 1.0);                          // dx += dx_d
            else {
                INDArray dxd = a.dxd.get(dyc.dataType(), dyc.size(0), inFeatures());
                c.backward().backward(dyc, dxd, 0.0);
                INDArray masked = c.dropout().backward(dxd);                                      // dx_d * mask
                if (Fast.plain(dx, masked)) Fast.addInPlace(dx, masked); else dx.addi(masked);
            }
        }
        caches.clear();
        lastX = null;
        return dx;
    }

    /** The base projection's parameters followed by every adapter's A and B (and DoRA magnitude). */
    @Override
    public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>(base.parameters());
        ps.addAll(adapterParameters());
        return ps;
    }

    @Override public String toString() {
        return "LoraLinear(" + module + ", in=" + inFeatures() + ", out=" + outFeatures() + ", adapters=" + adapters.keySet()
            + ", active=" + active + (merged.isEmpty() ? "" : ", merged=" + merged) + (disabled ? ", disabled" : "") + ")";
    }

    static String shape(long[] s) { return Arrays.toString(s); }
}
