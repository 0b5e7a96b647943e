package io.peft4j.model.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The architecture of a T5 / FLAN-T5 model, as in Hugging Face's {@code T5Config}. Missing keys of a
 * {@code config.json} take transformers' defaults (the original t5-small config omits most of them).
 * {@code dense_act_fn} / {@code is_gated_act}, where present, override what {@code feed_forward_proj}
 * implies (transformers applies them after deriving them from {@code feed_forward_proj}).
 *
 * <p>Immutable and validated: every dimension positive, dropout in [0, 1), a supported activation.
 */
public record T5Config(
    int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numDecoderLayers, int numHeads,
    int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double dropoutRate,
    double layerNormEpsilon, String feedForwardProj, String denseActFn, boolean isGatedAct,
    boolean tieWordEmbeddings, int padTokenId, int eosTokenId, int decoderStartTokenId,
    double initializerFactor) {

    /** Activations the feed-forward supports (gelu_new and gelu_pytorch_tanh are the same tanh GELU). */
    public static final Set<String> ACTIVATIONS = Set.of("relu", "gelu_new", "gelu_pytorch_tanh");

    public T5Config {
        positive("vocab_size", vocabSize); positive("d_model", dModel); positive("d_kv", dKv);
        positive("d_ff", dFf); positive("num_layers", numLayers); positive("num_decoder_layers", numDecoderLayers);
        positive("num_heads", numHeads); positive("relative_attention_num_buckets", relativeAttentionNumBuckets);
        positive("relative_attention_max_distance", relativeAttentionMaxDistance);
        if (relativeAttentionNumBuckets < 4)
            throw new IllegalArgumentException("relative_attention_num_buckets must be >= 4, got " + relativeAttentionNumBuckets);
        if (!(dropoutRate >= 0 && dropoutRate < 1))
            throw new IllegalArgumentException("dropout_rate must be in [0, 1), got " + dropoutRate);
        if (!(layerNormEpsilon > 0)) throw new IllegalArgumentException("layer_norm_epsilon must be > 0, got " + layerNormEpsilon);
        if (denseActFn == null || !ACTIVATIONS.contains(denseActFn))
            throw new IllegalArgumentException("unsupported activation dense_act_fn '" + denseActFn
                + "' (feed_forward_proj '" + feedForwardProj + "'); supported: " + ACTIVATIONS);
        for (int id : new int[]{padTokenId, eosTokenId, decoderStartTokenId})
            if (id < 0 || id >= vocabSize)
                throw new IllegalArgumentException("special token id " + id + " outside vocabulary [0, " + vocabSize + ")");
        if (!(initializerFactor > 0)) throw new IllegalArgumentException("initializer_factor must be > 0, got " + initializerFactor);
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(key + " must be positive, got " + v);
    }

    /**
     * Number of base parameters a model of this config holds (what {@code model.safetensors} must
     * provide), computed with overflow checks: shared embedding, untied lm_head, attention, feed-forward,
     * layer norms and the two relative position biases.
     *
     * @throws ArithmeticException when the count overflows a long
     */
    public long parameterCount() {
        long d = dModel, inner = Math.multiplyExact((long) numHeads, dKv), ff = dFf;
        long attention = Math.multiplyExact(4L, Math.multiplyExact(inner, d));
        long feedForward = Math.multiplyExact(isGatedAct ? 3L : 2L, Math.multiplyExact(ff, d));
        long encLayer = Math.addExact(Math.addExact(attention, feedForward), 2 * d);
        long decLayer = Math.addExact(Math.addExact(Math.multiplyExact(2L, attention), feedForward), 3 * d);
        long embeddings = Math.multiplyExact(tieWordEmbeddings ? 1L : 2L, Math.multiplyExact((long) vocabSize, d));
        long bias = 2L * relativeAttentionNumBuckets * numHeads;
        long n = Math.addExact(embeddings, Math.multiplyExact(encLayer, numLayers));
        n = Math.addExact(n, Math.multiplyExact(decLayer, numDecoderLayers));
        return Math.addExact(n, bias + 2 * d);
    }

    /** Inner attention size {@code num_heads * d_kv} (may differ from d_model). */
    public int innerDim() { return numHeads * dKv; }

    /** A config with transformers' defaults (t5-small shape: 512/64/2048, 6+6 layers, 8 heads, relu, tied). */
    public static T5Config defaults() { return fromJson(new ObjectMapper().createObjectNode()); }

    /** Same config with another dropout rate. */
    public T5Config withDropout(double p) {
        return new T5Config(vocabSize, dModel, dKv, dFf, numLayers, numDecoderLayers, numHeads,
            relativeAttentionNumBuckets, relativeAttentionMaxDistance, p, layerNormEpsilon, feedForwardProj,
            denseActFn, isGatedAct, tieWordEmbeddings, padTokenId, eosTokenId, decoderStartTokenId, initializerFactor);
    }

    /** Reads a Hugging Face {@code config.json}. */
    public static T5Config fromJson(Path file) {
        try {
            return fromJson(new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read T5 config " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid T5 config " + file + ": " + e.getMessage(), e);
        }
    }

    public static T5Config fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("config.json must be a JSON object");
        int numLayers = i(n, "num_layers", 6);
        String ffp = s(n, "feed_forward_proj", "relu");
        String[] parts = ffp.split("-");
        if (parts.length > 2 || (parts.length == 2 && !parts[0].equals("gated")))
            throw new IllegalArgumentException("feed_forward_proj '" + ffp + "' is not of the form '{ACT}' or 'gated-{ACT}'");
        String act = parts[parts.length - 1];
        boolean gated = parts.length == 2;
        if (ffp.equals("gated-gelu")) act = "gelu_new";
        act = s(n, "dense_act_fn", act);
        gated = n.has("is_gated_act") && !n.get("is_gated_act").isNull() ? n.get("is_gated_act").asBoolean() : gated;
        return new T5Config(i(n, "vocab_size", 32128), i(n, "d_model", 512), i(n, "d_kv", 64), i(n, "d_ff", 2048),
            numLayers, i(n, "num_decoder_layers", numLayers), i(n, "num_heads", 8),
            i(n, "relative_attention_num_buckets", 32), i(n, "relative_attention_max_distance", 128),
            d(n, "dropout_rate", 0.1), d(n, "layer_norm_epsilon", 1e-6), ffp, act, gated,
            b(n, "tie_word_embeddings", true), i(n, "pad_token_id", 0), i(n, "eos_token_id", 1),
            i(n, "decoder_start_token_id", 0), d(n, "initializer_factor", 1.0));
    }

    /** The Hugging Face {@code config.json} form of this config. */
    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.putArray("architectures").add("T5ForConditionalGeneration");
        o.put("model_type", "t5");
        o.put("is_encoder_decoder", true);
        o.put("vocab_size", vocabSize); o.put("d_model", dModel); o.put("d_kv", dKv); o.put("d_ff", dFf);
        o.put("num_layers", numLayers); o.put("num_decoder_layers", numDecoderLayers); o.put("num_heads", numHeads);
        o.put("relative_attention_num_buckets", relativeAttentionNumBuckets);
        o.put("relative_attention_max_distance", relativeAttentionMaxDistance);
        o.put("dropout_rate", dropoutRate); o.put("layer_norm_epsilon", layerNormEpsilon);
        o.put("feed_forward_proj", feedForwardProj); o.put("dense_act_fn", denseActFn); o.put("is_gated_act", isGatedAct);
        o.put("tie_word_embeddings", tieWordEmbeddings); o.put("pad_token_id", padTokenId);
        o.put("eos_token_id", eosTokenId); o.put("decoder_start_token_id", decoderStartTokenId);
        o.put("initializer_factor", initializerFactor);
        return o;
    }

    private static JsonNode get(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v != null && v.isArray()) v = v.size() > 0 ? v.get(0) : null;   // e.g. eos_token_id: [1]
        return v == null || v.isNull() ? null : v;
    }
    private static int i(JsonNode n, String key, int def) {
        JsonNode v = get(n, key);
        if (v == null) return def;
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException(key + " must be an integer, got " + v);
        return v.asInt();
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
        return v == null ? def : v.asText();
    }
}
