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
    public static Ia3Config t5Defaults() { return new Ia3Config(Targets.of("k", "v", "wo"), List.of("wo"), List.of()); }

    /** Whether a targeted module scales its input (feed-forward) rather than its output. */
    public boolean isFeedforward(String module) {
        for (String f : feedforwardModules) if (module.equals(f) || module.endsWith("." + f)) return true;
        return false;
    }
}
