package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.data.DatasetSplits;
import io.peft4j.data.Datasets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The setting of the tutorial notebooks and {@code .jsh} scripts, read from the environment so the
 * same notebook runs in CI (small) and for a reader (full size), on the embedded model or a real one:
 * <ul>
 *   <li>{@code PEFT4J_CI=1} (set by {@code notebooks/run-all.sh}): the CI preset; {@link #pick}
 *       returns its first argument, so data, steps and generation shrink;</li>
 *   <li>{@code PEFT4J_DIALOGSUM=DIR}: DialogSum ({@code [dialogsum.]train/dev/test.jsonl}) instead of
 *       the project's own dialogues ({@code $PEFT4J_HOME/datasets/dialogues});</li>
 *   <li>{@code PEFT4J_MODEL=DIR}: a Hugging Face T5 / FLAN-T5 folder instead of the embedded
 *       demo model {@link T5#demo()};</li>
 *   <li>{@code PEFT4J_CAUSAL_MODEL=DIR}: a Hugging Face decoder-only folder instead of the embedded
 *       {@link CausalLM#demo()} (the decoder-only tutorial).</li>
 * </ul>
 */
public final class Tutorial {
    private final Map<String, String> env;

    Tutorial(Map<String, String> env) { this.env = Map.copyOf(Objects.requireNonNull(env, "env")); }

    /** The setting of this process's environment. */
    public static Tutorial fromEnvironment() { return new Tutorial(System.getenv()); }

    private String get(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** True under the CI preset ({@code PEFT4J_CI=1} or {@code true}). */
    public boolean ci() {
        String v = get("PEFT4J_CI");
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    /** {@code ciValue} under the CI preset, else {@code fullValue}. */
    public int pick(int ciValue, int fullValue) { return ci() ? ciValue : fullValue; }

    /** The project's root: {@code PEFT4J_HOME}, else the first of ., .. holding datasets/dialogues. */
    public Path home() {
        String h = get("PEFT4J_HOME");
        if (h != null) return Path.of(h);
        for (Path p : new Path[]{Path.of("."), Path.of("..")})
            if (Files.isDirectory(p.resolve("datasets").resolve("dialogues"))) return p.toAbsolutePath().normalize();
        return Path.of(".").toAbsolutePath().normalize();
    }

    /** Where the dialogue data comes from: {@code PEFT4J_DIALOGSUM}, else the project's own dialogues. */
    public Path dataDir() {
        String d = get("PEFT4J_DIALOGSUM");
        Path p = d != null ? Path.of(d) : home().resolve("datasets").resolve("dialogues");
        if (!Files.exists(p))
            throw new IllegalStateException((d != null ? "PEFT4J_DIALOGSUM = " + d : "the project's dialogues " + p)
                + " does not exist: point PEFT4J_DIALOGSUM at a DialogSum folder or PEFT4J_HOME at the project root");
        return p;
    }

    /** The dialogue splits, each source wrapped in the summarization prompt. */
    public DatasetSplits dialogues() { return Datasets.dialogsum(dataDir()).withPrompt(Peft.SUMMARIZE); }

    /** {@code n} examples of {@code d} drawn with {@code seed} (all of it when it has no more). */
    public static Dataset sample(Dataset d, int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("sample size n = " + n + " is invalid: allowed >= 1");
        return n >= d.size() ? d : d.shuffle(seed).head(n);
    }

    /** True when {@code PEFT4J_MODEL} names a model folder. */
    public boolean hasModelFolder() { return get("PEFT4J_MODEL") != null; }

    /** {@code PEFT4J_MODEL}'s folder, else null. */
    public Path modelDir() {
        String m = get("PEFT4J_MODEL");
        return m == null ? null : Path.of(m);
    }

    /** The base model: {@code PEFT4J_MODEL}'s folder, else the embedded demo model. */
    public T5 model() {
        Path dir = modelDir();
        if (dir == null) return T5.demo();
        if (!Files.isRegularFile(dir.resolve("config.json")))
            throw new IllegalStateException("PEFT4J_MODEL = " + dir + " holds no config.json: point it at a Hugging Face T5 folder");
        return T5.fromFolder(dir, dir.getFileName().toString(), "local");
    }

    /**
     * The decoder-only base model of the decoder-only tutorial: {@code PEFT4J_CAUSAL_MODEL}'s folder (a
     * Hugging Face Llama, Mistral, Qwen2 or GPT-2 folder), else the embedded {@link CausalLM#demo()}.
     */
    public CausalLM causalModel() {
        String m = get("PEFT4J_CAUSAL_MODEL");
        if (m == null) return CausalLM.demo();
        Path dir = Path.of(m);
        if (!Files.isRegularFile(dir.resolve("config.json")))
            throw new IllegalStateException("PEFT4J_CAUSAL_MODEL = " + dir + " holds no config.json: point it at a Hugging Face decoder-only model folder");
        return CausalLM.fromFolder(dir, dir.getFileName().toString(), "local");
    }

    /** A fresh temporary folder for adapters and results (deleted by the OS's temp cleaning). */
    public Path scratch(String prefix) {
        try {
            return Files.createTempDirectory("peft4j-" + prefix);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override public String toString() {
        String causal = get("PEFT4J_CAUSAL_MODEL");
        return String.format(Locale.ROOT, "%s preset; data %s; model %s; decoder-only model %s", ci() ? "CI (PEFT4J_CI=1)" : "full-size",
            dataDir(), hasModelFolder() ? modelDir() : "embedded demo T5", causal != null ? causal : "embedded demo Llama");
    }
}
