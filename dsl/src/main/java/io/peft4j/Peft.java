package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.data.PromptTemplate;
import io.peft4j.model.Parameter;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterCombiner;
import io.peft4j.peft.Combination;
import io.peft4j.peft.CombineOptions;
import io.peft4j.peft.PruneMasks;
import io.peft4j.peft.Ia3Config;
import io.peft4j.peft.Ia3Model;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraInit;
import io.peft4j.peft.LoraModel;
import io.peft4j.peft.ParameterCount;
import io.peft4j.peft.PromptTuning;
import io.peft4j.peft.Selective;
import io.peft4j.peft.TargetResolver;
import io.peft4j.peft.Targets;
import io.peft4j.report.ParameterReport;
import io.peft4j.train.TrainingListener;
import io.peft4j.train.TrainingResult;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fluent entry point: {@code import static io.peft4j.Peft.*;} then
 * <pre>{@code
 * var base = T5.demo();
 * var lora = lora(base).on("attn.q", "attn.v").rank(8).alpha(16).dropout(0.05)
 *                      .train(data.train(), epochs(3).lr(1e-3).batchSize(8));
 * var full = fullFineTune(base).train(data.train(), epochs(3).lr(1e-4));
 * compare(base, full, lora).rouge(data.test());
 * lora.adapter().save("adapters/dialogsum");
 * }</pre>
 * Each method starts a chain of step types (like jOOQ's): {@code lora(model)} offers only
 * {@code on(...)}, options have Hugging Face PEFT's defaults, and {@code train(...)} ends the chain
 * with a {@link FineTuned} result. LoRA adapters are added to the base model by name (so several
 * can be swapped on one loaded model); the other methods train a copy, leaving the base unchanged.
 */
public final class Peft {
    private Peft() {}

    /** The course lab's dialogue-summarization prompt. */
    public static final PromptTemplate SUMMARIZE = PromptTemplate.SUMMARIZE;

    /** LoRA initialisations for {@code lora(...).init(...)}: PEFT's default (kaiming-uniform A, zero B). */
    public static final LoraInit KAIMING = LoraInit.KAIMING;
    /** PEFT's {@code "gaussian"}: A ~ N(0, 1/r^2), zero B. */
    public static final LoraInit GAUSSIAN = LoraInit.GAUSSIAN;
    /** PEFT's {@code "olora"}: A and B from the QR decomposition of the base weight, which becomes the residual. */
    public static final LoraInit OLORA = LoraInit.OLORA;
    /** PEFT's {@code "pissa"}: A and B from the principal singular vectors of the base weight, which becomes the residual. */
    public static final LoraInit PISSA = LoraInit.PISSA;

    /** PEFT's {@code "pissa_niter_<niter>"}: PiSSA by randomised SVD with {@code niter} subspace iterations. */
    public static LoraInit pissaNiter(int niter) { return LoraInit.pissaNiter(niter); }

    // ------------------------------------------------------------------ entry points

    /** LoRA on {@code base}: next choose the target modules with {@code on(...)}. */
    public static LoraTargetStep lora(Model base) { return new LoraBuilder(Objects.requireNonNull(base, "base model"), null); }

    /** (IA)^3 with PEFT's T5 defaults (k, v and the feed-forward output wo). */
    public static Ia3Step ia3(Model base) { return new Ia3Builder(Objects.requireNonNull(base, "base model"), Ia3Config.defaultsFor(base.family())); }

    /** Prompt tuning: trainable virtual tokens prepended to the encoder input. */
    public static PromptTuningStep promptTuning(Model base) { return new PromptBuilder(Objects.requireNonNull(base, "base model"), 20, null); }

    /** Selective fine-tuning: choose which existing parameters train. */
    public static SelectiveTargetStep selective(Model base) { return new SelectiveBuilder(Objects.requireNonNull(base, "base model")); }

    /** Full fine-tuning of a copy of {@code base}: the baseline every comparison needs. */
    public static TrainStep fullFineTune(Model base) {
        Objects.requireNonNull(base, "base model");
        return (data, o) -> {
            Model copy = base.copy();
            copy.model().setAllTrainable(true);
            long t0 = System.nanoTime();
            TrainingResult r = Training.run(copy, copy.model(), data, o);
            long total = copy.parameterCount();
            List<String> names = new ArrayList<>();
            for (Parameter p : copy.model().parameters()) names.add(p.name());
            Provenance prov = Provenance.of(base, Method.FULL.label(), "all parameters trainable", List.of("all " + names.size() + " parameters"),
                o.seed(), data.fingerprint(), data.size(), o.describe(), (System.nanoTime() - t0) / 1e9);
            return new FullResult(Method.FULL, "full fine-tuning", copy, total, total, names, r, prov);
        };
    }

    /**
     * Warms the engine up before a timed comparison: {@code steps} untimed training steps of LoRA
     * (r=8 on every linear module, with LoRA dropout) and then of full fine-tuning, both on a
     * throwaway copy of {@code base} (the base itself is untouched), on the first batches of
     * {@code data} with {@code opts}'s lengths and batch size. The JVM compiles the engine's
     * loops while they run (on two cores this takes tens of seconds), so that compilation does not
     * fall inside whichever method a notebook happens to train first. Progress is not shown and no
     * training listener is told.
     *
     * @return the seconds spent, to be reported apart from any timed run
     */
    public static double warmUpEngine(Model base, Dataset data, TrainOptions opts, int steps) {
        Objects.requireNonNull(base, "base model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(opts, "opts");
        if (steps < 1) throw new IllegalArgumentException("steps = " + steps + " is invalid: allowed >= 1");
        long t0 = System.nanoTime();
        int bs = Math.min(opts.batchSize(), data.size());
        Dataset head = data.head((int) Math.min(data.size(), (long) steps * bs));
        TrainOptions o = TrainOptions.defaults().epochs(1).batchSize(bs).maxLengths(opts.maxSourceLength(), opts.maxTargetLength())
            .lr(1e-4).maxSteps(steps).warmup(0).progress(false);
        Model scratch = base.copy();
        List<TrainingListener> listeners = List.copyOf(Training.GLOBAL);
        Training.GLOBAL.clear();
        try {
            lora(scratch).on("all-linear").rank(8).alpha(16).dropout(0.05).train(head, o);
            fullFineTune(scratch).train(head, o);
        } finally {
            Training.GLOBAL.addAll(listeners);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Combines LoRA adapters that live on one base model into a new adapter, as PEFT's
     * {@code add_weighted_adapter}: {@code combine(a, b).weights(0.5, 0.5).ties(0.2)}. The result is
     * an adapter like any other (generate, merge, save in PEFT's format, load back). Weights default
     * to 1.0 each (task arithmetic's sum). See {@link io.peft4j.peft.AdapterCombiner} for which
     * combinations are exact and which refused.
     */
    public static CombineStep combine(LoraResult... adapters) { return combine(Arrays.asList(adapters)); }

    public static CombineStep combine(List<LoraResult> adapters) {
        if (adapters == null || adapters.isEmpty()) throw new IllegalArgumentException("combine(...) needs at least one LoRA adapter");
        Model base = null;
        for (LoraResult r : adapters) {
            Objects.requireNonNull(r, "combine(...): an adapter is null");
            if (base == null) base = r.model();
            else if (r.model() != base)
                throw new IllegalArgumentException("combine(...): adapters must live on the same base model; '" + r.adapterName() + "' is on "
                    + r.model().id() + ", '" + adapters.get(0).adapterName() + "' on " + base.id() + " (load both onto one model with withAdapter)");
        }
        double[] ones = new double[adapters.size()];
        Arrays.fill(ones, 1.0);
        return new CombineBuilder(base, List.copyOf(adapters), ones, null, Combination.MajoritySign.TOTAL, null, null, null);
    }

    /** Sampling settings for {@code generate(prompt, sampling(0.7).topP(0.9).seed(1))}: temperature, then top-k / top-p / seed. */
    public static io.peft4j.model.Sampling sampling(double temperature) { return io.peft4j.model.Sampling.of(temperature); }

    /** Training options starting from {@code n} epochs (lr 1e-3, batch 8 unless changed). */
    public static TrainOptions epochs(int n) { return TrainOptions.defaults().epochs(n); }

    /** A comparison of models (a base {@link Model} and {@link FineTuned} results) on held-out data. */
    public static Comparison compare(Object... models) { return new Comparison(Arrays.asList(models)); }

    /** Trains LoRA at several ranks on one base and compares them. */
    public static RankSweep rankSweep(Model base) { return new RankSweep(Objects.requireNonNull(base, "base model")); }

    /** The seed's arithmetic: full vs LoRA trainable parameters of one {@code rows x cols} weight. */
    public static Table loraArithmetic(long rows, long cols, int... ranks) { return ParameterReport.matrix(rows, cols, ranks); }

    /** Reports every DSL training run to {@code l} (e.g. a notebook's live progress display). */
    public static void onTraining(TrainingListener l) { Training.GLOBAL.add(Objects.requireNonNull(l)); }

    public static void removeTrainingListener(TrainingListener l) { Training.GLOBAL.remove(l); }

    /**
     * Reports every hub download of the process to {@code l} (e.g. a notebook's live display) instead
     * of the terminal progress bar.
     */
    public static void onDownload(io.peft4j.hf.DownloadListener l) { io.peft4j.hf.DownloadListeners.add(Objects.requireNonNull(l)); }

    public static void removeDownloadListener(io.peft4j.hf.DownloadListener l) { io.peft4j.hf.DownloadListeners.remove(l); }

    // ------------------------------------------------------------------ step types

    /** Ends a chain: trains on {@code data} with {@code options}. */
    @FunctionalInterface
    public interface TrainStep {
        FineTuned train(Dataset data, TrainOptions options);
        default FineTuned train(Dataset data) { return train(data, TrainOptions.defaults()); }
    }

    /** {@code lora(model)} offers only the choice of targets. */
    public interface LoraTargetStep {
        /**
         * Target modules: aliases {@code attn.q|k|v|o} (every attention), {@code self.*}, {@code cross.*},
         * {@code ffn.wi}, {@code ffn.wo}, {@code all-linear}, or PEFT's own names (exact or {@code .suffix} match).
         */
        LoraStep on(String... targets);
        /** PEFT's single-string form: a full regex match over module names. */
        LoraStep onRegex(String regex);
    }

    /** LoRA options (PEFT's defaults: r 8, alpha 8, dropout 0, Kaiming-uniform A, zero B) and {@code train}. */
    public interface LoraStep extends TrainStep {
        @Override LoraResult train(Dataset data, TrainOptions options);
        @Override default LoraResult train(Dataset data) { return train(data, TrainOptions.defaults()); }
        LoraStep rank(int r);
        LoraStep alpha(double alpha);
        LoraStep dropout(double p);
        /** alpha / sqrt(r) scaling. */
        LoraStep rslora();
        /** Gaussian init of A (std 1/r), as PEFT's {@code init_lora_weights="gaussian"}. */
        LoraStep gaussianInit();
        /**
         * How A and B start ({@code init_lora_weights}): {@link #KAIMING} (default), {@link #GAUSSIAN},
         * {@link #OLORA}, {@link #PISSA}, {@link #pissaNiter(int)}. OLoRA and PiSSA replace the base
         * weights by residuals, so the adapter is trained on a copy of the base (the base never
         * changes) and saved converted to a plain LoRA adapter of rank 2r (PEFT's
         * {@code path_initial_model_for_weight_conversion}), which loads onto the untouched base.
         */
        LoraStep init(LoraInit init);
        /** DoRA ({@code use_dora}): a trained magnitude per output row on top of the low-rank direction. */
        LoraStep dora();
        /**
         * LoRA+ ({@code create_loraplus_optimizer}): B matrices (and DoRA magnitudes) train at
         * {@code ratio} times the learning rate of A (typical: 16); the options' weight decay becomes
         * PEFT's {@code loraplus_weight_decay}.
         */
        LoraStep loraPlus(double ratio);
        /** Only these layer indexes ({@code layers_to_transform}). */
        LoraStep layers(Integer... layers);
        LoraStep rankPattern(Map<String, Integer> pattern);
        LoraStep alphaPattern(Map<String, Double> pattern);
        /** The adapter's name on the model (default {@code lora_r<rank>}). */
        LoraStep named(String adapterName);
        LoraStep seed(long seed);
        /** The validated configuration so far. */
        LoraConfig config();
    }

    /** IA3: targets may be changed; then train. */
    public interface Ia3Step extends TrainStep {
        Ia3Step on(String... targets);
        Ia3Step feedforward(String... modules);
    }

    /** Prompt tuning options. */
    public interface PromptTuningStep extends TrainStep {
        PromptTuningStep virtualTokens(int n);
        /** Initialise the virtual tokens from this text's token embeddings (PEFT's TEXT init). */
        PromptTuningStep initFromText(String text);
    }

    /** {@code selective(model)} offers only the choice of what trains. */
    public interface SelectiveTargetStep {
        TrainStep layerNorms();
        TrainStep biases();
        TrainStep lastLayers(int n);
        TrainStep blocks(String stack, int... indexes);
        /** Parameters whose Hugging Face name matches this regex (full match). */
        TrainStep parameters(String regex);
    }

    /**
     * {@code combine(a, b)}: options, then the combination type, which returns the new adapter. The
     * types are PEFT's {@code combination_type}s: factor space ({@code linear}, {@code ties},
     * {@code dare_linear}, {@code dare_ties}, {@code magnitude_prune}; equal ranks), {@code cat}
     * (exact: the weighted sum of the inputs' delta W, rank = sum of ranks) and the {@code *_svd}
     * types (delta W merged, then truncated to {@code svdRank}, default the largest input rank).
     */
    public interface CombineStep {
        /** One weight per adapter (negative subtracts). */
        CombineStep weights(double... weights);
        /** The new adapter's name on the model (default {@code combined}, made unique). */
        CombineStep named(String adapterName);
        /** The seed of DARE's random masks. */
        CombineStep seed(long seed);
        /** DARE's masks from outside (e.g. to reproduce another tool's draw). */
        CombineStep masks(PruneMasks masks);
        /** TIES's sign election by count of signs instead of by sum ({@code majority_sign_method="frequency"}). */
        CombineStep frequencySign();
        /** Rank of an {@code *_svd} result. */
        CombineStep svdRank(int rank);
        /** Clamp an {@code *_svd} result's factors at this quantile ({@code svd_clamp}). */
        CombineStep svdClamp(double quantile);

        LoraResult linear();
        LoraResult cat();
        LoraResult svd();
        LoraResult ties(double density);
        LoraResult tiesSvd(double density);
        LoraResult dareLinear(double density);
        LoraResult dareTies(double density);
        LoraResult dareLinearSvd(double density);
        LoraResult dareTiesSvd(double density);
        LoraResult magnitudePrune(double density);
        LoraResult magnitudePruneSvd(double density);
        /** Any type by PEFT's name, e.g. {@code using("ties", 0.2)}; density is ignored by types that do not prune. */
        LoraResult using(String combinationType, double density);
    }

    // ------------------------------------------------------------------ implementations

    private record CombineBuilder(Model base, List<LoraResult> inputs, double[] weightsArr, String adapterName,
                                  Combination.MajoritySign sign, Integer rank, Double clamp, PruneMasks maskSource) implements CombineStep {
        private static final long DEFAULT_SEED = CombineOptions.DEFAULT_SEED;

        @Override public CombineStep weights(double... w) {
            if (w == null || w.length != inputs.size())
                throw new IllegalArgumentException("weights: " + (w == null ? 0 : w.length) + " given for " + inputs.size() + " adapters; give one per adapter");
            return new CombineBuilder(base, inputs, w.clone(), adapterName, sign, rank, clamp, maskSource);
        }
        @Override public CombineStep named(String n) { return new CombineBuilder(base, inputs, weightsArr, n, sign, rank, clamp, maskSource); }
        @Override public CombineStep seed(long s) { return masks(PruneMasks.seeded(s)); }
        @Override public CombineStep masks(PruneMasks m) { return new CombineBuilder(base, inputs, weightsArr, adapterName, sign, rank, clamp, Objects.requireNonNull(m, "masks")); }
        @Override public CombineStep frequencySign() { return new CombineBuilder(base, inputs, weightsArr, adapterName, Combination.MajoritySign.FREQUENCY, rank, clamp, maskSource); }
        @Override public CombineStep svdRank(int r) { return new CombineBuilder(base, inputs, weightsArr, adapterName, sign, r, clamp, maskSource); }
        @Override public CombineStep svdClamp(double q) { return new CombineBuilder(base, inputs, weightsArr, adapterName, sign, rank, q, maskSource); }

        @Override public LoraResult linear() { return run(Combination.LINEAR, null); }
        @Override public LoraResult cat() { return run(Combination.CAT, null); }
        @Override public LoraResult svd() { return run(Combination.SVD, null); }
        @Override public LoraResult ties(double d) { return run(Combination.TIES, d); }
        @Override public LoraResult tiesSvd(double d) { return run(Combination.TIES_SVD, d); }
        @Override public LoraResult dareLinear(double d) { return run(Combination.DARE_LINEAR, d); }
        @Override public LoraResult dareTies(double d) { return run(Combination.DARE_TIES, d); }
        @Override public LoraResult dareLinearSvd(double d) { return run(Combination.DARE_LINEAR_SVD, d); }
        @Override public LoraResult dareTiesSvd(double d) { return run(Combination.DARE_TIES_SVD, d); }
        @Override public LoraResult magnitudePrune(double d) { return run(Combination.MAGNITUDE_PRUNE, d); }
        @Override public LoraResult magnitudePruneSvd(double d) { return run(Combination.MAGNITUDE_PRUNE_SVD, d); }
        @Override public LoraResult using(String t, double d) {
            Combination c = Combination.fromPeft(t);
            return run(c, c.rule().needsDensity() ? d : null);
        }

        private LoraResult run(Combination type, Double density) {
            List<String> names = new ArrayList<>();
            for (LoraResult r : inputs) names.add(r.adapterName());
            CombineOptions o = new CombineOptions(type, Arrays.stream(weightsArr).boxed().toList(), density, sign, rank, clamp,
                maskSource != null ? maskSource : PruneMasks.seeded(DEFAULT_SEED));
            String name = base.uniqueAdapterName(adapterName != null ? adapterName : "combined");
            long t0 = System.nanoTime();
            AdapterCombiner.combine(base.adapters(), names, name, o);
            String how = o.describe(names);
            return LoraResult.combined(base, name, "LoRA " + name + " (" + type.peftName() + ")", how,
                maskSource == null && type.rule().random() ? DEFAULT_SEED : 0, (System.nanoTime() - t0) / 1e9);
        }
    }

    private record LoraBuilder(Model base, LoraConfig cfg, String adapterName, long seed, double loraPlus) implements LoraTargetStep, LoraStep {
        LoraBuilder(Model base, LoraConfig cfg) { this(base, cfg, null, 42, 0); }
        LoraBuilder(Model base, LoraConfig cfg, String adapterName, long seed) { this(base, cfg, adapterName, seed, 0); }

        @Override public LoraStep on(String... targets) {
            if (targets == null || targets.length == 0)
                throw new IllegalArgumentException("LoRA targets are empty: name at least one module, e.g. on(\"attn.q\", \"attn.v\")");
            return new LoraBuilder(base, checked(LoraConfig.of(targets)), adapterName, seed);
        }
        @Override public LoraStep onRegex(String regex) { return new LoraBuilder(base, checked(LoraConfig.of(Targets.regex(regex))), adapterName, seed); }

        /** Fails fast on targets that match no module of the base (NoMatchingTargetException lists the closest names). */
        private LoraConfig checked(LoraConfig c) {
            TargetResolver.of(base.model()).resolve(c.targets(), c.layersToTransform(), c.layersPattern(), c.modulesToSave());
            return c;
        }
        @Override public LoraStep rank(int r) { return with(cfg.withRank(r)); }
        @Override public LoraStep alpha(double a) { return with(cfg.withAlpha(a)); }
        @Override public LoraStep dropout(double p) { return with(cfg.withDropout(p)); }
        @Override public LoraStep rslora() { return with(cfg.withRslora(true)); }
        @Override public LoraStep gaussianInit() { return with(cfg.withInit(LoraInit.GAUSSIAN)); }
        @Override public LoraStep init(LoraInit i) { return with(cfg.withInit(Objects.requireNonNull(i, "init: use KAIMING, GAUSSIAN, OLORA, PISSA or pissaNiter(n)"))); }
        @Override public LoraStep dora() { return with(cfg.withDora(true)); }
        @Override public LoraStep loraPlus(double ratio) {
            if (!(ratio > 0) || Double.isInfinite(ratio))
                throw new IllegalArgumentException("loraPlus = " + ratio + " is invalid: allowed a finite ratio > 0 of B's learning rate to A's (typical 16)");
            return new LoraBuilder(base, cfg, adapterName, seed, ratio);
        }
        @Override public LoraStep layers(Integer... layers) { return with(cfg.withLayers(layers)); }
        @Override public LoraStep rankPattern(Map<String, Integer> p) { return with(cfg.withRankPattern(p)); }
        @Override public LoraStep alphaPattern(Map<String, Double> p) { return with(cfg.withAlphaPattern(p)); }
        @Override public LoraStep named(String n) { return new LoraBuilder(base, cfg, n, seed, loraPlus); }
        @Override public LoraStep seed(long s) { return new LoraBuilder(base, cfg, adapterName, s, loraPlus); }
        @Override public LoraConfig config() { return cfg; }
        private LoraStep with(LoraConfig c) { return new LoraBuilder(base, c, adapterName, seed, loraPlus); }

        @Override public LoraResult train(Dataset data, TrainOptions o) {
            Objects.requireNonNull(o, "options");
            // OLoRA / PiSSA replace base weights by residuals: they train on a copy, so the base never changes
            Model host = cfg.init().changesBaseWeight() ? base.copy() : base;
            LoraModel<LanguageModel> reg = host.adapters();
            String name = host.uniqueAdapterName(adapterName != null ? adapterName : (cfg.useDora() ? "dora_r" : "lora_r") + cfg.r());
            reg.addAdapter(name, cfg, seed);
            reg.setActive(name);
            long t0 = System.nanoTime();
            TrainingResult r;
            try {
                r = Training.run(host, host.model(), data, o, loraPlus);
            } catch (RuntimeException e) {
                reg.deleteAdapter(name);    // a failed run leaves the base as it was
                throw e;
            }
            long ad = LoraResult.adapterParameterCount(reg, name);
            List<String> mods = reg.targetedModules(name);
            Provenance prov = Provenance.of(base, variant(cfg, loraPlus), describe(cfg), mods, seed, data.fingerprint(), data.size(),
                o.describe() + (loraPlus > 0 ? ", loraPlusLrRatio=" + loraPlus : ""), (System.nanoTime() - t0) / 1e9);
            String label = cfg.variant().label() + " r=" + cfg.r() + (cfg.useRslora() ? " (rsLoRA)" : "")
                + (cfg.init().changesBaseWeight() ? " (" + cfg.init().peftValue() + ")" : "") + (loraPlus > 0 ? " LoRA+" : "");
            return new LoraResult(label, host, name, ad, base.parameterCount() + ad, mods, r, prov);
        }
    }

    /** The provenance's method: "LoRA" or "DoRA", with a non-default initialisation and LoRA+ when used. */
    static String variant(LoraConfig c, double loraPlus) {
        List<String> extra = new ArrayList<>();
        if (c.init() != LoraInit.KAIMING) extra.add("init " + c.init().peftValue());
        if (loraPlus > 0) extra.add("LoRA+ ratio " + (loraPlus == Math.rint(loraPlus) ? Long.toString((long) loraPlus) : Double.toString(loraPlus)));
        return c.variant().label() + (extra.isEmpty() ? "" : " (" + String.join(", ", extra) + ")");
    }

    static String describe(LoraConfig c) {
        return "r=" + c.r() + ", alpha=" + c.alpha() + ", dropout=" + c.dropout() + ", targets=" + c.targets()
            + (c.useRslora() ? ", rslora" : "") + (c.useDora() ? ", dora" : "") + ", init=" + c.init().peftValue()
            + (c.layersToTransform() == null || c.layersToTransform().isEmpty() ? "" : ", layers=" + c.layersToTransform())
            + (c.rankPattern().isEmpty() ? "" : ", rank_pattern=" + c.rankPattern())
            + (c.alphaPattern().isEmpty() ? "" : ", alpha_pattern=" + c.alphaPattern());
    }

    private record Ia3Builder(Model base, Ia3Config cfg) implements Ia3Step {
        @Override public Ia3Step on(String... targets) {
            return new Ia3Builder(base, new Ia3Config(Targets.of(targets), cfg.feedforwardModules(), cfg.modulesToSave()));
        }
        @Override public Ia3Step feedforward(String... modules) {
            return new Ia3Builder(base, new Ia3Config(cfg.targets(), List.of(modules), cfg.modulesToSave()));
        }
        @Override public FineTuned train(Dataset data, TrainOptions o) {
            Model copy = base.copy();
            Ia3Model<LanguageModel> ia3 = Ia3Model.of(copy.model(), cfg);
            long t0 = System.nanoTime();
            TrainingResult r = Training.run(copy, copy.model(), data, o);
            ParameterCount pc = ParameterCount.of(copy.model());
            List<String> mods = new ArrayList<>(ia3.layers().keySet());
            Provenance prov = Provenance.of(base, Method.IA3.label(), "targets=" + cfg.targets() + ", feedforward=" + cfg.feedforwardModules(),
                mods, o.seed(), data.fingerprint(), data.size(), o.describe(), (System.nanoTime() - t0) / 1e9);
            return new Ia3Result(copy, ia3, pc.trainable(), pc.all(), mods, r, prov);
        }
    }

    private record PromptBuilder(Model base, int n, String initText) implements PromptTuningStep {
        @Override public PromptTuningStep virtualTokens(int k) {
            if (k < 1) throw new IllegalArgumentException("virtualTokens = " + k + " is invalid: allowed >= 1");
            return new PromptBuilder(base, k, initText);
        }
        @Override public PromptTuningStep initFromText(String text) {
            if (text == null || text.isBlank()) throw new IllegalArgumentException("initFromText needs a non-empty text");
            return new PromptBuilder(base, n, text);
        }
        @Override public FineTuned train(Dataset data, TrainOptions o) {
            if (!(base.copy() instanceof T5 copy))
                throw new UnsupportedOperationException("prompt tuning prepends virtual tokens to an encoder's input and supports "
                    + "encoder-decoder models (t5); " + base.id() + " is " + base.family() + ": use lora(...) or ia3(...)");
            PromptTuning pt = initText == null ? PromptTuning.random(copy.model(), n, o.seed())
                : PromptTuning.fromTokens(copy.model(), n, copy.tokenizer().encode(initText));
            long t0 = System.nanoTime();
            TrainingResult r = Training.run(copy, copy.model(), data, o);
            ParameterCount pc = ParameterCount.of(copy.model());
            Provenance prov = Provenance.of(base, Method.PROMPT_TUNING.label(), n + " virtual tokens, init " + (initText == null ? "random" : "text"),
                List.of(pt.prompt().name()), o.seed(), data.fingerprint(), data.size(), o.describe(), (System.nanoTime() - t0) / 1e9);
            return new PromptTuningResult(copy, pt, pc.trainable(), pc.all(), r, prov);
        }
    }

    private record SelectiveBuilder(Model base) implements SelectiveTargetStep {
        @Override public TrainStep layerNorms() { return run("layer norms", m -> Selective.layerNorms(m)); }
        @Override public TrainStep biases() { return run("biases", m -> Selective.biases(m)); }
        @Override public TrainStep lastLayers(int n) {
            if (n < 1) throw new IllegalArgumentException("lastLayers = " + n + " is invalid: allowed >= 1");
            return run("last " + n + " layers", m -> Selective.lastLayers(m, n));
        }
        @Override public TrainStep blocks(String stack, int... idx) { return run(stack + " blocks " + Arrays.toString(idx), m -> Selective.blocks(m, stack, idx)); }
        @Override public TrainStep parameters(String regex) {
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
            return run("parameters matching " + regex, m -> Selective.train(m, regex, q -> p.matcher(q.name()).matches()));
        }

        private TrainStep run(String label, java.util.function.Function<LanguageModel, List<Parameter>> choose) {
            return (data, o) -> {
                Model copy = base.copy();
                List<Parameter> chosen = choose.apply(copy.model());
                if (chosen.isEmpty()) throw new IllegalArgumentException("selective (" + label + ") selects no parameter of " + base.id());
                long t0 = System.nanoTime();
                TrainingResult r = Training.run(copy, copy.model(), data, o);
                ParameterCount pc = ParameterCount.of(copy.model());
                List<String> names = chosen.stream().map(Parameter::name).toList();
                Provenance prov = Provenance.of(base, Method.SELECTIVE.label(), label, names, o.seed(), data.fingerprint(), data.size(),
                    o.describe(), (System.nanoTime() - t0) / 1e9);
                return new FullResult(Method.SELECTIVE, "selective: " + label, copy, pc.trainable(), pc.all(), names, r, prov);
            };
        }
    }

}
