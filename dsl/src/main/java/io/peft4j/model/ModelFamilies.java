package io.peft4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.FileFormatException;
import io.peft4j.model.gpt2.Gpt2Model;
import io.peft4j.model.llama.LlamaModel;
import io.peft4j.model.t5.T5Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The supported model families and how each is loaded: the family is read from
 * {@code config.json}'s {@code model_type} before any weight is touched, so an unsupported
 * checkpoint fails with a message naming what it is and what would work.
 */
public final class ModelFamilies {
    private ModelFamilies() {}

    private static final Map<String, Function<Path, LanguageModel>> LOADERS = new LinkedHashMap<>();
    static {
        LOADERS.put("t5", T5Model::load);
        LOADERS.put("llama", LlamaModel::load);
        LOADERS.put("mistral", LlamaModel::load);
        LOADERS.put("qwen2", LlamaModel::load);
        LOADERS.put("gpt2", Gpt2Model::load);
    }

    /** The {@code model_type} values peft4j loads. */
    public static List<String> supported() { return List.copyOf(LOADERS.keySet()); }

    /** The {@code model_type} of a model folder, checked against {@link #supported()}. */
    public static String detect(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new FileFormatException(cfg, "missing (not a model folder)");
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new FileFormatException(cfg, "cannot be read as JSON: " + e.getMessage(), e);
        }
        JsonNode t = n == null ? null : n.get("model_type");
        if (t == null || !t.isTextual())
            throw new FileFormatException(cfg, "has no \"model_type\"; supported model types are " + supported());
        String type = t.asText();
        if (!LOADERS.containsKey(type))
            throw new FileFormatException(cfg, "model_type \"" + type + "\" is not supported; supported model types are " + supported());
        return type;
    }

    /** Loads a Hugging Face-layout model folder of any supported family (float32). */
    public static LanguageModel load(Path dir) {
        return LOADERS.get(detect(dir)).apply(dir);
    }
}
