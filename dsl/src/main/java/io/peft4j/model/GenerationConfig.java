package io.peft4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decoding settings, with transformers' defaults (greedy, length_penalty 1.0, early_stopping false,
 * one returned sequence). {@link #forModel} reads a model folder's {@code generation_config.json}
 * where present ({@code max_new_tokens}, {@code max_length} counting the start token,
 * {@code num_beams}, {@code eos_token_id}, {@code pad_token_id}, {@code decoder_start_token_id},
 * {@code length_penalty}, {@code early_stopping}).
 *
 * <p>{@code eos_token_id} may be a list (Llama 3 instruct models stop on several tokens): the first
 * is {@link #eosTokenId()} (what beam search writes after a finished hypothesis, as transformers
 * writes {@code eos_token_id[0]}), the others are {@link #extraEosTokenIds()}; a row finishes on any of
 * them ({@link #isEos}).
 */
public record GenerationConfig(int maxNewTokens, int numBeams, double lengthPenalty, boolean earlyStopping,
                               int eosTokenId, int padTokenId, int decoderStartTokenId, List<Integer> extraEosTokenIds) {
    public GenerationConfig {
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        if (numBeams < 1) throw new IllegalArgumentException("num_beams must be >= 1, got " + numBeams);
        extraEosTokenIds = extraEosTokenIds == null ? List.of() : List.copyOf(extraEosTokenIds);
    }

    /** One end-of-sequence token. */
    public GenerationConfig(int maxNewTokens, int numBeams, double lengthPenalty, boolean earlyStopping,
                            int eosTokenId, int padTokenId, int decoderStartTokenId) {
        this(maxNewTokens, numBeams, lengthPenalty, earlyStopping, eosTokenId, padTokenId, decoderStartTokenId, List.of());
    }

    /** True when {@code token} ends a row: the eos token or one of the extra ones. */
    public boolean isEos(int token) { return token == eosTokenId || extraEosTokenIds.contains(token); }

    /** Every end-of-sequence token, {@link #eosTokenId()} first. */
    public List<Integer> eosTokenIds() {
        List<Integer> all = new ArrayList<>();
        all.add(eosTokenId);
        all.addAll(extraEosTokenIds);
        return all;
    }

    /** Same settings ending rows on any of {@code eos} (first = {@link #eosTokenId()}). */
    public GenerationConfig withEosTokenIds(List<Integer> eos) {
        if (eos == null || eos.isEmpty()) throw new IllegalArgumentException("eos_token_id list is empty");
        return new GenerationConfig(maxNewTokens, numBeams, lengthPenalty, earlyStopping, eos.get(0), padTokenId,
            decoderStartTokenId, eos.subList(1, eos.size()));
    }

    /**
     * Defaults for a model: greedy, 19 new tokens for an encoder-decoder model (transformers'
     * max_length 20 minus the start token), 20 for a causal one; {@code decoderStart} is ignored by
     * causal models.
     */
    public static GenerationConfig defaults(int eos, int pad, int decoderStart, boolean encoderDecoder) {
        return new GenerationConfig(encoderDecoder ? 19 : 20, 1, 1.0, false, eos, pad, decoderStart);
    }

    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, numBeams, lengthPenalty, earlyStopping, eosTokenId, padTokenId, decoderStartTokenId, extraEosTokenIds);
    }

    public GenerationConfig withNumBeams(int k) {
        return new GenerationConfig(maxNewTokens, k, lengthPenalty, earlyStopping, eosTokenId, padTokenId, decoderStartTokenId, extraEosTokenIds);
    }

    /** Defaults overridden by {@code dir/generation_config.json} when that file exists. */
    public static GenerationConfig forModel(Path dir, LanguageModel m) {
        GenerationConfig g = m.defaultGeneration();
        Path f = dir.resolve("generation_config.json");
        if (!Files.isRegularFile(f)) return g;
        try {
            JsonNode n = new ObjectMapper().readTree(f.toFile());
            int max = g.maxNewTokens;
            // max_length counts the start token (seq2seq) or the prompt (causal: not known here, ignored)
            if (n.hasNonNull("max_length") && m.encoderDecoder()) max = n.get("max_length").asInt() - 1;
            if (n.hasNonNull("max_new_tokens")) max = n.get("max_new_tokens").asInt();
            JsonNode eos = n.get("eos_token_id");
            JsonNode pad = n.get("pad_token_id");
            List<Integer> eosIds = g.eosTokenIds();
            if (eos != null && !eos.isNull()) {
                eosIds = new ArrayList<>();
                for (JsonNode e : eos.isArray() ? eos : List.of(eos)) eosIds.add(e.asInt());
                if (eosIds.isEmpty()) eosIds = g.eosTokenIds();
            }
            boolean early = n.hasNonNull("early_stopping") && n.get("early_stopping").isBoolean() && n.get("early_stopping").asBoolean();
            return new GenerationConfig(max, n.hasNonNull("num_beams") ? n.get("num_beams").asInt() : g.numBeams,
                n.hasNonNull("length_penalty") ? n.get("length_penalty").asDouble() : g.lengthPenalty, early, eosIds.get(0),
                pad == null || pad.isNull() ? g.padTokenId : pad.isArray() ? pad.get(0).asInt() : pad.asInt(),
                n.hasNonNull("decoder_start_token_id") ? n.get("decoder_start_token_id").asInt() : g.decoderStartTokenId,
                eosIds.subList(1, eosIds.size()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("invalid " + f + ": " + e.getMessage(), e);
        }
    }
}
