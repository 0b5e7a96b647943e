package io.peft4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * transformers' logits processors and warpers on one row of scores, in its order: repetition
 * penalty and no-repeat-n-gram (processors), then temperature, top-k and top-p (sampling warpers).
 * Rows are {@code double[V]}; a banned token gets negative infinity.
 */
public final class LogitsProcessors {
    private LogitsProcessors() {}

    /**
     * RepetitionPenaltyLogitsProcessor: every token present in {@code seq} has its score divided by
     * {@code penalty} when positive, multiplied when negative.
     */
    public static void repetitionPenalty(double[] scores, int[] seq, int len, double penalty) {
        if (penalty == 1.0) return;
        boolean[] seen = new boolean[scores.length];
        for (int i = 0; i < len; i++) {
            int t = seq[i];
            if (t < 0 || t >= scores.length || seen[t]) continue;
            seen[t] = true;
            scores[t] = scores[t] < 0 ? scores[t] * penalty : scores[t] / penalty;
        }
    }

    /**
     * NoRepeatNGramLogitsProcessor: bans every token that would complete an n-gram already present in
     * {@code seq[0, len)} (nothing before the sequence holds n - 1 tokens).
     */
    public static void noRepeatNgram(double[] scores, int[] seq, int len, int n) {
        if (n <= 0 || len + 1 < n) return;
        int start = len - (n - 1);                       // the last n-1 tokens
        for (int i = 0; i + n <= len; i++) {
            boolean same = true;
            for (int j = 0; j < n - 1 && same; j++) same = seq[i + j] == seq[start + j];
            if (same) {
                int banned = seq[i + n - 1];
                if (banned >= 0 && banned < scores.length) scores[banned] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    /** Temperature, top-k (ties at the k-th score kept), then top-p over the softmax of what is left. */
    public static void warp(double[] scores, Sampling s) {
        if (s.temperature() != 1.0) for (int i = 0; i < scores.length; i++) scores[i] /= s.temperature();
        if (s.topK() > 0 && s.topK() < scores.length) {
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            double kth = sorted[sorted.length - s.topK()];
            for (int i = 0; i < scores.length; i++) if (scores[i] < kth) scores[i] = Double.NEGATIVE_INFINITY;
        }
        if (s.topP() < 1.0) {
            Integer[] idx = new Integer[scores.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            Arrays.sort(idx, (a, b) -> Double.compare(scores[a], scores[b]));      // ascending, as transformers
            double[] p = softmax(scores);
            double cum = 0;
            for (int r = 0; r < idx.length - 1; r++) {                            // the most likely token always stays
                cum += p[idx[r]];
                if (cum <= 1 - s.topP()) scores[idx[r]] = Double.NEGATIVE_INFINITY;
                else break;
            }
        }
    }

    /** Softmax of a row (negative infinity gives 0). */
    public static double[] softmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : scores) max = Math.max(max, v);
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) { p[i] = scores[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max); sum += p[i]; }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /** One draw from the softmax of {@code scores}. */
    public static int sample(double[] scores, SplittableRandom rnd) {
        double[] p = softmax(scores);
        double u = rnd.nextDouble(), cum = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            cum += p[i];
            last = i;
            if (u < cum) return i;
        }
        return last;
    }
}
