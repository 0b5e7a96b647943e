package io.peft4j.peft;

import java.util.List;
import java.util.Objects;

/**
 * (IA)^3 settings, PEFT's {@code IA3Config}. T5 defaults: targets {@code k, v, wo}, feed-forward
 * modules {@code wo} (their input is scaled; the others' output).
 *
 * @param targets            modules to wrap
 * @param feedforwardModules which of them are feed-forward (entries match like PEFT list entries: exact or {@code .suffix})
 * @param modulesToSave      modules trained in full next to the vectors
 */
public record Ia3Config(Targets targets, List<String> feedforwardModules, List<String> modulesToSave) {
    public Ia3Config {
        Objects.requireNonNull(targets, "targets (target_modules)");
        feedforwardModules = List.copyOf(feedforwardModules == null ? List.of() : feedforwardModules);
        modulesToSave = List.copyOf(modulesToSave == null ? List.of() : modulesToSave);
    }

    /** PEFT's T5 defaults: k, v, wo with wo feed-forward. */
    /**
     * PEFT's default IA3 targets for a family ({@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING}):
     * key, value and the feed-forward output, which is scaled on its input.
     */
    public static Ia3Config defaultsFor(String family) {
        return switch (family) {
            case "t5" -> t5Defaults();
            case "llama", "mistral", "qwen2" -> new Ia3Config(Targets.of("k_proj", "v_proj", "down_proj"), List.of("down_proj"), List.of());
            case "gpt2" -> new Ia3Config(Targets.of("c_attn", "mlp.c_proj"), List.of("mlp.c_proj"), List.of());
            default -> throw new IllegalArgumentException("no IA3 defaults for model family '" + family
                + "'; supported: t5, llama, mistral, qwen2, gpt2 (or name the targets with on(...))");
        };
    }

    public static Ia3Config t5Defaults() { return new Ia3Config(Targets.of("k", "v", "wo"), List.of("wo"), List.of()); }

    /** Whether a targeted module scales its input (feed-forward) rather than its output. */
    public boolean isFeedforward(String module) {
        for (String f : feedforwardModules) if (module.equals(f) || module.endsWith("." + f)) return true;
        return false;
    }
}
