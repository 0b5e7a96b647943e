package io.peft4j.model;

/**
 * One decoding run of a model with its key/value caches: what {@link Generator} needs of any
 * family. A session is created by {@link LanguageModel#startDecoding} for {@code N = batch x copies}
 * rows (row {@code i * copies + j} is copy {@code j} of input {@code i}; beam search uses the copies
 * as beams).
 *
 * <p>Every output row is {@link #prefix()} followed by the generated tokens: for an
 * encoder-decoder model the prefix is the decoder start token, for a causal model it is the input
 * row itself (left padding included), which is how transformers' {@code generate} returns sequences.
 */
public interface DecodingSession {
    /** The tokens every output row starts with, [N][P] (all rows the same length P). */
    int[][] prefix();

    /** Logits [N][V] of the first new token (after the prompt has been read). Called once, first. */
    double[][] first();

    /** Appends one token per row and returns the logits [N][V] of the next one. */
    double[][] next(int[] tokens);

    /** Keeps row {@code rows[i]} of every cache at position i (beam search reordering). */
    void reorder(int[] rows);
}
