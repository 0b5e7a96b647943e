package io.peft4j.peft;

import io.peft4j.model.LanguageModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Combines loaded LoRA adapters into a new one, as PEFT's {@code add_weighted_adapter}, with the same
 * rules ({@link Combination}) and the same results for plain LoRA adapters — and exact where PEFT is
 * not (PEFT issue #3761):
 * <ul>
 *   <li>every input enters with its own scaling, module by module ({@code alpha/r}, {@code alpha/sqrt(r)}
 *       for rsLoRA, alpha_pattern and rank_pattern), and the new adapter has scaling 1
 *       ({@code lora_alpha = r}, no rsLoRA), so its delta W is exactly what the rule computed. PEFT
 *       copies {@code use_rslora} from the first input, which scales the result by sqrt(r) again:
 *       one rsLoRA adapter combined with weight 1.0 does not come back unchanged there;</li>
 *   <li>the new adapter covers the union of the inputs' modules by name (PEFT copies the first
 *       input's layers_to_transform and may drop the others' layers);</li>
 *   <li>DoRA inputs are refused, naming why: a DoRA update {@code m (W + sBA)/||W + sBA|| - W} is
 *       neither low rank nor linear in its factors (PEFT combines it and drops the magnitude); so are
 *       PiSSA / OLoRA inputs, whose layers hold a residual base weight;</li>
 *   <li>beyond these, an input whose layers do not compute {@code x (scaling B A)^T} — any other
 *       variant — is refused with a message naming the module and the adapter: every input is probed
 *       through its layer's own forward path before anything is written. So are inputs with
 *       modules_to_save (whole trained modules, not low-rank deltas) and merged inputs.</li>
 * </ul>
 *
 * <p>What the new adapter's delta W is, per type (w_i the weights, dW_i = s_i B_i A_i the inputs'):
 * {@code cat}: {@code sum w_i dW_i} exactly; {@code svd}: its best rank-k approximation (exact when k
 * reaches the sum's rank); one input, any type: {@code w dW} exactly (PEFT turns it into linear);
 * {@code linear} and the other factor-space types with several inputs: PEFT's rule on A and B
 * separately (cross terms B_i A_j included); the pruning types: PEFT's rule on the inputs' factors or
 * delta W. DARE's random masks are drawn from a seed or injected ({@link PruneMasks}).
 */
public final class AdapterCombiner {
    private AdapterCombiner() {}

    /** Rows of the probe input each layer is checked with. */
    private static final int PROBE_ROWS = 4;

    /**
     * Adds adapter {@code newName} to {@code lora}: the combination of {@code inputs} (inactive, like
     * any added adapter, unless it is the only one) and returns its config.
     *
     * @throws IllegalArgumentException for unknown names, a weight count that does not match, a
     *         missing density, unequal ranks where the type needs equal ones, or an input the
     *         combination cannot represent exactly (naming why)
     */
    public static LoraConfig combine(LoraModel<?> lora, List<String> inputs, String newName, CombineOptions o) {
        if (inputs == null || inputs.isEmpty()) throw new IllegalArgumentException("combine needs at least one adapter");
        if (o.weights().size() != inputs.size())
            throw new IllegalArgumentException(inputs.size() + " adapters " + inputs + " but " + o.weights().size() + " weights " + o.weights()
                + ": give one weight per adapter");
        for (String n : inputs)
            if (!lora.adapters().containsKey(n))
                throw new IllegalArgumentException("adapter '" + n + "' is not loaded; loaded: " + lora.adapters().keySet());
        if (lora.adapters().containsKey(newName))
            throw new IllegalArgumentException("an adapter named '" + newName + "' exists already (have " + lora.adapters().keySet() + "); choose another name");
        Combination type = inputs.size() == 1 ? Combination.LINEAR : o.type();   // PEFT: one adapter is always linear
        if (type.rule().needsDensity() && o.density() == null)
            throw new IllegalArgumentException(type + " prunes: give a density (the fraction of values kept, in [0, 1])");

        LanguageModel model = lora.model();
        int k = inputs.size();
        LoraConfig first = lora.config(inputs.get(0));
        for (String n : inputs) checkCombinable(lora, n);

        // the new adapter's modules: the union of the inputs', in model order
        List<String> modules = new ArrayList<>();
        for (String m : model.projections().keySet()) {
            LoraLinear l = lora.layers().get(m);
            if (l == null) continue;
            for (String n : inputs) if (l.adapters().containsKey(n)) { modules.add(m); break; }
        }
        int[] maxRank = new int[k];
        for (int i = 0; i < k; i++)
            for (String m : lora.targetedModules(inputs.get(i))) maxRank[i] = Math.max(maxRank[i], lora.layers().get(m).adapter(inputs.get(i)).rank());
        int newRank;
        if (type == Combination.CAT) {
            newRank = 0;
            for (int r : maxRank) newRank += r;
        } else if (type.svd()) {
            int max = 0;
            for (int r : maxRank) max = Math.max(max, r);
            newRank = o.svdRank() != null ? o.svdRank() : max;
        } else {
            for (int i = 1; i < k; i++)
                if (maxRank[i] != maxRank[0])
                    throw new IllegalArgumentException(type + " merges A and B entry by entry, so every adapter needs the same rank; got "
                        + ranks(inputs, maxRank) + ". Use cat (exact, rank = sum) or svd");
            newRank = maxRank[0];
        }

        Map<String, double[][]> factors = new LinkedHashMap<>();              // module -> {B [out, R], A [R, in]}
        for (String m : modules) factors.put(m, combineModule(lora.layers().get(m), m, inputs, type, newRank, o));

        LoraConfig cfg = new LoraConfig(newRank, newRank, first.dropout(), Targets.of(modules), LoraInit.KAIMING, false,
            List.of(), List.of(), Map.of(), Map.of(), "none", List.of());
        lora.addAdapter(newName, cfg, 0L);
        for (String m : modules) {
            LoraAdapter a = lora.layers().get(m).adapter(newName);
            double[][] ba = factors.get(m);
            a.b().value().assign(Nd4j.create(ba[0], a.b().value().shape(), 'c').castTo(a.b().value().dataType()));
            a.a().value().assign(Nd4j.create(ba[1], a.a().value().shape(), 'c').castTo(a.a().value().dataType()));
        }
        return cfg;
    }

    /** {B [out, R], A [R, in]} of the new adapter on one module, row-major doubles. */
    private static double[][] combineModule(LoraLinear layer, String module, List<String> inputs, Combination type, int newRank, CombineOptions o) {
        int in = (int) layer.inFeatures(), out = (int) layer.outFeatures();
        List<Integer> present = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) if (layer.adapters().containsKey(inputs.get(i))) present.add(i);
        double[] b = new double[out * newRank], a = new double[newRank * in];
        double density = o.density() == null ? 1.0 : o.density();
        if (type == Combination.CAT) {
            int at = 0;
            for (int i : present) {
                LoraAdapter ad = layer.adapter(inputs.get(i));
                int r = ad.rank();
                double ws = o.weights().get(i) * ad.scaling();
                double[] ai = doubles(ad.a().value()), bi = doubles(ad.b().value());
                for (int q = 0; q < r; q++) for (int j = 0; j < in; j++) a[(at + q) * in + j] = ws * ai[q * in + j];
                for (int row = 0; row < out; row++) for (int q = 0; q < r; q++) b[row * newRank + at + q] = bi[row * r + q];
                at += r;
            }
            return new double[][]{b, a};
        }
        if (type.svd()) {
            List<double[]> deltas = new ArrayList<>();
            double[] w = new double[present.size()];
            for (int p = 0; p < present.size(); p++) {
                int i = present.get(p);
                deltas.add(delta(layer.adapter(inputs.get(i)), out, in));
                w[p] = o.weights().get(i);
            }
            double[] merged = MergeRules.merge(type.rule(), deltas, w, density, o.majoritySign(),
                p -> o.masks().mask(module, PruneMasks.DELTA, present.get(p), out, in, density));
            TruncatedSvd.Factors f = TruncatedSvd.of(merged, out, in, newRank, o.svdClamp());
            return new double[][]{f.b(), f.a()};
        }
        // factor space: A and B merged separately, weights sqrt(|w s|) (the sign on A)
        int r = -1;
        List<double[]> as = new ArrayList<>(), bs = new ArrayList<>();
        double[] wa = new double[present.size()], wb = new double[present.size()];
        for (int p = 0; p < present.size(); p++) {
            int i = present.get(p);
            LoraAdapter ad = layer.adapter(inputs.get(i));
            if (r >= 0 && ad.rank() != r)
                throw new IllegalArgumentException(type + " merges A and B entry by entry: at " + module + " adapter '" + inputs.get(i)
                    + "' has rank " + ad.rank() + " but '" + inputs.get(present.get(0)) + "' has rank " + r + " (rank_pattern); use cat or svd");
            r = ad.rank();
            double ws = o.weights().get(i) * ad.scaling();
            wa[p] = Math.sqrt(Math.abs(ws)) * (ws >= 0 ? 1 : -1);
            wb[p] = Math.sqrt(Math.abs(ws));
            as.add(doubles(ad.a().value()));
            bs.add(doubles(ad.b().value()));
        }
        final int rank = r;
        double[] am = MergeRules.merge(type.rule(), as, wa, density, o.majoritySign(),
            p -> o.masks().mask(module, "lora_A", present.get(p), rank, in, density));
        double[] bm = MergeRules.merge(type.rule(), bs, wb, density, o.majoritySign(),
            p -> o.masks().mask(module, "lora_B", present.get(p), out, rank, density));
        for (int q = 0; q < rank; q++) System.arraycopy(am, q * in, a, q * in, in);
        for (int row = 0; row < out; row++) System.arraycopy(bm, row * rank, b, row * newRank, rank);
        return new double[][]{b, a};
    }

    /** An input's delta W = scaling B A [out, in], in double. */
    static double[] delta(LoraAdapter ad, int out, int in) {
        int r = ad.rank();
        double[] a = doubles(ad.a().value()), b = doubles(ad.b().value()), d = new double[out * in];
        double s = ad.scaling();
        for (int i = 0; i < out; i++)
            for (int q = 0; q < r; q++) {
                double bq = s * b[i * r + q];
                if (bq == 0) continue;
                for (int j = 0; j < in; j++) d[i * in + j] += bq * a[q * in + j];
            }
        return d;
    }

    static double[] doubles(INDArray x) { return x.castTo(DataType.DOUBLE).dup('c').data().asDouble(); }

    private static String ranks(List<String> names, int[] r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.size(); i++) b.append(i == 0 ? "" : ", ").append(names.get(i)).append(" r=").append(r[i]);
        return b.toString();
    }

    /**
     * Refuses an input the combination cannot represent: modules_to_save, merged, or a layer whose
     * output for this adapter is not {@code x (scaling B A)^T} (checked on a probe input through the
     * layer's own forward path).
     */
    static void checkCombinable(LoraModel<?> lora, String name) {
        LoraConfig c = lora.config(name);
        if (!c.modulesToSave().isEmpty())
            throw new IllegalArgumentException("adapter '" + name + "' trains whole modules " + c.modulesToSave()
                + " (modules_to_save) next to its LoRA factors; a combination holds low-rank factors only, so it cannot be combined");
        for (String m : lora.targetedModules(name)) {
            LoraLinear l = lora.layers().get(m);
            if (l.merged().contains(name))
                throw new IllegalStateException("adapter '" + name + "' is merged into " + m + "'s base weight; unmerge() before combining");
            LoraAdapter ad = l.adapter(name);
            if (!(ad.variant() instanceof LoraVariant.Plain))
                throw new IllegalArgumentException("adapter '" + name + "' is " + ad.variant().label() + " (at " + m + "): its update "
                    + "m (W + s B A) / ||W + s B A|| - W is neither low rank nor linear in its factors, so no LoRA adapter holds a weighted "
                    + "sum of it, not even of it alone: refused (PEFT 0.21 combines it anyway and drops the magnitude, issue #3761). "
                    + "Use it as an adapter of its own, or merge it into the base weights");
            if (ad.init().changesBaseWeight())
                throw new IllegalArgumentException("adapter '" + name + "' was initialised with " + ad.init().peftValue() + " (at " + m
                    + "): the layer's base weight is its residual now, so a combination's delta W would not be relative to the "
                    + "checkpoint's weights: refused. Save it converted (AdapterIO.saveConverted) and load that plain LoRA adapter instead");
            checkPlain(l, name);                                // any other variant whose layer output is not x (s B A)^T
        }
    }

    /** The layer's output for adapter {@code name} must be {@code x (scaling B A)^T} on a probe input. */
    static void checkPlain(LoraLinear l, String name) {
        LoraAdapter ad = l.adapter(name);
        int in = (int) l.inFeatures(), out = (int) l.outFeatures();
        DataType dt = l.baseWeight().value().dataType();
        SplittableRandom rnd = new SplittableRandom(l.module().hashCode() * 31L + name.hashCode());
        double[] px = new double[PROBE_ROWS * in];
        for (int i = 0; i < px.length; i++) px[i] = rnd.nextDouble(-1, 1);
        INDArray x = Nd4j.create(px, new long[]{PROBE_ROWS, in}, 'c').castTo(dt);
        double[] got = doubles(l.adapterOutput(name, x));
        double[] d = delta(ad, out, in);
        double worst = 0, scale = 0;
        for (int n = 0; n < PROBE_ROWS; n++)
            for (int i = 0; i < out; i++) {
                double e = 0;
                for (int j = 0; j < in; j++) e += px[n * in + j] * d[i * in + j];
                worst = Math.max(worst, Math.abs(got[n * out + i] - e));
                scale = Math.max(scale, Math.abs(e));
            }
        double tol = (dt == DataType.DOUBLE ? 1e-9 : 1e-4) * Math.max(scale, 1.0);
        if (!(worst <= tol))
            throw new IllegalArgumentException("adapter '" + name + "' at " + l.module() + " does not compute x (scaling B A)^T (it differs by "
                + String.format(java.util.Locale.ROOT, "%.3g", worst) + " on a probe input): an adapter variant whose delta W is not its "
                + "low-rank product cannot be combined exactly, so it is refused");
    }
}
