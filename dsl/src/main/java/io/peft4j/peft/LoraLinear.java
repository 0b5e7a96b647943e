package io.peft4j.peft;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Gemm;
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
    private Stack stack;                                     // the row adapters' factors side by side, built on the first mixed pass

    /**
     * The adapters of a mixed batch side by side: A [R, in] = rows of every adapter's A, B [out, R]
     * = columns of every adapter's scaling * B (R = the sum of their ranks), and where each
     * adapter's columns start. Two GEMMs then serve every adapter of a pass; each row keeps only
     * its own adapter's columns of x A^T before the second.
     */
    private record Stack(Map<String, int[]> cols, INDArray a, INDArray b, int width, Buf u) {}  // cols: name -> {from, to}
    /** Mixed batches whose adapters' ranks add up to more than this use one GEMM pair per adapter instead. */
    static final int STACK_MAX_RANK = 256;
    /**
     * Passes with fewer rows than this per adapter (decode steps) use the stacked factors; longer ones
     * (prefill) too when the stack is at most 1/8 of the layer's width (its wasted products then cost at
     * most ~25% of the base projection's), else one GEMM pair per run of rows.
     */
    static final int STACK_ROWS = 64;

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

    /**
     * Per-row adapter names for the next inference passes, one per input (batch) row: each pass's
     * rows are split evenly among them (null entries: base only); null clears. DoRA adapters take
     * part too (each through its own variant; PEFT refuses them).
     */
    public void setRowAdapters(String[] perRow) {
        if (perRow != null) {
            for (String n : perRow) if (n != null) adapter(n);
            if (!merged.isEmpty()) throw new IllegalStateException(module + ": adapters " + merged + " are merged; unmerge before a mixed-adapter batch");
        }
        this.rowAdapters = perRow == null ? null : perRow.clone();
        this.stack = null;                                   // rebuilt from the adapters' current weights on the next pass
    }

    /** The per-row adapter names in force (a copy), or null. */
    public String[] rowAdapters() { return rowAdapters == null ? null : rowAdapters.clone(); }

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
        INDArray xc = Fast.unlessView(x, false);
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

    /**
     * The mixed-batch path: the N rows of {@code x} [N, in] split evenly among the
     * {@code rowAdapters.length} batch rows, whatever the family's layout puts in a pass (B*T rows
     * of a prefill, B*copies rows of a decode step, B*copies*S encoder rows of a cross-attention
     * cache: rows of one input are always contiguous). Passes with few rows per adapter (decode
     * steps) run every adapter at once: x times the adapters' A side by side, each row masked to its
     * own adapter's columns, times their scaled B side by side (two GEMMs in all); longer passes
     * (prefill) too while the adapters are narrow next to the layer, else each run of rows with the
     * same adapter in place (two GEMMs per run).
     */
    private INDArray forwardRows(INDArray x, INDArray y) {
        long n = x.size(0);
        int rows = rowAdapters.length;
        if (n % rows != 0)
            throw new IllegalArgumentException(module + ": a pass of " + n + " rows does not split into the " + rows
                + " batch rows named by the per-row adapters (each input's rows must be contiguous: B*T, B*copies, ...)");
        int t = (int) (n / rows);
        INDArray xc = Fast.unlessView(x, true);
        boolean fast = Fast.dense(xc, y) || denseDouble(xc, y);
        Map<String, List<Integer>> runs = new LinkedHashMap<>();          // adapter -> [start row, end row) pairs of inputs
        int distinct = (int) Arrays.stream(rowAdapters).filter(java.util.Objects::nonNull).distinct().count();
        if (distinct == 0) return y;
        if (fast && (stack != null || stackable()) && (n < (long) STACK_ROWS * distinct || stackWidth() * 8L <= Math.max(inFeatures(), outFeatures()))) {
            // decode steps, or adapters narrow next to the layer: two GEMMs in all
            if (stack == null || stack.a().dataType() != xc.dataType()) stack = buildStack(xc.dataType());
            return forwardStacked(xc, y, t);
        }
        for (int b = 0; b < rows; ) {
            String name = rowAdapters[b];
            int e = b + 1;
            while (e < rows && java.util.Objects.equals(rowAdapters[e], name)) e++;
            if (name != null) { List<Integer> r = runs.computeIfAbsent(name, k -> new ArrayList<>()); r.add(b); r.add(e); }
            b = e;
        }
        for (Map.Entry<String, List<Integer>> e : runs.entrySet()) {
            LoraAdapter a = adapters.get(e.getKey());
            List<Integer> r = e.getValue();
            if (!(a.variant() instanceof LoraVariant.Plain)) { addRowsVariant(a, xc, y, r, t); continue; }   // DoRA: its own forward, run by run
            if (!fast || xc.dataType() != DataType.FLOAT) { addRowsSlow(a, xc, y, r, t); continue; }   // float64 (gradient checks): views
            INDArray av = plainCopy(a.a().value(), xc.dataType()), bv = plainCopy(a.b().value(), xc.dataType());
            int in = (int) xc.size(1), out = (int) y.size(1), rank = a.rank(), longest = 0;
            for (int i = 0; i < r.size(); i += 2) longest = Math.max(longest, (r.get(i + 1) - r.get(i)) * t);
            INDArray u = a.u.get(xc.dataType(), longest, rank);                                   // [longest run, r]
            for (int i = 0; i < r.size(); i += 2) {                                               // rows addressed in place
                int r0 = r.get(i) * t, m = (r.get(i + 1) - r.get(i)) * t;
                Gemm.raw(xc, (long) r0 * in, false, in, av, 0, true, in, u, 0, rank, m, rank, in, 1.0, 0.0);
                Gemm.raw(u, 0, false, rank, bv, 0, true, rank, y, (long) r0 * out, out, m, out, rank, a.scaling(), 1.0);
            }
        }
        return y;
    }

    /** {@code v} itself when it is a plain c-ordered array of type {@code dt}, else a plain copy. */
    private static INDArray plainCopy(INDArray v, DataType dt) {
        boolean plain = v.dataType() == dt && v.ordering() == 'c' && v.offset() == 0 && v.data().offset() == 0 && v.data().length() == v.length();
        return plain ? v : v.castTo(dt).dup('c');
    }

    /** A non-plain adapter (DoRA): its variant's own forward on each run of rows. */
    private void addRowsVariant(LoraAdapter a, INDArray x, INDArray y, List<Integer> r, int t) {
        var all = org.nd4j.linalg.indexing.NDArrayIndex.all();
        for (int i = 0; i < r.size(); i += 2) {
            var rows = org.nd4j.linalg.indexing.NDArrayIndex.interval((long) r.get(i) * t, (long) r.get(i + 1) * t);
            INDArray xs = x.get(rows, all).dup();
            INDArray ySlice = y.get(rows, all), ys = ySlice.dup();
            a.variant().forward(this, a, xs, false, ys, false);
            ySlice.assign(ys);
        }
    }

    /** Any other layout: one adapter's runs with ND4J views. */
    private static void addRowsSlow(LoraAdapter a, INDArray x, INDArray y, List<Integer> r, int t) {
        for (int i = 0; i < r.size(); i += 2) {
            var rows = org.nd4j.linalg.indexing.NDArrayIndex.interval((long) r.get(i) * t, (long) r.get(i + 1) * t);
            var all = org.nd4j.linalg.indexing.NDArrayIndex.all();
            INDArray xs = x.get(rows, all).dup();
            INDArray delta = xs.mmul(a.a().value().castTo(xs.dataType()).transpose()).mmul(a.b().value().castTo(xs.dataType()).transpose()).muli(a.scaling());
            y.get(rows, all).addi(delta);
        }
    }

    /** Plain LoRA adapters only (a DoRA row needs its variant's own forward), at most {@link #STACK_MAX_RANK} wide. */
    private boolean stackable() {
        for (String n : rowAdapters) if (n != null && !(adapters.get(n).variant() instanceof LoraVariant.Plain)) return false;
        return stackWidth() <= STACK_MAX_RANK;
    }

    /** The sum of the ranks of the adapters the rows name. */
    private int stackWidth() {
        if (stack != null) return stack.width();
        int r = 0;
        for (String n : new LinkedHashSet<>(Arrays.asList(rowAdapters))) if (n != null) r += adapters.get(n).rank();
        return r;
    }

    /** Copies the row adapters' A and scaled B side by side into plain arrays (direct buffer copies: no ND4J ops). */
    private Stack buildStack(DataType dt) {
        Map<String, int[]> cols = new LinkedHashMap<>();
        int width = 0;
        for (String n : rowAdapters)
            if (n != null && !cols.containsKey(n)) { int r = adapters.get(n).rank(); cols.put(n, new int[]{width, width + r}); width += r; }
        int in = (int) inFeatures(), out = (int) outFeatures(), w = Math.max(1, width);
        INDArray a = Nd4j.zeros(dt, w, in), b = Nd4j.zeros(dt, out, w);                 // [R, in], [out, R]
        for (Map.Entry<String, int[]> e : cols.entrySet()) {
            LoraAdapter ad = adapters.get(e.getKey());
            int from = e.getValue()[0], r = ad.rank();
            INDArray av = plainCopy(ad.a().value(), dt), bv = plainCopy(ad.b().value(), dt);
            double s = ad.scaling();
            if (dt == DataType.FLOAT) {
                java.nio.FloatBuffer sa = Fast.fb(av), sb = Fast.fb(bv), da = Fast.fb(a), db = Fast.fb(b);
                float[] row = new float[r * in];
                sa.get(0, row, 0, row.length);
                da.put(from * in, row, 0, row.length);                                      // A's rows are contiguous
                for (int i = 0; i < out; i++) for (int q = 0; q < r; q++) db.put(i * w + from + q, (float) (s * sb.get(i * r + q)));
            } else {
                java.nio.DoubleBuffer sa = av.data().asNioDouble(), sb = bv.data().asNioDouble(), da = a.data().asNioDouble(), db = b.data().asNioDouble();
                for (int k = 0; k < r * in; k++) da.put(from * in + k, sa.get(k));
                for (int i = 0; i < out; i++) for (int q = 0; q < r; q++) db.put(i * w + from + q, s * sb.get(i * r + q));
            }
        }
        return new Stack(cols, a, b, width, new Buf());
    }

    /** y += (x A_stack^T, each row masked to its adapter's columns) B_stack^T. */
    private INDArray forwardStacked(INDArray xc, INDArray y, int t) {
        if (stack.width() == 0) return y;                                           // every row runs the base model
        int n = (int) xc.size(0), w = stack.width();
        INDArray u = stack.u().get(xc.dataType(), n, w);                             // [N, R]
        Gemm.mm(xc, stack.a(), u, false, true, 1.0, 0.0);
        boolean f = u.dataType() == DataType.FLOAT;
        java.nio.FloatBuffer uf = f ? Fast.fb(u) : null;
        java.nio.DoubleBuffer ud = f ? null : u.data().asNioDouble();
        float[] zf = f ? new float[w] : null;
        double[] zd = f ? null : new double[w];
        for (int b = 0; b < rowAdapters.length; b++) {
            int[] keep = rowAdapters[b] == null ? null : stack.cols().get(rowAdapters[b]);
            int lo = keep == null ? 0 : keep[0], hi = keep == null ? 0 : keep[1];
            for (int i = b * t; i < (b + 1) * t; i++) {                              // zero the other adapters' columns of the row
                int row = i * w;
                if (f) { if (lo > 0) uf.put(row, zf, 0, lo); if (hi < w) uf.put(row + hi, zf, 0, w - hi); }
                else { if (lo > 0) ud.put(row, zd, 0, lo); if (hi < w) ud.put(row + hi, zd, 0, w - hi); }
            }
        }
        Gemm.mm(u, stack.b(), y, false, true, 1.0, 1.0);
        return y;
    }

    /** {@link Fast#dense} for float64 arrays (gradient-check models). */
    private static boolean denseDouble(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.DOUBLE || a.ordering() != 'c' || a.offset() != 0 || a.data().offset() != 0
                || a.length() > Integer.MAX_VALUE || a.data().length() < a.length()) return false;
            long expect = 1;
            for (int d = a.rank() - 1; d >= 0; d--) {
                if (a.size(d) != 1 && a.stride(d) != expect) return false;
                expect *= a.size(d);
            }
        }
        return true;
    }

    /**
     * What adapter {@code name} adds to this layer's inference output for the input {@code x}
     * [N, in], computed by the layer's own forward path (whatever that path does for the adapter)
     * with only that adapter switched on; the layer's state is left as it was. Used to check that
     * an adapter behaves as {@code x (scaling B A)^T} before it is combined with others.
     */
    INDArray adapterOutput(String name, INDArray x) {
        LoraAdapter a = adapter(name);
        if (merged.contains(name)) throw new IllegalStateException(module + ": adapter '" + name + "' is merged into the base weight");
        List<String> act = new ArrayList<>(active);
        String[] rows = rowAdapters;
        boolean dis = disabled;
        try {
            rowAdapters = null;
            disabled = false;
            active.clear();
            INDArray without = forward(x, ForwardContext.inference()).dup();
            active.add(a.name());
            INDArray with = forward(x, ForwardContext.inference()).dup();
            return with.subi(without);
        } finally {
            active.clear();
            active.addAll(act);
            rowAdapters = rows;
            disabled = dis;
        }
    }

    /** True when the base reads its input or an unmerged adapter is active (its gradient reads the input). */
    @Override public boolean readsInputInBackward() {
        if (base.readsInputInBackward()) return true;
        if (disabled) return false;
        for (String n : active) if (!merged.contains(n)) return true;
        return false;
    }

    @Override
    public INDArray backward(INDArray dy) {
        INDArray dx = base.backward(dy);
        if (caches.isEmpty()) return dx;
        INDArray dyc = Fast.unlessView(dy, false);
        for (Cache c : caches) {
            LoraAdapter a = c.adapter();
            if (c.dropout() == null) c.backward().backward(dyc, dx, 1.0);                          // dx += dx_d
            else {
                INDArray dxd = a.dxd.get(dyc.dataType(), dyc.size(0), inFeatures());
                c.backward().backward(dyc, dxd, 0.0);
                c.dropout().backwardAddInto(dxd, dx);                                             // dx += dx_d * mask
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
