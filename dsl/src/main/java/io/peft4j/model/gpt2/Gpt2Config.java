package io.peft4j.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The architecture of a GPT-2 model ({@code GPT2LMHeadModel}) as transformers' {@code GPT2Config}
 * describes it; missing keys take transformers' defaults (GPT-2 small: 768 wide, 12 layers, 12 heads,
 * 1024 positions, vocabulary 50257).
 *
 * <p>What each setting does in transformers 5.x' {@code modeling_gpt2.py}, and here:
 * <ul>
 *   <li>{@code n_inner}: the MLP width; null means {@code 4 * n_embd}.</li>
 *   <li>{@code activation_function}: {@code gelu_new} (GPT-2's tanh GELU; {@code gelu_pytorch_tanh} is the
 *       same function). Other activations are refused.</li>
 *   <li>Attention scores are multiplied by {@code head_dim^-0.5} when {@code scale_attn_weights} (default),
 *       and further divided by {@code layer_idx + 1} when {@code scale_attn_by_inverse_layer_idx}.
 *       {@code reorder_and_upcast_attn} only changes where the scale is applied and upcasts half
 *       precision to float32: in float32 it computes the same attention, so it is accepted.</li>
 *   <li>{@code tie_word_embeddings} (default true): the LM head is {@code transformer.wte.weight}.</li>
 *   <li>{@code resid_pdrop}, {@code embd_pdrop}, {@code attn_pdrop}: dropout after the residual branches,
 *       after the input embeddings, and on the attention probabilities (training mode only).</li>
 *   <li>{@code pad_token_id} is usually null: generation then pads with {@code eos_token_id}, as
 *       transformers does.</li>
 *   <li>{@code add_cross_attention} (GPT-2 as a decoder of an encoder-decoder model) is refused.</li>
 * </ul>
 * Immutable and validated: dimensions positive, {@code n_embd} divisible by {@code n_head}, dropout in
 * [0, 1), token ids inside the vocabulary.
 *
 * @param nInner the MLP width as written in config.json (null: 4 * n_embd; see {@link #innerDim()})
 * @param bosTokenId null when absent
 * @param eosTokenId null when absent (generation then never stops early)
 * @param padTokenId null when absent (generation pads with eos)
 */
public record Gpt2Config(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, Integer nInner,
                         String activationFunction, double layerNormEpsilon,
                         double residPdrop, double embdPdrop, double attnPdrop,
                         boolean scaleAttnWeights, boolean scaleAttnByInverseLayerIdx, boolean reorderAndUpcastAttn,
                         boolean tieWordEmbeddings, Integer bosTokenId, Integer eosTokenId, Integer padTokenId,
                         double initializerRange) {

    /** Activations implemented (both are the tanh approximation of GELU). */
    public static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh");

    public Gpt2Config {
        positive("vocab_size", vocabSize); positive("n_positions", nPositions); positive("n_embd", nEmbd);
        positive("n_layer", nLayer); positive("n_head", nHead);
        if (nInner != null) positive("n_inner", nInner);
        if (nEmbd % nHead != 0)
            throw new IllegalArgumentException("n_embd = " + nEmbd + " must be divisible by n_head = " + nHead);
        if (activationFunction == null || !ACTIVATIONS.contains(activationFunction))
            throw new IllegalArgumentException("activation_function '" + activationFunction + "' is not supported; supported: "
                + new java.util.TreeSet<>(ACTIVATIONS) + " (GPT-2 uses gelu_new)");
        if (!(layerNormEpsilon > 0) || Double.isInfinite(layerNormEpsilon))
            throw new IllegalArgumentException("layer_norm_epsilon must be a finite number > 0, got " + layerNormEpsilon);
        dropout("resid_pdrop", residPdrop); dropout("embd_pdrop", embdPdrop); dropout("attn_pdrop", attnPdrop);
        token("bos_token_id", bosTokenId, vocabSize); token("eos_token_id", eosTokenId, vocabSize);
        token("pad_token_id", padTokenId, vocabSize);
        if (!(initializerRange > 0) || Double.isInfinite(initializerRange))
            throw new IllegalArgumentException("initializer_range must be a finite number > 0, got " + initializerRange);
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(key + " must be a positive integer, got " + v);
    }

    private static void dropout(String key, double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException(key + " must lie in [0, 1), got " + p);
    }

    private static void token(String key, Integer id, int vocab) {
        if (id != null && (id < 0 || id >= vocab))
            throw new IllegalArgumentException(key + " = " + id + " is outside the vocabulary [0, " + vocab + ")");
    }

    /** The MLP width: {@code n_inner}, or {@code 4 * n_embd} when it is null. */
    public int innerDim() { return nInner != null ? nInner : Math.multiplyExact(4, nEmbd); }

    public int headDim() { return nEmbd / nHead; }

    /**
     * The factor attention scores of layer {@code layer} (0-based) are multiplied by:
     * {@code head_dim^-0.5} (if {@code scale_attn_weights}) divided by {@code layer + 1} (if
     * {@code scale_attn_by_inverse_layer_idx}), as transformers' {@code GPT2Attention.scaling}.
     */
    public double attentionScale(int layer) {
        double s = scaleAttnWeights ? Math.pow(headDim(), -0.5) : 1.0;
        return scaleAttnByInverseLayerIdx ? s / (layer + 1) : s;
    }

    /** The token generation pads with: pad_token_id, else eos_token_id (transformers' fallback), else 0. */
    public int generationPadId() { return padTokenId != null ? padTokenId : eosTokenId != null ? eosTokenId : 0; }

    /** Same config with all three dropout rates set to {@code p} (tests, or training without dropout). */
    public Gpt2Config withDropout(double p) {
        return new Gpt2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, nInner, activationFunction, layerNormEpsilon,
            p, p, p, scaleAttnWeights, scaleAttnByInverseLayerIdx, reorderAndUpcastAttn, tieWordEmbeddings,
            bosTokenId, eosTokenId, padTokenId, initializerRange);
    }

    /**
     * Number of base parameters (what the weight files must provide), overflow-checked: token and
     * position embeddings, per layer two layer norms, c_attn, attn.c_proj, c_fc and mlp.c_proj with
     * biases, the final layer norm, and an untied lm_head.
     *
     * @throws ArithmeticException when the count overflows a long
     */
    public long parameterCount() {
        long d = nEmbd, ff = innerDim();
        long layer = Math.addExact(Math.multiplyExact(d, 3 * d) + 3 * d, Math.multiplyExact(d, d) + d);   // c_attn, attn.c_proj
        layer = Math.addExact(layer, Math.multiplyExact(2L, Math.multiplyExact(d, ff)) + ff + d);          // c_fc, mlp.c_proj
        layer = Math.addExact(layer, 4 * d);                                                                 // ln_1, ln_2
        long n = Math.multiplyExact(layer, (long) nLayer);
        long wte = Math.multiplyExact((long) vocabSize, d);
        n = Math.addExact(n, Math.multiplyExact(tieWordEmbeddings ? 1L : 2L, wte));
        n = Math.addExact(n, Math.multiplyExact((long) nPositions, d));
        return Math.addExact(n, 2 * d);                                                                      // ln_f
    }

    /** transformers' defaults (GPT-2 small). */
    public static Gpt2Config defaults() { return fromJson(new ObjectMapper().createObjectNode()); }

    /**
     * Reads a Hugging Face {@code config.json}.
     *
     * @throws FileFormatException naming the file and the bad key
     */
    public static Gpt2Config fromJson(Path file) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot be read as JSON: " + e.getMessage(), e);
        }
        try {
            return fromJson(n);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new FileFormatException(file, "invalid GPT-2 config: " + e.getMessage(), e);
        }
    }

    public static Gpt2Config fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("config.json must be a JSON object");
        JsonNode type = n.get("model_type");
        if (type != null && !type.isNull() && !"gpt2".equals(type.asText()))
            throw new IllegalArgumentException("model_type is '" + type.asText() + "', not 'gpt2'");
        if (b(n, "add_cross_attention", false))
            throw new IllegalArgumentException("add_cross_attention = true (GPT-2 as the decoder of an encoder-decoder model) is not supported");
        return new Gpt2Config(i(n, "vocab_size", 50257), i(n, "n_positions", 1024), i(n, "n_embd", 768),
            i(n, "n_layer", 12), i(n, "n_head", 12), optInt(n, "n_inner"), s(n, "activation_function", "gelu_new"),
            d(n, "layer_norm_epsilon", 1e-5), d(n, "resid_pdrop", 0.1), d(n, "embd_pdrop", 0.1), d(n, "attn_pdrop", 0.1),
            b(n, "scale_attn_weights", true), b(n, "scale_attn_by_inverse_layer_idx", false),
            b(n, "reorder_and_upcast_attn", false), b(n, "tie_word_embeddings", true),
            n.has("bos_token_id") ? optInt(n, "bos_token_id") : Integer.valueOf(50256),
            n.has("eos_token_id") ? optInt(n, "eos_token_id") : Integer.valueOf(50256),
            optInt(n, "pad_token_id"), d(n, "initializer_range", 0.02));
    }

    /** The {@code config.json} transformers writes for this config (keys sorted as transformers sorts them). */
    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("activation_function", activationFunction);
        o.put("add_cross_attention", false);
        o.putArray("architectures").add("GPT2LMHeadModel");
        o.put("attn_pdrop", attnPdrop);
        putId(o, "bos_token_id", bosTokenId);
        o.put("dtype", "float32");
        o.put("embd_pdrop", embdPdrop);
        putId(o, "eos_token_id", eosTokenId);
        o.put("initializer_range", initializerRange);
        o.put("layer_norm_epsilon", layerNormEpsilon);
        o.put("model_type", "gpt2");
        o.put("n_embd", nEmbd);
        o.put("n_head", nHead);
        if (nInner == null) o.putNull("n_inner"); else o.put("n_inner", nInner);
        o.put("n_layer", nLayer);
        o.put("n_positions", nPositions);
        putId(o, "pad_token_id", padTokenId);
        o.put("reorder_and_upcast_attn", reorderAndUpcastAttn);
        o.put("resid_pdrop", residPdrop);
        o.put("scale_attn_by_inverse_layer_idx", scaleAttnByInverseLayerIdx);
        o.put("scale_attn_weights", scaleAttnWeights);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("use_cache", true);
        o.put("vocab_size", vocabSize);
        return o;
    }

    private static void putId(ObjectNode o, String k, Integer v) {
        if (v == null) o.putNull(k); else o.put(k, v);
    }

    private static JsonNode get(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v != null && v.isArray()) v = v.size() > 0 ? v.get(0) : null;   // eos_token_id: [50256]
        return v == null || v.isNull() ? null : v;
    }

    private static Integer optInt(JsonNode n, String key) {
        JsonNode v = get(n, key);
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException(key + " must be an integer, got " + v);
        return v.asInt();
    }

    private static int i(JsonNode n, String key, int def) {
        Integer v = optInt(n, key);
        return v == null ? def : v;
    }

    private static double d(JsonNode n, String key, double def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.isNumber()) throw new IllegalArgumentException(key + " must be a number, got " + v);
        return v.asDouble();
    }

    private static boolean b(JsonNode n, String key, boolean def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.isBoolean()) throw new IllegalArgumentException(key + " must be true or false, got " + v);
        return v.asBoolean();
    }

    private static String s(JsonNode n, String key, String def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.isTextual()) throw new IllegalArgumentException(key + " must be a string, got " + v);
        return v.asText();
    }
}
