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
 * repetition_penalty 1.0, no_repeat_ngram_size 0, one returned sequence). {@link #forModel} reads a
 * model folder's {@code generation_config.json} where present ({@code max_new_tokens},
 * {@code max_length} counting the start token of an encoder-decoder model, {@code num_beams},
 * {@code eos_token_id} (one id or a list: any of them ends a row), {@code pad_token_id},
 * {@code decoder_start_token_id}, {@code length_penalty}, {@code early_stopping},
 * {@code repetition_penalty}, {@code no_repeat_ngram_size}, and {@code do_sample} with
 * {@code temperature}, {@code top_k}, {@code top_p}).
 *
 * @param eosTokenIds ids that end a row (empty: none does, every row runs to max_new_tokens)
 * @param sampling    null for greedy / beam search, else multinomial sampling (num_beams must be 1)
 */
public record GenerationConfig(int maxNewTokens, int numBeams, double lengthPenalty, boolean earlyStopping,
                               List<Integer> eosTokenIds, int padTokenId, int decoderStartTokenId,
                               double repetitionPenalty, int noRepeatNgramSize, Sampling sampling) {
    public GenerationConfig {
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens = " + maxNewTokens + " is invalid: allowed >= 1");
        if (numBeams < 1) throw new IllegalArgumentException("num_beams = " + numBeams + " is invalid: allowed >= 1");
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty))
            throw new IllegalArgumentException("repetition_penalty = " + repetitionPenalty + " is invalid: allowed > 0 (1.0 = off)");
        if (noRepeatNgramSize < 0) throw new IllegalArgumentException("no_repeat_ngram_size = " + noRepeatNgramSize + " is invalid: allowed >= 0 (0 = off)");
        if (sampling != null && numBeams > 1)
            throw new IllegalArgumentException("num_beams = " + numBeams + " with sampling is not supported: sample with num_beams 1, or search beams without sampling");
        eosTokenIds = List.copyOf(eosTokenIds == null ? List.of() : eosTokenIds);
    }

    /** The settings of transformers' older constructor: one eos id (negative: none), no processors, no sampling. */
    public GenerationConfig(int maxNewTokens, int numBeams, double lengthPenalty, boolean earlyStopping,
                            int eosTokenId, int padTokenId, int decoderStartTokenId) {
        this(maxNewTokens, numBeams, lengthPenalty, earlyStopping, eosTokenId < 0 ? List.of() : List.of(eosTokenId),
            padTokenId, decoderStartTokenId, 1.0, 0, null);
    }

    /**
     * Defaults for a model: greedy, 19 new tokens for an encoder-decoder model (transformers'
     * max_length 20 minus the start token), 20 for a causal one; {@code decoderStart} is ignored by
     * causal models.
     */
    public static GenerationConfig defaults(int eos, int pad, int decoderStart, boolean encoderDecoder) {
        return new GenerationConfig(encoderDecoder ? 19 : 20, 1, 1.0, false, eos, pad, decoderStart);
    }

    /** The first end-of-sequence id (the one written after a finished beam), or -1 when there is none. */
    public int eosTokenId() { return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0); }

    /** True when {@code token} ends a row. */
    public boolean isEos(int token) { return eosTokenIds.contains(token); }

    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, numBeams, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, decoderStartTokenId,
            repetitionPenalty, noRepeatNgramSize, sampling);
    }

    public GenerationConfig withNumBeams(int k) {
        return new GenerationConfig(maxNewTokens, k, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, decoderStartTokenId,
            repetitionPenalty, noRepeatNgramSize, k > 1 ? null : sampling);
    }

    public GenerationConfig withLengthPenalty(double lp) {
        return new GenerationConfig(maxNewTokens, numBeams, lp, earlyStopping, eosTokenIds, padTokenId, decoderStartTokenId,
            repetitionPenalty, noRepeatNgramSize, sampling);
    }

    public GenerationConfig withEosTokenIds(List<Integer> ids) {
        return new GenerationConfig(maxNewTokens, numBeams, lengthPenalty, earlyStopping, ids, padTokenId, decoderStartTokenId,
            repetitionPenalty, noRepeatNgramSize, sampling);
    }

    /** transformers' repetition_penalty: seen tokens' logits divided (positive) or multiplied (negative) by it. */
    public GenerationConfig withRepetitionPenalty(double p) {
        return new GenerationConfig(maxNewTokens, numBeams, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, decoderStartTokenId,
            p, noRepeatNgramSize, sampling);
    }

    /** transformers' no_repeat_ngram_size: no n-gram of this size occurs twice in a row's sequence. */
    public GenerationConfig withNoRepeatNgramSize(int n) {
        return new GenerationConfig(maxNewTokens, numBeams, lengthPenalty, earlyStopping, eosTokenIds, padTokenId, decoderStartTokenId,
            repetitionPenalty, n, sampling);
    }

    /** Samples with these settings (num_beams becomes 1); null switches back to greedy search. */
    public GenerationConfig withSampling(Sampling s) {
        return new GenerationConfig(maxNewTokens, s == null ? numBeams : 1, lengthPenalty, earlyStopping, eosTokenIds, padTokenId,
            decoderStartTokenId, repetitionPenalty, noRepeatNgramSize, s);
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
            List<Integer> eos = ids(n.get("eos_token_id"), g.eosTokenIds);
            List<Integer> pad = ids(n.get("pad_token_id"), List.of(g.padTokenId));
            boolean early = n.hasNonNull("early_stopping") && n.get("early_stopping").isBoolean() && n.get("early_stopping").asBoolean();
            Sampling s = null;
            if (n.hasNonNull("do_sample") && n.get("do_sample").asBoolean())
                s = new Sampling(n.hasNonNull("temperature") ? n.get("temperature").asDouble() : 1.0,
                    n.hasNonNull("top_k") ? n.get("top_k").asInt() : 50, n.hasNonNull("top_p") ? n.get("top_p").asDouble() : 1.0, 0);
            int beams = n.hasNonNull("num_beams") ? n.get("num_beams").asInt() : g.numBeams;
            return new GenerationConfig(max, s != null ? 1 : beams,
                n.hasNonNull("length_penalty") ? n.get("length_penalty").asDouble() : g.lengthPenalty, early, eos,
                pad.isEmpty() ? g.padTokenId : pad.get(0),
                n.hasNonNull("decoder_start_token_id") ? n.get("decoder_start_token_id").asInt() : g.decoderStartTokenId,
                n.hasNonNull("repetition_penalty") ? n.get("repetition_penalty").asDouble() : g.repetitionPenalty,
                n.hasNonNull("no_repeat_ngram_size") ? n.get("no_repeat_ngram_size").asInt() : g.noRepeatNgramSize, s);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("invalid " + f + ": " + e.getMessage(), e);
        }
    }

    private static List<Integer> ids(JsonNode v, List<Integer> fallback) {
        if (v == null || v.isNull()) return fallback;
        List<Integer> out = new ArrayList<>();
        if (v.isArray()) v.forEach(x -> out.add(x.asInt()));
        else out.add(v.asInt());
        return out;
    }
}
