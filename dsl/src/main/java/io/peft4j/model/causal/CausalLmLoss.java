package io.peft4j.model.causal;

import io.peft4j.ops.CrossEntropy;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * transformers' causal-LM loss ({@code ForCausalLMLoss}): position {@code t} of a row predicts
 * {@code labels[t + 1]}, i.e. {@code logits[:, :-1]} against {@code labels[:, 1:]}; the mean is over
 * the targets that are not -100. Implemented as a cross-entropy over every row of the logits with
 * the labels shifted left and -100 at each row's last position, so the gradient w.r.t. the
 * logits of those positions is zero and no logits are copied.
 */
public final class CausalLmLoss {
    private final CrossEntropy ce = new CrossEntropy();

    /** labels[b][t + 1] at (b, t), -100 at each row's last position; flattened [B*T]. */
    public static int[] shiftedTargets(int[][] labels) {
        int B = labels.length, T = labels[0].length;
        int[] out = new int[B * T];
        for (int b = 0; b < B; b++) {
            if (labels[b].length != T) throw new IllegalArgumentException("labels rows differ in length: row 0 has " + T + ", row " + b + " has " + labels[b].length);
            for (int t = 0; t < T - 1; t++) out[b * T + t] = labels[b][t + 1];
            out[b * T + T - 1] = CrossEntropy.IGNORE;
        }
        return out;
    }

    /** Flat positions {@code b*T + t} whose shifted target counts (is not -100), ascending. */
    public static int[] scoredRows(int[][] labels) {
        int[] all = shiftedTargets(labels);
        int n = 0;
        for (int v : all) if (v != CrossEntropy.IGNORE) n++;
        int[] rows = new int[n];
        for (int i = 0, k = 0; i < all.length; i++) if (all[i] != CrossEntropy.IGNORE) rows[k++] = i;
        return rows;
    }

    /**
     * The same loss from the logits of some positions only (the others must not count, as
     * {@link #scoredRows} gives them): row i of {@code logits} is flat position {@code rows[i]}.
     * @param logits [rows.length, V] (kept, unchanged, until {@link #backward})
     */
    public double forwardRows(INDArray logits, int[][] labels, int[] rows) {
        int[] all = shiftedTargets(labels), t = new int[rows.length];
        for (int i = 0; i < rows.length; i++) t[i] = all[rows[i]];
        return ce.forward(logits, t);
    }

    /**
     * @param logits [B*T, V] (row b*T+t is position t of row b; kept, unchanged, until {@link #backward})
     * @param labels [B][T], validated (in the vocabulary or -100)
     * @return the mean loss over counted targets (0 when none counts)
     */
    public double forward(INDArray logits, int[][] labels) {
        return ce.forward(logits, shiftedTargets(labels));
    }

    /** Targets counted by the last forward. */
    public long count() { return ce.count(); }

    /** @return dLoss/dLogits [B*T, V], or [rows, V] after {@link #forwardRows} (a buffer of this object) */
    public INDArray backward() { return ce.backward(); }
}
