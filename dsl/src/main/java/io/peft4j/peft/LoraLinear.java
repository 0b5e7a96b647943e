package io.peft4j.peft;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.model.Dropout;
import io.peft4j.model.ForwardContext;
import io.peft4j.ops.Gemm;
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
 * scaling * dropout(x) A^T B^T}, the base weight W [out, in] frozen.
 *
 * <p>Like PEFT's {@code lora.Linear}, it wraps the original projection and can hold several named
 * adapters, one or more of them active. {@link #merge} folds the active adapters into W
 * ({@code W += scaling * B A}, computed in float32) so inference costs nothing extra;
 * {@link #unmerge} subtracts them again. Merging an adapter that is already merged warns and does
 * nothing.
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

    private record Cache(LoraAdapter adapter, INDArray xd, Dropout dropout, INDArray u) {}  // xd [N,in], dropout or null, u [N,r]
    /** Per-adapter reusable buffers and the adapter's dropout on the layer input (the model's one {@link Dropout}). */
    private static final class Work {
        final Buf xd = new Buf(), u = new Buf(), du = new Buf(), dxd = new Buf();
        Dropout drop;
    }
    private final Map<String, Work> work = new java.util.HashMap<>();

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
        for (LoraAdapter a : adapters.values()) { ps.add(a.a()); ps.add(a.b()); }
        return ps;
    }
    public Parameter baseWeight() { return weight; }

    @Override public long inFeatures() { return base.inFeatures(); }
    @Override public long outFeatures() { return base.outFeatures(); }

    // ---------------------------------------------------------------- adapters

    /** Adds a named adapter (not activated). */
    public LoraAdapter addAdapter(String name, int r, double scaling, double dropout, LoraInit init, SplittableRandom rng) {
        if (adapters.containsKey(name)) throw new IllegalArgumentException(module + " already has an adapter named '" + name + "'");
        LoraAdapter a = new LoraAdapter(module, name, r, inFeatures(), outFeatures(), scaling, dropout, init, rng, weight.value().dataType());
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
        adapters.remove(name);
        work.remove(name);                 // its [N, in] dropout buffers would otherwise stay allocated
        active.remove(name);
    }

    /** While disabled the layer computes the base projection only (merged adapters are unmerged first, as PEFT does). */
    public void setDisabled(boolean disabled) {
        if (disabled && !merged.isEmpty()) unmerge(new ArrayList<>(merged));
        this.disabled = disabled;
    }

    public boolean disabled() { return disabled; }

    /** Per-row adapter names for the next inference passes (null entries: base only); null clears. */
    public void setRowAdapters(String[] perRow) {
        if (perRow != null) {
            for (String n : perRow) if (n != null) adapter(n);
            if (!merged.isEmpty()) throw new IllegalStateException(module + ": adapters " + merged + " are merged; unmerge before a mixed-adapter batch");
        }
        this.rowAdapters = perRow;
    }

    // ---------------------------------------------------------------- merging

    /** Folds the given adapters into W (W += scaling * B A, float32). Already merged ones warn and are skipped. */
    public void merge(List<String> names) {
        for (String n : names) {
            LoraAdapter a = adapter(n);
            if (merged.contains(n)) {
                LOG.warn("{}: adapter '{}' is already merged; merging again does nothing", module, n);
                continue;
            }
            weight.value().addi(a.deltaWeight());
            merged.add(n);
        }
    }

    /** Merges the active adapters. */
    public void merge() { merge(List.copyOf(active)); }

    /** Subtracts merged adapters from W again; names not merged warn and are skipped. */
    public void unmerge(List<String> names) {
        for (String n : names) {
            LoraAdapter a = adapter(n);
            if (!merged.contains(n)) {
                LOG.warn("{}: adapter '{}' is not merged; nothing to unmerge", module, n);
                continue;
            }
            weight.value().subi(a.deltaWeight());
            merged.remove(n);
        }
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
        INDArray xc = x.isView() ? x.dup() : x;
        for (LoraAdapter a : run) {
            Work w = work.computeIfAbsent(a.name(), k -> new Work());
            INDArray xd = xc;
            boolean dropped = ctx.training() && a.dropout() > 0;
            if (dropped) {
                if (w.drop == null) w.drop = new Dropout(a.dropout());
                xd = w.drop.forwardInto(xc, w.xd.get(xc.dataType(), xc.shape()), ctx);
            }
            INDArray u = w.u.get(xc.dataType(), xc.size(0), a.rank());                     // [N, r]
            Gemm.mm(xd, a.a().value(), u, false, true, 1.0, 0.0);
            Gemm.mm(u, a.b().value(), y, false, true, a.scaling(), 1.0);
            if (ctx.training()) caches.add(new Cache(a, xd, dropped ? w.drop : null, u));
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
            INDArray delta = xs.mmul(a.a().value().transpose()).mmul(a.b().value().transpose()).muli(a.scaling());
            y.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(b * t, (b + 1) * t), org.nd4j.linalg.indexing.NDArrayIndex.all()).addi(delta);
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
            double s = a.scaling();
            if (a.b().trainable()) Gemm.mm(dyc, c.u(), a.b().grad(), true, false, s, 1.0);       // dB += s dy^T u   [out, r]
            Work w = work.computeIfAbsent(a.name(), k -> new Work());
            INDArray du = w.du.get(dyc.dataType(), dyc.size(0), a.rank());
            Gemm.mm(dyc, a.b().value(), du, false, false, s, 0.0);                               // du = s dy B      [N, r]
            if (a.a().trainable()) Gemm.mm(du, c.xd(), a.a().grad(), true, false, 1.0, 1.0);      // dA += du^T xd    [r, in]
            if (c.dropout() == null) Gemm.mm(du, a.a().value(), dx, false, false, 1.0, 1.0);     // dx += du A       [N, in]
            else {
                INDArray dxd = w.dxd.get(dyc.dataType(), dyc.size(0), inFeatures());
                Gemm.mm(du, a.a().value(), dxd, false, false, 1.0, 0.0);
                INDArray masked = c.dropout().backward(dxd);                                     // (du A) * mask
                if (Fast.plain(dx, masked)) Fast.addInPlace(dx, masked); else dx.addi(masked);
            }
        }
        caches.clear();
        lastX = null;
        return dx;
    }

    /** The base projection's parameters followed by every adapter's A and B. */
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
