package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The architecture of a Llama-shaped decoder ({@code model_type} {@code llama}, {@code mistral} or
 * {@code qwen2}), as transformers' {@code LlamaConfig} / {@code MistralConfig} / {@code Qwen2Config}
 * read a {@code config.json}: missing keys take that class's defaults; {@code head_dim} defaults to
 * {@code hidden_size / num_attention_heads} and {@code num_key_value_heads} to the number of heads;
 * rope settings in either the 4.x or the 5.x style ({@link RopeConfig}); {@code torch_dtype} (4.x) or
 * {@code dtype} (5.x).
 *
 * <p>Family differences, all expressed as fields: Llama's {@code attention_bias} puts a bias on
 * q, k, v and o and {@code mlp_bias} on the MLP; Qwen2 always has q/k/v biases and no o bias;
 * Mistral's {@code sliding_window} (null: none) applies to every layer, Qwen2's only when
 * {@code use_sliding_window} is true, to the layers {@code layer_types} (or {@code max_window_layers})
 * marks as {@code sliding_attention}.
 *
 * <p>Immutable and validated: positive dimensions, key/value heads dividing the heads, an even head
 * dimension (rotary halves), {@code hidden_act} silu, special token ids inside the vocabulary.
 */
public record LlamaConfig(
    String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
    int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, RopeConfig rope,
    int maxPositionEmbeddings, boolean tieWordEmbeddings, boolean qkvBias, boolean oBias, boolean mlpBias,
    double attentionDropout, int slidingWindow, List<String> layerTypes, Integer bosTokenId, List<Integer> eosTokenIds,
    Integer padTokenId, String hiddenAct, String torchDtype) {

    public static final List<String> MODEL_TYPES = List.of("llama", "mistral", "qwen2");
    private static final Map<String, String> ARCHITECTURES =
        Map.of("llama", "LlamaForCausalLM", "mistral", "MistralForCausalLM", "qwen2", "Qwen2ForCausalLM");
    public static final String FULL = "full_attention", SLIDING = "sliding_attention";

    public LlamaConfig {
        if (modelType == null || !MODEL_TYPES.contains(modelType))
            throw new IllegalArgumentException("model_type '" + modelType + "' is not Llama-shaped; expected one of " + MODEL_TYPES);
        positive("vocab_size", vocabSize); positive("hidden_size", hiddenSize); positive("intermediate_size", intermediateSize);
        checkLayers(numHiddenLayers); positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads); positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0)
            throw new IllegalArgumentException("num_key_value_heads " + numKeyValueHeads + " must divide num_attention_heads "
                + numAttentionHeads);
        if ((long) numAttentionHeads * headDim > Integer.MAX_VALUE)
            throw new IllegalArgumentException("num_attention_heads x head_dim = " + numAttentionHeads + " x " + headDim
                + " exceeds " + Integer.MAX_VALUE);
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even (rotary embeddings rotate halves), got " + headDim);
        if (!(rmsNormEps > 0)) throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        if (!(attentionDropout >= 0 && attentionDropout < 1))
            throw new IllegalArgumentException("attention_dropout must be in [0, 1), got " + attentionDropout);
        if (slidingWindow < 0) throw new IllegalArgumentException("sliding_window must be positive or null, got " + slidingWindow);
        if (rope == null) throw new IllegalArgumentException("rope settings are required");
        if (!"silu".equals(hiddenAct))
            throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported (Llama-shaped models use silu)");
        layerTypes = List.copyOf(layerTypes);
        if (layerTypes.size() != numHiddenLayers)
            throw new IllegalArgumentException("layer_types has " + layerTypes.size() + " entries for " + numHiddenLayers + " layers");
        for (String t : layerTypes)
            if (!t.equals(FULL) && !t.equals(SLIDING))
                throw new IllegalArgumentException("layer type '" + t + "' is not supported; expected " + FULL + " or " + SLIDING);
        eosTokenIds = List.copyOf(eosTokenIds);
        if (bosTokenId != null) tokenId("bos_token_id", bosTokenId, vocabSize);
        if (padTokenId != null) tokenId("pad_token_id", padTokenId, vocabSize);
        for (int e : eosTokenIds) tokenId("eos_token_id", e, vocabSize);
        if (torchDtype == null) torchDtype = "float32";
    }

    /** Most layers accepted (far beyond any real model; bounds what a hostile config can make us allocate). */
    public static final int MAX_LAYERS = 1 << 16;

    private static void checkLayers(int layers) {
        if (layers < 1 || layers > MAX_LAYERS)
            throw new IllegalArgumentException("num_hidden_layers must be in [1, " + MAX_LAYERS + "], got " + layers);
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(key + " must be positive, got " + v);
    }

    private static void tokenId(String key, int id, int vocab) {
        if (id < 0 || id >= vocab) throw new IllegalArgumentException(key + " " + id + " is outside the vocabulary [0, " + vocab + ")");
    }

    /** The sliding window of layer {@code i} (0: full causal attention). */
    public int windowOf(int layer) { return layerTypes.get(layer).equals(SLIDING) ? slidingWindow : 0; }

    /** Query projection width {@code num_attention_heads * head_dim}. */
    public int qDim() { return numAttentionHeads * headDim; }

    /** Key/value projection width {@code num_key_value_heads * head_dim}. */
    public int kvDim() { return numKeyValueHeads * headDim; }

    /** The transformers class name written to {@code architectures}. */
    public String architecture() { return ARCHITECTURES.get(modelType); }

    /**
     * Number of base parameters (what the weight files must hold), with overflow checks.
     * @throws ArithmeticException when the count overflows a long
     */
    public long parameterCount() {
        long d = hiddenSize, q = qDim(), kv = kvDim(), ff = intermediateSize;
        long attn = Math.addExact(Math.multiplyExact(2L * d, q), Math.multiplyExact(2L * d, kv));
        if (qkvBias) attn = Math.addExact(attn, q + 2 * kv);
        if (oBias) attn = Math.addExact(attn, d);
        long mlp = Math.multiplyExact(3L * d, ff);
        if (mlpBias) mlp = Math.addExact(mlp, 2 * ff + d);
        long layer = Math.addExact(Math.addExact(attn, mlp), 2 * d);
        long emb = Math.multiplyExact(tieWordEmbeddings ? 1L : 2L, Math.multiplyExact((long) vocabSize, d));
        return Math.addExact(Math.addExact(emb, Math.multiplyExact(layer, (long) numHiddenLayers)), d);
    }

    /** Reads a Hugging Face {@code config.json}. */
    public static LlamaConfig fromJson(Path file) {
        try {
            return fromJson(new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid config " + file + ": " + e.getMessage(), e);
        }
    }

    public static LlamaConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("config.json must be a JSON object");
        String type = s(n, "model_type", null);
        if (type == null || !MODEL_TYPES.contains(type))
            throw new IllegalArgumentException("model_type '" + type + "' is not Llama-shaped; expected one of " + MODEL_TYPES);
        boolean llama = type.equals("llama"), mistral = type.equals("mistral"), qwen2 = type.equals("qwen2");
        int hidden = i(n, "hidden_size", 4096), heads = i(n, "num_attention_heads", 32);
        if (heads <= 0) throw new IllegalArgumentException("num_attention_heads must be positive, got " + heads);
        int layers = i(n, "num_hidden_layers", 32);
        checkLayers(layers);                                  // before the per-layer list below is built
        int kvHeads = i(n, "num_key_value_heads", mistral ? 8 : heads);
        int headDim = i(n, "head_dim", hidden / heads);
        int window = 0;
        List<String> layerTypes = new ArrayList<>();
        if (mistral) {
            window = n.has("sliding_window") && n.get("sliding_window").isNull() ? 0 : i(n, "sliding_window", 4096);
            for (int l = 0; l < Math.max(0, layers); l++) layerTypes.add(window > 0 ? SLIDING : FULL);
        } else if (qwen2) {
            boolean use = b(n, "use_sliding_window", false);
            int sw = n.has("sliding_window") && n.get("sliding_window").isNull() ? 0 : i(n, "sliding_window", 4096);
            window = use ? sw : 0;
            JsonNode lt = n.get("layer_types");
            if (lt != null && !lt.isNull()) {
                if (!lt.isArray()) throw new IllegalArgumentException("layer_types must be a list, got " + lt);
                for (JsonNode t : lt) layerTypes.add(t.asText());
            } else {
                int maxWindowLayers = i(n, "max_window_layers", 28);
                for (int l = 0; l < Math.max(0, layers); l++) layerTypes.add(window > 0 && l >= maxWindowLayers ? SLIDING : FULL);
            }
        } else {
            for (int l = 0; l < Math.max(0, layers); l++) layerTypes.add(FULL);
        }
        boolean attentionBias = llama && b(n, "attention_bias", false);
        String dtype = s(n, "dtype", s(n, "torch_dtype", "float32"));
        return new LlamaConfig(type, i(n, "vocab_size", qwen2 ? 151936 : 32000), hidden,
            i(n, "intermediate_size", mistral ? 14336 : qwen2 ? 22016 : 11008), layers, heads, kvHeads, headDim,
            d(n, "rms_norm_eps", 1e-6), RopeConfig.fromJson(n),
            i(n, "max_position_embeddings", mistral ? 4096 * 32 : qwen2 ? 32768 : 2048),
            b(n, "tie_word_embeddings", false), qwen2 || attentionBias, attentionBias, llama && b(n, "mlp_bias", false),
            d(n, "attention_dropout", 0.0), window, layerTypes,
            optInt(n, "bos_token_id", qwen2 ? null : 1), eosList(n, qwen2 ? List.of() : List.of(2)),
            optInt(n, "pad_token_id", null), s(n, "hidden_act", "silu"), dtype);
    }

    /** The {@code config.json} of this config, in the transformers-4.x style that 4.x and 5.x both load. */
    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.putArray("architectures").add(architecture());
        o.put("model_type", modelType);
        o.put("vocab_size", vocabSize); o.put("hidden_size", hiddenSize); o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers); o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads); o.put("head_dim", headDim);
        o.put("hidden_act", hiddenAct); o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("rms_norm_eps", rmsNormEps);
        rope.writeJson(o);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("attention_dropout", attentionDropout);
        switch (modelType) {
            case "llama" -> { o.put("attention_bias", oBias); o.put("mlp_bias", mlpBias); }
            case "mistral" -> { if (slidingWindow > 0) o.put("sliding_window", slidingWindow); else o.putNull("sliding_window"); }
            default -> {                                   // qwen2
                boolean any = layerTypes.contains(SLIDING) && slidingWindow > 0;
                o.put("use_sliding_window", any);
                if (any) o.put("sliding_window", slidingWindow); else o.putNull("sliding_window");
                int first = layerTypes.indexOf(SLIDING);
                o.put("max_window_layers", first < 0 ? numHiddenLayers : first);
                ArrayNode lt = o.putArray("layer_types");
                for (String t : layerTypes) lt.add(any ? t : FULL);
            }
        }
        if (bosTokenId != null) o.put("bos_token_id", bosTokenId); else o.putNull("bos_token_id");
        if (eosTokenIds.isEmpty()) o.putNull("eos_token_id");
        else if (eosTokenIds.size() == 1) o.put("eos_token_id", eosTokenIds.get(0));
        else { ArrayNode e = o.putArray("eos_token_id"); eosTokenIds.forEach(e::add); }
        if (padTokenId != null) o.put("pad_token_id", padTokenId); else o.putNull("pad_token_id");
        o.put("torch_dtype", torchDtype);
        o.put("use_cache", true);
        return o;
    }

    /** Same config with another storage dtype name (written as {@code torch_dtype}). */
    public LlamaConfig withTorchDtype(String dtype) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
            numKeyValueHeads, headDim, rmsNormEps, rope, maxPositionEmbeddings, tieWordEmbeddings, qkvBias, oBias, mlpBias,
            attentionDropout, slidingWindow, layerTypes, bosTokenId, eosTokenIds, padTokenId, hiddenAct, dtype);
    }

    /** Same config with another attention dropout. */
    public LlamaConfig withAttentionDropout(double p) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
            numKeyValueHeads, headDim, rmsNormEps, rope, maxPositionEmbeddings, tieWordEmbeddings, qkvBias, oBias, mlpBias,
            p, slidingWindow, layerTypes, bosTokenId, eosTokenIds, padTokenId, hiddenAct, torchDtype);
    }

    // ---------------------------------------------------------------- JSON helpers

    private static JsonNode get(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v;
    }

    static int i(JsonNode n, String key, int def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException(key + " must be an integer, got " + v);
        return v.asInt();
    }

    static double d(JsonNode n, String key, double def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.isNumber()) throw new IllegalArgumentException(key + " must be a number, got " + v);
        return v.asDouble();
    }

    static boolean b(JsonNode n, String key, boolean def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.isBoolean()) throw new IllegalArgumentException(key + " must be true or false, got " + v);
        return v.asBoolean();
    }

    static String s(JsonNode n, String key, String def) {
        JsonNode v = get(n, key);
        return v == null ? def : v.asText();
    }

    private static Integer optInt(JsonNode n, String key, Integer def) {
        JsonNode v = n.get(key);
        if (v == null) return def;
        if (v.isNull()) return null;
        if (v.isArray()) v = v.size() > 0 ? v.get(0) : null;
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException(key + " must be an integer, got " + v);
        return v.asInt();
    }

    /** {@code eos_token_id} as a list (an integer, a list of them, or null). */
    static List<Integer> eosList(JsonNode n, List<Integer> def) {
        JsonNode v = n.get("eos_token_id");
        if (v == null) return def;
        if (v.isNull()) return List.of();
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v.isArray() ? v : List.of(v)) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) throw new IllegalArgumentException("eos_token_id must be an integer or a list of them, got " + v);
            out.add(e.asInt());
        }
        return out;
    }
}
