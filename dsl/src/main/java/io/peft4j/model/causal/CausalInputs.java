package io.peft4j.model.causal;

import io.peft4j.model.Batch;
import io.peft4j.model.Embedding;
import io.peft4j.ops.CrossEntropy;

/**
 * Checks and position ids of causal-LM inputs, shared by the decoder-only families. Everything is
 * validated before any array is touched (a negative id in ND4J's gather crashes the JVM).
 *
 * <p>Position ids follow transformers: a plain forward without {@code position_ids} uses
 * {@code 0..T-1} on every row, pads included ({@link #sequentialPositions}); {@code generate} derives
 * them from the attention mask, {@code cumsum(mask) - 1} with pads at 0 ({@link #positionsFromMask}),
 * so a left-padded row generates as if it were not padded.
 */
public final class CausalInputs {
    private CausalInputs() {}

    /**
     * Checks ids (rectangular, in {@code [0, vocab)}), mask (same shape, 0 or 1) and labels (same
     * shape as the ids, in the vocabulary or -100).
     * @throws IllegalArgumentException naming the bad value and its position
     */
    public static void validate(Batch batch, int vocab) {
        validateInputs(batch.inputIds(), batch.attentionMask(), vocab);
        int[][] ids = batch.inputIds(), labels = batch.labels();
        for (int b = 0; b < labels.length; b++) {
            if (labels[b] == null) throw new IllegalArgumentException("labels[" + b + "] is missing");
            if (labels[b].length != ids[b].length)
                throw new IllegalArgumentException("labels[" + b + "] has length " + labels[b].length + " but a causal model needs labels"
                    + " shaped like input_ids (" + ids[b].length + ")");
            for (int t = 0; t < labels[b].length; t++) {
                int v = labels[b][t];
                if (v != CrossEntropy.IGNORE && (v < 0 || v >= vocab))
                    throw new IllegalArgumentException("labels[" + b + "][" + t + "] = " + v
                        + " is outside the vocabulary [0, " + vocab + ") and is not -100");
            }
        }
    }

    /** Checks ids and mask; a null mask is not allowed here (callers pass ones). */
    public static void validateInputs(int[][] ids, int[][] mask, int vocab) {
        Embedding.validate(ids, vocab, "input_ids");
        if (ids.length == 0) throw new IllegalArgumentException("input_ids has no rows (empty batch)");
        if (mask == null || mask.length != ids.length)
            throw new IllegalArgumentException("attention_mask must have " + ids.length + " rows");
        for (int b = 0; b < mask.length; b++) {
            if (mask[b] == null || mask[b].length != ids[b].length)
                throw new IllegalArgumentException("attention_mask[" + b + "] must have length " + ids[b].length);
            for (int t = 0; t < mask[b].length; t++)
                if (mask[b][t] != 0 && mask[b][t] != 1)
                    throw new IllegalArgumentException("attention_mask[" + b + "][" + t + "] = " + mask[b][t] + " (must be 0 or 1)");
        }
    }

    /** Row-major flattening of a rectangular [B][T] array. */
    public static int[] flatten(int[][] a) {
        int w = a[0].length;
        int[] out = new int[a.length * w];
        for (int b = 0; b < a.length; b++) System.arraycopy(a[b], 0, out, b * w, w);
        return out;
    }

    /** {@code 0..T-1} on every row, flattened [B*T] (transformers' forward without position_ids). */
    public static int[] sequentialPositions(int B, int T) {
        int[] p = new int[B * T];
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) p[b * T + t] = t;
        return p;
    }

    /** {@code cumsum(mask) - 1} per row, 0 at padding (transformers' generate), [B][T]. */
    public static int[][] positionsFromMask(int[][] mask) {
        int[][] p = new int[mask.length][];
        for (int b = 0; b < mask.length; b++) {
            p[b] = new int[mask[b].length];
            int c = 0;
            for (int t = 0; t < mask[b].length; t++) {
                c += mask[b][t];
                p[b][t] = mask[b][t] == 0 ? 0 : c - 1;
            }
        }
        return p;
    }
}
