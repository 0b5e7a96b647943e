package io.peft4j;

import io.peft4j.hf.HubResolver;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.model.Parameter;
import io.peft4j.model.Sampling;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.AdapterScope;
import io.peft4j.peft.LoraModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
    /**
     * The files a hub load fetches where the repository has them ({@link io.peft4j.hf.FileSelection#model()}):
     * config.json, the weight index with the shards it names (else model.safetensors), the generation
     * config and the tokenizer files. Pickle weights are never requested.
     */
    static final List<String> FILES = io.peft4j.hf.FileSelection.modelCandidates();

    private final LanguageModel model;
    private final TextTokenizer tokenizer;
    private final String id;
    private final String revision;
    private GenerationConfig generation;
    private List<String> stopStrings = List.of();
    private LoraModel<LanguageModel> adapters;   // created on first LoRA adapter
    private Path folder;                          // the Hugging Face folder it was loaded from, or null
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
            return new HubResolver().resolveModel(idOrPath, revision);
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

    /** The Hugging Face folder this model was loaded from (or copied from a model loaded from), or null. */
    public Path folder() { return folder; }

    /** Records the folder the model came from ({@link #save} copies its tokenizer files). */
    /**
     * The folder of a model embedded in the library's resources ({@code io/peft4j/<dir>}): the
     * resource folder itself when it is on the file system, else the listed files copied to a fresh
     * temporary folder (the library runs from a jar).
     */
    static Path embeddedFolder(String dir, java.util.List<String> files) {
        java.net.URL url = Model.class.getResource(dir + "/config.json");
        if (url == null) throw new IllegalStateException("the embedded model is missing from the class path (io/peft4j/" + dir + ")");
        try {
            if (url.getProtocol().equals("file")) return Path.of(url.toURI()).getParent();
            Path tmp = java.nio.file.Files.createTempDirectory("peft4j-" + dir.replace('/', '-'));
            for (String f : files) {
                try (java.io.InputStream in = Model.class.getResourceAsStream(dir + "/" + f)) {
                    if (in != null) java.nio.file.Files.copy(in, tmp.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return tmp;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    Model rememberFolder(Path dir) { this.folder = dir; return this; }

    /**
     * Saves the base weights (adapters are not included unless merged: see
     * {@link LoraResult#mergeAndUnload()}) as a complete Hugging Face folder that transformers'
     * {@code from_pretrained} and {@link #load} read: config, float32 safetensors, generation config
     * and tokenizer files. {@code dir} must not exist or be empty.
     */
    public Path save(Path dir) { return HfFolder.save(this, dir, io.peft4j.hf.SafeTensors.Dtype.F32); }

    public Path save(String dir) { return save(Path.of(dir)); }

    /** Sets how {@link #generate} decodes (max new tokens, beams, ...). */
    public Model withGeneration(GenerationConfig g) { this.generation = Objects.requireNonNull(g); return this; }

    /**
     * Ends each answer where one of these strings appears (checked on the decoded new tokens after
     * every step); the returned text stops before it. Empty: only EOS and max_new_tokens end a row.
     */
    public Model withStopStrings(String... stops) {
        for (String x : stops)
            if (x == null || x.isEmpty()) throw new IllegalArgumentException("stop strings must be non-empty, got " + Arrays.toString(stops));
        this.stopStrings = List.of(stops);
        return this;
    }

    public List<String> stopStrings() { return stopStrings; }

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

    /** Samples one answer per prompt as the plain base model, e.g. {@code generate(prompts, sampling(0.7).topP(0.9).seed(1))}. */
    public List<String> generate(List<String> prompts, Sampling sampling) {
        try (AdapterScope s = adapters == null ? null : adapters.disableAdapters()) {
            return generateRaw(prompts, generation.withSampling(sampling), null);
        }
    }

    public String generate(String prompt, Sampling sampling) { return generate(List.of(prompt), sampling).get(0); }

    /**
     * Generates one answer as the plain base model, handing each new piece of text to {@code onText}
     * as soon as it is decoded (greedy or sampling as configured; beam search hands the whole answer
     * at the end); returns the whole answer.
     */
    public String stream(String prompt, java.util.function.Consumer<String> onText) {
        try (AdapterScope s = adapters == null ? null : adapters.disableAdapters()) {
            return generateRaw(List.of(prompt), generation, Objects.requireNonNull(onText, "onText")).get(0);
        }
    }

    /** The name that selects the base model for a row of {@link #generate(List, List)} (PEFT's {@code "__base__"}). */
    public static final String BASE = LoraModel.BASE;

    /**
     * Generates one answer per prompt, each with its own LoRA adapter, in shared batches (PEFT's
     * {@code adapter_names}): {@code adapterNames.get(i)} is the name of an adapter on this model
     * (e.g. {@link FineTuned#adapterName()}) or {@link #BASE} for the plain base model. Greedy,
     * sampling or beam search as configured; each answer is what that adapter alone would generate.
     *
     * @throws IllegalArgumentException when the counts differ or a name is not loaded (the message lists the loaded ones)
     */
    public List<String> generate(List<String> prompts, List<String> adapterNames) {
        Objects.requireNonNull(prompts, "prompts");
        Objects.requireNonNull(adapterNames, "adapterNames");
        if (prompts.size() != adapterNames.size())
            throw new IllegalArgumentException(prompts.size() + " prompts but " + adapterNames.size() + " adapter names: give one name per prompt (\""
                + BASE + "\" for the base model)");
        java.util.Set<String> loaded = adapters == null ? java.util.Set.of() : adapters.adapters().keySet();
        for (int i = 0; i < adapterNames.size(); i++) {
            String n = adapterNames.get(i);
            if (n == null || (!n.equals(BASE) && !loaded.contains(n)))
                throw new IllegalArgumentException("adapterNames[" + i + "] = " + (n == null ? "null" : "'" + n + "'") + " is not a loaded adapter; loaded: "
                    + loaded + " (\"" + BASE + "\" selects the base model)");
        }
        if (adapters == null) return generateRaw(prompts, generation);
        return generateRaw(prompts, generation, null, adapterNames.toArray(String[]::new));
    }

    /**
     * Loads a PEFT-format LoRA adapter folder onto this model under the folder's name (the base is
     * not reloaded; several adapters can sit side by side) and returns a handle that generates with it.
     */
    public FineTuned withAdapter(String dirOrHubId) {
        Path p = Path.of(dirOrHubId);
        if (Files.isDirectory(p)) return withAdapter(p);
        try {
            return withAdapter(new HubResolver().resolveAdapter(dirOrHubId, null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve adapter '" + dirOrHubId + "': not a folder, and the hub: " + e.getMessage(), e);
        }
    }

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
    List<String> generateRaw(List<String> prompts, GenerationConfig g) { return generateRaw(prompts, g, null); }

    /** As {@link #generateRaw(List, GenerationConfig)}; with {@code onText} (one prompt) the text is streamed to it. */
    List<String> generateRaw(List<String> prompts, GenerationConfig g, java.util.function.Consumer<String> onText) {
        return generateRaw(prompts, g, onText, null);
    }

    /** As above; with {@code rowAdapters} (one adapter name per prompt) each row runs its own adapter. */
    List<String> generateRaw(List<String> prompts, GenerationConfig g, java.util.function.Consumer<String> onText, String[] rowAdapters) {
        int n = prompts.size();
        if (onText != null && n != 1) throw new IllegalArgumentException("streaming takes one prompt, got " + n);
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) ids[i] = tokenizer.encode(prompts.get(i));
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(ids[b].length, ids[a].length));
        String[] out = new String[n];
        boolean left = !model.encoderDecoder();
        int bs = 16;
        // safe points: each batch and each generated token stop on an interrupt (io.peft4j.progress)
        try (io.peft4j.progress.Task task = io.peft4j.progress.Progress.start("generate", n)) {
        LanguageModel decoding = InterruptibleDecoding.wrap(model, task);
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
            int prefix = left ? len : 1;
            Generator.StopCondition stop = stopStrings.isEmpty() ? null
                : (row, gen, length) -> firstStop(tokenizer.decode(gen)) >= 0;
            Generator.TokenListener listener = onText == null ? null : new TextStream(tokenizer, onText);
            String[] names = null;
            if (rowAdapters != null) {
                names = new String[end - start];
                for (int k = start; k < end; k++) names[k - start] = rowAdapters[order[k]];
            }
            int[][] seq;
            try (AdapterScope rows = names == null ? null : adapters().rowAdapters(names)) {
                seq = Generator.generate(decoding, in, mask, g, listener, stop);
            }
            for (int k = start; k < end; k++) {
                int[] row = Arrays.copyOfRange(seq[k - start], prefix, seq[k - start].length);
                String text = tokenizer.decode(row);
                int cut = firstStop(text);
                out[order[k]] = (cut >= 0 ? text.substring(0, cut) : text).strip();
            }
            task.advance(end - start);
        }
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    /** Position of the earliest stop string in {@code text}, or -1. */
    private int firstStop(String text) {
        int best = -1;
        for (String x : stopStrings) {
            int i = text.indexOf(x);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Decodes a streamed row incrementally and hands on the new text (held back while a multi-byte character is incomplete). */
    private static final class TextStream implements Generator.TokenListener {
        private final TextTokenizer tok;
        private final java.util.function.Consumer<String> sink;
        private int[] ids = new int[16];
        private int n;
        private String sent = "";

        TextStream(TextTokenizer tok, java.util.function.Consumer<String> sink) { this.tok = tok; this.sink = sink; }

        @Override public void onToken(int row, int token) {
            if (n == ids.length) ids = Arrays.copyOf(ids, 2 * n);
            ids[n++] = token;
            String text = tok.decode(Arrays.copyOf(ids, n));
            if (text.endsWith("\uFFFD") || !text.startsWith(sent) || text.length() == sent.length()) return;
            sink.accept(text.substring(sent.length()));
            sent = text;
        }
    }

    @Override public String toString() {
        return getClass().getSimpleName() + "[" + id + ", " + model.describe() + ", " + String.format("%,d", parameterCount())
            + " parameters, vocab " + tokenizer.vocabSize() + (hasAdapters() ? ", adapters " + adapters.adapters().keySet() : "") + "]";
    }
}
