package io.peft4j;

import io.peft4j.hf.HubResolver;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.model.Parameter;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.AdapterScope;
import io.peft4j.peft.LoraModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A model as users hold it, whatever its family: the weights (a {@link LanguageModel}), the
 * tokenizer, where it came from, and how it generates. {@link #load(String)} reads a local folder,
 * a Hugging Face cache entry or a hub id and picks the family from {@code config.json}'s
 * {@code model_type} ({@link T5} for {@code t5}, {@link CausalLM} for {@code llama}, {@code mistral},
 * {@code qwen2}, {@code gpt2}).
 *
 * <p>LoRA adapters trained on or loaded into a model live on it side by side (named, like PEFT's
 * multi-adapter models) and are swapped without reloading the base; {@link #generate} always
 * answers as the plain base model, an adapter's {@link FineTuned#generate} as that adapter.
 */
public abstract sealed class Model permits T5, CausalLM {
    static final List<String> FILES = List.of("config.json", "model.safetensors", "model.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "spiece.model", "generation_config.json", "chat_template.jinja");

    private final LanguageModel model;
    private final TextTokenizer tokenizer;
    private final String id;
    private final String revision;
    private GenerationConfig generation;
    private LoraModel<LanguageModel> adapters;   // created on first LoRA adapter
    private int adapterCounter;

    Model(LanguageModel model, TextTokenizer tokenizer, String id, String revision, GenerationConfig generation) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.id = id;
        this.revision = revision;
        this.generation = generation == null ? model.defaultGeneration() : generation;
    }

    /** Loads any supported model from a local folder, the Hugging Face cache, or the hub. */
    public static Model load(String idOrPath) { return load(idOrPath, "main"); }

    public static Model load(String idOrPath, String revision) {
        return fromFolder(resolve(idOrPath, revision), idOrPath, revision);
    }

    static Path resolve(String idOrPath, String revision) {
        try {
            return new HubResolver().resolve(idOrPath, revision, FILES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve model '" + idOrPath + "' (revision " + revision + "): " + e.getMessage(), e);
        }
    }

    /** Loads a Hugging Face-layout folder of any supported family. */
    public static Model fromFolder(Path dir, String id, String revision) {
        String family = ModelFamilies.detect(dir);
        return family.equals("t5") ? T5.fromFolder(dir, id, revision) : CausalLM.fromFolder(dir, id, revision);
    }

    static TextTokenizer tokenizerOf(Path dir, LanguageModel m) {
        TextTokenizer tok;
        try {
            tok = TextTokenizer.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tokenizer in " + dir + ": " + e.getMessage(), e);
        }
        if (tok.vocabSize() > m.vocabSize())
            throw new IllegalArgumentException(dir + ": tokenizer has " + tok.vocabSize() + " ids but the model's vocab_size is "
                + m.vocabSize());
        return tok;
    }

    /** A deep copy of the base weights (no adapters), sharing the tokenizer. */
    public abstract Model copy();

    public LanguageModel model() { return model; }
    public TextTokenizer tokenizer() { return tokenizer; }
    public String id() { return id; }
    public String revision() { return revision; }
    /** Hugging Face {@code model_type} of the model. */
    public String family() { return model.family(); }
    public GenerationConfig generationConfig() { return generation; }

    /** Sets how {@link #generate} decodes (max new tokens, beams, ...). */
    public Model withGeneration(GenerationConfig g) { this.generation = Objects.requireNonNull(g); return this; }

    /** Number of base (checkpoint) parameters, adapters excluded. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : model.baseParameters().values()) n += p.size();
        return n;
    }

    /** Generates one answer per prompt as the plain base model (every adapter disabled). */
    public List<String> generate(List<String> prompts) {
        try (AdapterScope s = adapters == null ? null : adapters.disableAdapters()) {
            return generateRaw(prompts, generation);
        }
    }

    public String generate(String prompt) { return generate(List.of(prompt)).get(0); }

    /**
     * Loads a PEFT-format LoRA adapter folder onto this model under the folder's name (the base is
     * not reloaded; several adapters can sit side by side) and returns a handle that generates with it.
     */
    public FineTuned withAdapter(String dir) { return withAdapter(Path.of(dir)); }

    public FineTuned withAdapter(Path dir) {
        // an unconverted OLoRA / PiSSA adapter replaces base weights by residuals: it goes onto a copy, this base never changes
        boolean residual = io.peft4j.peft.LoraConfigJson.fromJson(AdapterIO.readConfigJson(dir), dir.resolve(AdapterIO.CONFIG))
            .config().init().changesBaseWeight();
        Model host = residual ? copy() : this;
        String name = host.uniqueAdapterName(sanitize(dir.getFileName() == null ? "adapter" : dir.getFileName().toString()));
        AdapterIO.loadLora(host.adapters(), name, dir);
        return LoraResult.loaded(host, name, dir);
    }

    // ------------------------------------------------------------------ package-private plumbing

    /** The LoRA registry of this model, created (freezing nothing yet) on first use. */
    LoraModel<LanguageModel> adapters() {
        if (adapters == null) adapters = LoraModel.empty(model);   // freezes the base, as PEFT does
        return adapters;
    }

    boolean hasAdapters() { return adapters != null && !adapters.adapters().isEmpty(); }

    String uniqueAdapterName(String wanted) {
        String name = wanted;
        while (adapters != null && adapters.adapters().containsKey(name)) name = wanted + "_" + (++adapterCounter);
        return name;
    }

    private static String sanitize(String s) {
        String t = s.replaceAll("[^A-Za-z0-9_-]", "_");
        return t.isEmpty() ? "adapter" : t;
    }

    /**
     * Generates with whatever the model's slots hold now. Prompts are sorted by length and decoded
     * in batches of 16 (right-padded for an encoder-decoder model, left-padded for a causal one),
     * then put back in order; a causal model's answer is the text of its new tokens only.
     */
    List<String> generateRaw(List<String> prompts, GenerationConfig g) {
        int n = prompts.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) ids[i] = tokenizer.encode(prompts.get(i));
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(ids[b].length, ids[a].length));
        String[] out = new String[n];
        boolean left = !model.encoderDecoder();
        int bs = 16;
        for (int start = 0; start < n; start += bs) {
            int end = Math.min(n, start + bs);
            int len = ids[order[start]].length;
            int[][] in = new int[end - start][len], mask = new int[end - start][len];
            for (int k = start; k < end; k++) {
                int[] x = ids[order[k]];
                int off = left ? len - x.length : 0;
                Arrays.fill(in[k - start], g.padTokenId());
                System.arraycopy(x, 0, in[k - start], off, x.length);
                Arrays.fill(mask[k - start], off, off + x.length, 1);
            }
            int[][] seq = Generator.generate(model, in, mask, g);
            for (int k = start; k < end; k++) {
                int[] row = seq[k - start];
                if (left) row = Arrays.copyOfRange(row, len, row.length);
                out[order[k]] = tokenizer.decode(row).strip();
            }
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    @Override public String toString() {
        return getClass().getSimpleName() + "[" + id + ", " + model.describe() + ", " + String.format("%,d", parameterCount())
            + " parameters, vocab " + tokenizer.vocabSize() + (hasAdapters() ? ", adapters " + adapters.adapters().keySet() : "") + "]";
    }
}
