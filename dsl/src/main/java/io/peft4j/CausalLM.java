package io.peft4j;

import io.peft4j.model.GenerationConfig;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.hf.TextTokenizer;

import java.nio.file.Path;

/**
 * A decoder-only language model as users hold it (see {@link Model}): Llama, Mistral, Qwen2
 * (Llama-shaped) or GPT-2, loaded from a Hugging Face folder, cache entry or hub id.
 */
public final class CausalLM extends Model {
    CausalLM(LanguageModel model, TextTokenizer tokenizer, String id, String revision, GenerationConfig generation) {
        super(model, tokenizer, id, revision, generation);
        if (model.encoderDecoder()) throw new IllegalArgumentException(id + " is an encoder-decoder model (" + model.family() + "): use T5.load");
    }

    /** Wraps an existing model and tokenizer (tests, custom checkpoints). */
    public static CausalLM of(LanguageModel model, TextTokenizer tokenizer, String id) {
        return new CausalLM(model, tokenizer, id, "local", null);
    }

    public static CausalLM load(String idOrPath) { return load(idOrPath, "main"); }

    public static CausalLM load(String idOrPath, String revision) {
        return fromFolder(resolve(idOrPath, revision), idOrPath, revision);
    }

    /** Loads a Hugging Face-layout folder whose config.json names a decoder-only family. */
    public static CausalLM fromFolder(Path dir, String id, String revision) {
        LanguageModel m = ModelFamilies.load(dir);
        return (CausalLM) new CausalLM(m, tokenizerOf(dir, m), id, revision, GenerationConfig.forModel(dir, m)).rememberFolder(dir);
    }

    private static CausalLM demo;

    /**
     * The embedded decoder-only demo model: a small Llama-shaped model (grouped-query attention,
     * SwiGLU, RMSNorm, rotary positions, tied embeddings) with its own byte-level BPE vocabulary,
     * pretrained by the project ({@code bin/peft4j pretrain-causal-demo}) as a causal language model
     * on its own dialogue data; its recipe is in {@code io/peft4j/demo/causal/RECIPE.md}. No
     * download. Each call returns a fresh copy.
     */
    public static synchronized CausalLM demo() {
        if (demo == null) demo = fromFolder(Model.embeddedFolder("demo/causal", java.util.List.of("config.json", "model.safetensors",
            "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json", "RECIPE.md")), "peft4j/demo-llama", "embedded");
        return demo.copy();
    }

    @Override public CausalLM copy() {
        return (CausalLM) new CausalLM(model().copy(), tokenizer(), id(), revision(), generationConfig()).rememberFolder(folder());
    }

    @Override public CausalLM withGeneration(GenerationConfig g) { super.withGeneration(g); return this; }
}
