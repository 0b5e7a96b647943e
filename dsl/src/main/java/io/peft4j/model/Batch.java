package io.peft4j.model;

/**
 * One batch for a sequence-to-sequence model, already padded: {@code inputIds} and
 * {@code attentionMask} are [B][S]; {@code labels} is [B][T] with -100 at ignored positions.
 * Decoder inputs are the labels shifted right (start token 0, -100 replaced by 0), as in
 * transformers.
 */
public record Batch(int[][] inputIds, int[][] attentionMask, int[][] labels) {
    public Batch {
        if (inputIds == null || attentionMask == null || labels == null)
            throw new IllegalArgumentException("inputIds, attentionMask and labels are required");
        if (inputIds.length == 0) throw new IllegalArgumentException("batch is empty");
        if (inputIds.length != attentionMask.length || inputIds.length != labels.length)
            throw new IllegalArgumentException("batch sizes differ: inputIds " + inputIds.length
                + ", attentionMask " + attentionMask.length + ", labels " + labels.length);
    }
    public int size() { return inputIds.length; }
    /** Number of label positions that count in the loss (label != -100). */
    public long targetTokens() {
        long n = 0;
        for (int[] row : labels) for (int v : row) if (v != -100) n++;
        return n;
    }
}
