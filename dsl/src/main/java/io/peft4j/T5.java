package io.peft4j;

import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;

import java.nio.file.Path;
import java.util.List;

/**
 * A T5 / FLAN-T5 model as users hold it (see {@link Model}): load one with {@link #load(String)}
 * (a local folder, a Hugging Face cache entry or a hub id) or take the embedded {@link #demo()} model.
 */
public final class T5 extends Model {
    private static T5 demo;

    T5(T5Model model, TextTokenizer tokenizer, String id, String revision, GenerationConfig generation) {
        super(model, tokenizer, id, revision, generation);
    }

    /** Wraps an existing model and tokenizer (tests, custom checkpoints). */
    public static T5 of(T5Model model, TextTokenizer tokenizer, String id) {
        return new T5(model, tokenizer, id, "local", null);
    }

    /** Loads from a local folder, the Hugging Face cache, or the hub ({@code google/flan-t5-base}). */
    public static T5 load(String idOrPath) { return load(idOrPath, "main"); }

    public static T5 load(String idOrPath, String revision) {
        return fromFolder(resolve(idOrPath, revision), idOrPath, revision);
    }

    /** Loads a Hugging Face-layout folder (config.json, model.safetensors, tokenizer.json or spiece.model). */
    public static T5 fromFolder(Path dir, String id, String revision) {
        T5Model m = T5Model.load(dir);
        return (T5) new T5(m, tokenizerOf(dir, m), id, revision, GenerationConfig.forModel(dir, m)).rememberFolder(dir);
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
        return Model.embeddedFolder("demo/model", List.of("config.json", "model.safetensors", "tokenizer.json", "generation_config.json"));
    }

    /** A deep copy of the base weights (no adapters), sharing the tokenizer. */
    @Override public T5 copy() {
        return (T5) new T5(model().copy(), tokenizer(), id(), revision(), generationConfig()).rememberFolder(folder());
    }

    @Override public T5Model model() { return (T5Model) super.model(); }
    public T5Config config() { return model().config(); }

    @Override public T5 withGeneration(GenerationConfig g) { super.withGeneration(g); return this; }
}
