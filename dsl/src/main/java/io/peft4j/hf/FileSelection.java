package io.peft4j.hf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which files of a repository a resolve fetches, decided from the repository's file list (the hub's
 * listing, or the cached snapshot offline). Pickle checkpoints ({@code *.bin}, {@code *.pt},
 * {@code *.pth}, {@code *.ckpt}, ...) are never selected, whatever the selection.
 *
 * <ul>
 *   <li>{@link #model()}: {@code config.json}; the weights: {@code model.safetensors.index.json} and the
 *       shards it names where the repository has an index, else {@code model.safetensors}; the
 *       tokenizer files it has ({@value #TOKENIZER_LIST}); {@code generation_config.json} where present;</li>
 *   <li>{@link #weights()}: the same without tokenizer files (forward and generate on token ids);</li>
 *   <li>{@link #tokenizer()}: the tokenizer files only (one of tokenizer.json / spiece.model required);</li>
 *   <li>{@link #adapter()}: {@code adapter_config.json} and {@code adapter_model.safetensors};</li>
 *   <li>{@link #files(List)}: exactly these files; {@link #matching(String, Predicate)}: every file a test accepts.</li>
 * </ul>
 */
public final class FileSelection {
    public static final String CONFIG = "config.json";
    public static final String SAFETENSORS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    /** Tokenizer files fetched where the repository has them. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "spiece.model",
        "chat_template.jinja", "special_tokens_map.json");
    static final String TOKENIZER_LIST = "tokenizer.json, tokenizer_config.json, spiece.model, chat_template.jinja, special_tokens_map.json";
    public static final String ADAPTER_CONFIG = "adapter_config.json";
    public static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";

    private enum Weights { NONE, MODEL, ADAPTER }

    private final String description;
    private final List<String> required;
    private final List<String> optional;
    private final Weights weights;
    private final boolean needsTokenizer;
    private final Predicate<String> matching;

    private FileSelection(String description, List<String> required, List<String> optional, Weights weights,
                          boolean needsTokenizer, Predicate<String> matching) {
        this.description = description;
        this.required = List.copyOf(required);
        this.optional = List.copyOf(optional);
        this.weights = weights;
        this.needsTokenizer = needsTokenizer;
        this.matching = matching;
    }

    /** A model: config, weights (index + shards, else the single file), generation config, tokenizer files. */
    public static FileSelection model() {
        List<String> opt = new ArrayList<>(List.of(GENERATION_CONFIG));
        opt.addAll(TOKENIZER_FILES);
        return new FileSelection("a model", List.of(CONFIG), opt, Weights.MODEL, false, null);
    }

    /** Every file name {@link #model()} may fetch besides the shards an index names. */
    public static List<String> modelCandidates() {
        List<String> l = new ArrayList<>(List.of(CONFIG, INDEX, SAFETENSORS, GENERATION_CONFIG));
        l.addAll(TOKENIZER_FILES);
        return List.copyOf(l);
    }

    /** A model without tokenizer files (token ids in, token ids out). */
    public static FileSelection weights() {
        return new FileSelection("model weights", List.of(CONFIG), List.of(GENERATION_CONFIG), Weights.MODEL, false, null);
    }

    /** The tokenizer files of a repository. */
    public static FileSelection tokenizer() {
        return new FileSelection("a tokenizer", List.of(), TOKENIZER_FILES, Weights.NONE, true, null);
    }

    /** A PEFT adapter. */
    public static FileSelection adapter() {
        return new FileSelection("a PEFT adapter", List.of(ADAPTER_CONFIG), List.of(), Weights.ADAPTER, false, null);
    }

    /** Exactly these files, all required. */
    public static FileSelection files(List<String> files) {
        for (String f : files) checkName(f);
        return new FileSelection("the files " + files, files, List.of(), Weights.NONE, false, null);
    }

    /** Every file accepted by {@code test} (pickles excluded), at least one; {@code description} names them in messages. */
    public static FileSelection matching(String description, Predicate<String> test) {
        Objects.requireNonNull(test, "test");
        return new FileSelection(Objects.requireNonNull(description, "description"), List.of(), List.of(), Weights.NONE, false, test);
    }

    /** Refuses unsafe or pickle names asked for by the caller (a programming error, not a hub answer). */
    static void checkName(String f) {
        if (!HubRepo.isSafeFileName(f))
            throw new IllegalArgumentException("invalid repository file name \"" + f + "\" (a relative path inside the repository)");
        if (PickleCheckpoints.isPickle(f))
            throw new IllegalArgumentException("\"" + f + "\" is a pickle checkpoint, which peft4j refuses to load (unpickling can run "
                + "arbitrary code); request the safetensors file (model.safetensors, adapter_model.safetensors) instead");
    }

    public String description() { return description; }

    /**
     * What to fetch from a repository holding {@code available}.
     *
     * @param index the weight index to read after fetching (its shards are fetched next), or null
     */
    record Plan(List<String> files, String index) {}

    /**
     * @param where names the repository and revision (and "in the cache" offline) for messages
     * @throws HubException FILE_NOT_FOUND naming what is missing and what the repository has;
     *                      PICKLE_ONLY where the weights exist only as pickle files
     */
    Plan plan(Set<String> available, String where) throws HubException {
        List<String> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String f : required) (available.contains(f) ? out : missing).add(f);
        String index = null;
        if (weights == Weights.MODEL) {
            if (available.contains(INDEX)) { out.add(INDEX); index = INDEX; }
            else if (available.contains(SAFETENSORS)) out.add(SAFETENSORS);
            else missing.add(SAFETENSORS + " (or " + INDEX + " with its shards)");
        } else if (weights == Weights.ADAPTER) {
            if (available.contains(ADAPTER_WEIGHTS)) out.add(ADAPTER_WEIGHTS);
            else missing.add(ADAPTER_WEIGHTS);
        }
        if (needsTokenizer && !available.contains("tokenizer.json") && !available.contains("spiece.model"))
            missing.add("tokenizer.json or spiece.model");
        for (String f : optional) if (available.contains(f) && !out.contains(f)) out.add(f);
        if (matching != null) {
            for (String f : available) if (!PickleCheckpoints.isPickle(f) && matching.test(f) && !out.contains(f)) out.add(f);
            if (out.isEmpty()) missing.add(description);
        }
        if (!missing.isEmpty()) {
            boolean weightsMissing = missing.stream().anyMatch(m -> m.startsWith(SAFETENSORS) || m.equals(ADAPTER_WEIGHTS));
            List<String> pickles = available.stream().filter(f -> isPickleWeights(f, weights)).sorted().toList();
            if (weightsMissing && !pickles.isEmpty())
                throw new HubException(HubException.Kind.PICKLE_ONLY, where + " has its weights only as pickle files ("
                    + String.join(", ", pickles.subList(0, Math.min(5, pickles.size()))) + "), which peft4j refuses to download or load "
                    + "(unpickling can run arbitrary code). Look for a safetensors revision of it on the hub (the hub's conversion bot "
                    + "opens one as a pull request: revision \"refs/pr/N\"), or convert it in Python: from_pretrained(...) then "
                    + "save_pretrained(out, safe_serialization=True)");
            throw new HubException(HubException.Kind.FILE_NOT_FOUND, where + " lacks " + String.join(", ", missing) + " needed for "
                + description + "; it has " + HubListing.sample(available, 20));
        }
        return new Plan(out, index);
    }

    /** A pickle file holding the weights the selection wants (not training_args.bin, not another kind's weights). */
    private static boolean isPickleWeights(String file, Weights w) {
        if (!PickleCheckpoints.isPickle(file)) return false;
        String base = file.substring(file.lastIndexOf('/') + 1);
        if (w == Weights.ADAPTER) return base.startsWith("adapter_model");
        return !base.startsWith("adapter_model") && (base.startsWith("pytorch_model") || base.startsWith("model")
            || base.startsWith("consolidated"));
    }
}
