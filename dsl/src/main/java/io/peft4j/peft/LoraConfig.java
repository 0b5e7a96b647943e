package io.peft4j.peft;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of one LoRA adapter, mirroring Hugging Face PEFT's {@code LoraConfig} (the fields
 * peft4j implements; others are refused when loading a file that sets them to non-defaults).
 * Immutable and validated on construction; change fields with the {@code with*} methods.
 *
 * @param r                 rank (> 0)
 * @param alpha             lora_alpha (> 0); scaling = alpha / r, or alpha / sqrt(r) with rsLoRA
 * @param dropout           dropout probability on the adapter's input, in [0, 1)
 * @param targets           which linear modules to wrap (see {@link TargetResolver})
 * @param init              initial values of A and B
 * @param useRslora         rank-stabilised scaling
 * @param layersToTransform block indexes to wrap (empty: all)
 * @param layersPattern     names before the layer index (empty: PEFT's first numbered segment)
 * @param rankPattern       per-module rank overrides, PEFT key matching
 * @param alphaPattern      per-module alpha overrides, PEFT key matching
 * @param bias              PEFT's bias mode; only "none" (T5 has no biases)
 * @param modulesToSave     modules trained in full next to the adapter (e.g. {@code lm_head})
 * @param useDora           DoRA: a learned magnitude per output row on top of the low-rank direction ({@link Dora})
 */
public record LoraConfig(int r, double alpha, double dropout, Targets targets, LoraInit init, boolean useRslora,
                         List<Integer> layersToTransform, List<String> layersPattern,
                         Map<String, Integer> rankPattern, Map<String, Double> alphaPattern,
                         String bias, List<String> modulesToSave, boolean useDora) {

    /** A config without DoRA (the constructor before {@code useDora} existed). */
    public LoraConfig(int r, double alpha, double dropout, Targets targets, LoraInit init, boolean useRslora,
                      List<Integer> layersToTransform, List<String> layersPattern,
                      Map<String, Integer> rankPattern, Map<String, Double> alphaPattern,
                      String bias, List<String> modulesToSave) {
        this(r, alpha, dropout, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, false);
    }

    public LoraConfig {
        if (r <= 0) throw new IllegalArgumentException("r = " + r + " is invalid: the rank must be a positive integer (1, 2, ...; typical 8-64)");
        if (!(alpha > 0) || Double.isInfinite(alpha))
            throw new IllegalArgumentException("lora_alpha = " + alpha + " is invalid: it must be a finite number > 0 (typical: r or 2r)");
        if (!(dropout >= 0 && dropout < 1))
            throw new IllegalArgumentException("lora_dropout = " + dropout + " is invalid: it must lie in [0, 1)");
        Objects.requireNonNull(targets, "targets (target_modules) must be given, e.g. Targets.of(\"attn.q\", \"attn.v\")");
        Objects.requireNonNull(init, "init (init_lora_weights)");
        layersToTransform = List.copyOf(layersToTransform == null ? List.of() : layersToTransform);
        for (int l : layersToTransform)
            if (l < 0) throw new IllegalArgumentException("layers_to_transform contains " + l + ": layer indexes must be >= 0");
        layersPattern = List.copyOf(layersPattern == null ? List.of() : layersPattern);
        rankPattern = orderedCopy(rankPattern == null ? Map.of() : rankPattern);
        rankPattern.forEach((k, v) -> {
            if (v == null || v <= 0) throw new IllegalArgumentException("rank_pattern['" + k + "'] = " + v + " is invalid: ranks must be positive integers");
        });
        alphaPattern = orderedCopy(alphaPattern == null ? Map.of() : alphaPattern);
        alphaPattern.forEach((k, v) -> {
            if (v == null || !(v > 0) || v.isInfinite()) throw new IllegalArgumentException("alpha_pattern['" + k + "'] = " + v + " is invalid: alphas must be finite and > 0");
        });
        if (bias == null) bias = "none";
        if (!bias.equals("none"))
            throw new IllegalArgumentException("bias = '" + bias + "' is not supported: T5 linears have no bias, so only \"none\" is valid");
        modulesToSave = List.copyOf(modulesToSave == null ? List.of() : modulesToSave);
    }

    private static <V> Map<String, V> orderedCopy(Map<String, V> m) {
        // Map.copyOf loses order, and PEFT's pattern matching takes the first key that matches
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** PEFT's defaults (r 8, alpha 8, no dropout, kaiming init) on the given targets. */
    public static LoraConfig of(Targets targets) {
        return new LoraConfig(8, 8, 0.0, targets, LoraInit.KAIMING, false, List.of(), List.of(), Map.of(), Map.of(), "none", List.of());
    }

    /** PEFT's defaults on the given target entries (names, suffixes or aliases; "all-linear"). */
    public static LoraConfig of(String... targets) { return of(Targets.of(targets)); }

    public LoraConfig withRank(int r) { return new LoraConfig(r, alpha, dropout, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withAlpha(double a) { return new LoraConfig(r, a, dropout, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withDropout(double p) { return new LoraConfig(r, alpha, p, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withTargets(Targets t) { return new LoraConfig(r, alpha, dropout, t, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withInit(LoraInit i) { return new LoraConfig(r, alpha, dropout, targets, i, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withRslora(boolean rs) { return new LoraConfig(r, alpha, dropout, targets, init, rs, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withLayers(List<Integer> layers, List<String> pattern) { return new LoraConfig(r, alpha, dropout, targets, init, useRslora, layers, pattern, rankPattern, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withLayers(Integer... layers) { return withLayers(List.of(layers), layersPattern); }
    public LoraConfig withRankPattern(Map<String, Integer> p) { return new LoraConfig(r, alpha, dropout, targets, init, useRslora, layersToTransform, layersPattern, p, alphaPattern, bias, modulesToSave, useDora); }
    public LoraConfig withAlphaPattern(Map<String, Double> p) { return new LoraConfig(r, alpha, dropout, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, p, bias, modulesToSave, useDora); }
    /** DoRA on or off ({@code use_dora}). */
    public LoraConfig withDora(boolean dora) { return new LoraConfig(r, alpha, dropout, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, modulesToSave, dora); }
    public LoraConfig withModulesToSave(List<String> m) { return new LoraConfig(r, alpha, dropout, targets, init, useRslora, layersToTransform, layersPattern, rankPattern, alphaPattern, bias, m, useDora); }

    /** The variant this config selects: DoRA with {@code use_dora}, else plain LoRA. */
    public LoraVariant.Kind variant() { return useDora ? LoraVariant.Kind.DORA : LoraVariant.Kind.LORA; }

    /** The scaling rule this config selects. */
    public LoraScaling scalingRule() { return useRslora ? LoraScaling.RSLORA : LoraScaling.STANDARD; }

    /** Rank for one module (rank_pattern, else r). */
    public int rankFor(String module) {
        String k = TargetResolver.patternKey(rankPattern.keySet(), module);
        return k == null ? r : rankPattern.get(k);
    }

    /** Alpha for one module (alpha_pattern, else alpha). */
    public double alphaFor(String module) {
        String k = TargetResolver.patternKey(alphaPattern.keySet(), module);
        return k == null ? alpha : alphaPattern.get(k);
    }

    /** scaling for one module, with its rank and alpha. */
    public double scalingFor(String module) { return scalingRule().scaling(alphaFor(module), rankFor(module)); }
}
