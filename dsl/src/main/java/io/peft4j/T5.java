package io.peft4j;

import io.peft4j.hf.HubResolver;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.Parameter;
import io.peft4j.model.T5Config;
import io.peft4j.model.T5Model;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.AdapterScope;
import io.peft4j.peft.LoraModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A T5 / FLAN-T5 model as users hold it: weights ({@link T5Model}), tokenizer, where it came from,
 * and how it generates. Load one with {@link #load(String)} (a local folder, a Hugging Face cache
 * entry or a hub id) or take the embedded {@link #demo()} model.
 *
 * <p>LoRA adapters trained on or loaded into this model live on it side by side (named, like
 * PEFT's multi-adapter models) and are swapped without reloading the base; {@link #generate}
 * always answers as the plain base model, an adapter's {@link FineTuned#generate} as that adapter.
 */
public final class T5 {
    private static final List<String> FILES = List.of("config.json", "model.safetensors", "model.safetensors.index.json",
        "tokenizer.json", "spiece.model", "generation_config.json");
    private static T5 demo;

    private final T5Model model;
    private final TextTokenizer tokenizer;
    private final String id;
    private final String revision;
    private GenerationConfig generation;
    private LoraModel<T5Model> adapters;     // created on first LoRA adapter
    private int adapterCounter;

    T5(T5Model model, TextTokenizer tokenizer, String id, String revision, GenerationConfig generation) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.id = id;
        this.revision = revision;
        this.generation = generation == null ? GenerationConfig.defaults(model.config()) : generation;
    }

    /** Wraps an existing model and tokenizer (tests, custom checkpoints). */
    public static T5 of(T5Model model, TextTokenizer tokenizer, String id) {
        return new T5(model, tokenizer, id, "local", null);
    }

    /** Loads from a local folder, the Hugging Face cache, or the hub ({@code google/flan-t5-base}). */
    public static T5 load(String idOrPath) { return load(idOrPath, "main"); }

    public static T5 load(String idOrPath, String revision) {
        Path dir;
        try {
            dir = new HubResolver().resolve(idOrPath, revision, FILES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve model '" + idOrPath + "' (revision " + revision + "): " + e.getMessage(), e);
        }
        return fromFolder(dir, idOrPath, revision);
    }

    /** Loads a Hugging Face-layout folder (config.json, model.safetensors, tokenizer.json or spiece.model). */
    public static T5 fromFolder(Path dir, String id, String revision) {
        T5Model m = T5Model.load(dir);
        TextTokenizer tok;
        try {
            tok = TextTokenizer.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tokenizer in " + dir + ": " + e.getMessage(), e);
        }
        if (tok.vocabSize() > m.config().vocabSize())
            throw new IllegalArgumentException(dir + ": tokenizer has " + tok.vocabSize() + " ids but the model's vocab_size is "
                + m.config().vocabSize());
        return new T5(m, tok, id, revision, GenerationConfig.forModel(dir, m.config()));
    }

    /**
     * The embedded demo model: a small FLAN-T5-shaped model with its own vocabulary, pretrained by
     * the project ({@code bin/peft4j pretrain-demo}) on its own dialogue data. No download. Each
     * call returns a fresh copy.
     */
    public static synchronized T5 demo() {
        if (demo == null) demo = fromFolder(demoFolder(), "peft4j/demo-t5", "embedded");
        return demo.copy();
    }

    static Path demoFolder() {
        URL url = T5.class.getResource("demo/model/config.json");
        if (url == null) throw new IllegalStateException("the embedded demo model is missing from the class path (io/peft4j/demo/model)");
        try {
            if (url.getProtocol().equals("file")) return Path.of(url.toURI()).getParent();
            Path tmp = Files.createTempDirectory("peft4j-demo");
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "generation_config.json")) {
                try (InputStream in = T5.class.getResourceAsStream("demo/model/" + f)) {
                    if (in != null) Files.copy(in, tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A deep copy of the base weights (no adapters), sharing the tokenizer. */
    public T5 copy() {
        T5Model m = T5Model.fromConfig(model.config(), 0);
        for (Parameter p : model.baseParameters().values()) m.baseParameters().get(p.name()).value().assign(p.value());
        return new T5(m, tokenizer, id, revision, generation);
    }

    public T5Model model() { return model; }
    public TextTokenizer tokenizer() { return tokenizer; }
    public String id() { return id; }
    public String revision() { return revision; }
    public T5Config config() { return model.config(); }
    public GenerationConfig generationConfig() { return generation; }

    /** Sets how {@link #generate} decodes (max new tokens, beams, ...). */
    public T5 withGeneration(GenerationConfig g) { this.generation = Objects.requireNonNull(g); return this; }

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
        String name = uniqueAdapterName(sanitize(dir.getFileName() == null ? "adapter" : dir.getFileName().toString()));
        LoraModel<T5Model> reg = adapters();
        AdapterIO.loadLora(reg, name, dir);
        return FineTuned.loaded(this, name, dir);
    }

    // ------------------------------------------------------------------ package-private plumbing

    /** The LoRA registry of this model, created (freezing nothing yet) on first use. */
    LoraModel<T5Model> adapters() {
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
     * in batches of 16, then put back in order.
     */
    List<String> generateRaw(List<String> prompts, GenerationConfig g) {
        int n = prompts.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) ids[i] = tokenizer.encode(prompts.get(i));
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(ids[b].length, ids[a].length));
        String[] out = new String[n];
        int bs = 16;
        for (int start = 0; start < n; start += bs) {
            int end = Math.min(n, start + bs);
            int len = ids[order[start]].length;
            int[][] in = new int[end - start][len], mask = new int[end - start][len];
            for (int k = start; k < end; k++) {
                int[] x = ids[order[k]];
                Arrays.fill(in[k - start], tokenizer.padId());
                System.arraycopy(x, 0, in[k - start], 0, x.length);
                Arrays.fill(mask[k - start], 0, x.length, 1);
            }
            int[][] seq = Generator.generate(model, in, mask, g);
            for (int k = start; k < end; k++) out[order[k]] = tokenizer.decode(seq[k - start]).strip();
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    @Override public String toString() {
        T5Config c = model.config();
        return "T5[" + id + ", d_model " + c.dModel() + ", " + c.numLayers() + "+" + c.numDecoderLayers() + " layers, "
            + String.format("%,d", parameterCount()) + " parameters, vocab " + tokenizer.vocabSize()
            + (hasAdapters() ? ", adapters " + adapters.adapters().keySet() : "") + "]";
    }
}
