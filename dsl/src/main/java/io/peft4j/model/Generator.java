package io.peft4j.model;

import io.peft4j.model.t5.Attention;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.model.t5.T5Stack;
import io.peft4j.ops.Buf;
import io.peft4j.ops.NativeMemory;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.*;

/**
 * Greedy and beam-search decoding for every family, with transformers' conventions: each output row
 * is the session's prefix (the decoder start token, or a causal model's prompt) followed by the new
 * tokens; a greedy row that has emitted EOS is padded with pad; decoding stops when every row has
 * finished or after max_new_tokens. Beam search follows transformers' beam scorer (length_penalty
 * over the generated length, early_stopping as configured; one returned sequence per input). The
 * model side (prompt, KV caches, positions) lives in its {@link DecodingSession}.
 */
public final class Generator {
    private Generator() {}

    /** Decodes with {@code g}; returns one sequence per input row (rows padded to equal length with pad). */
    public static int[][] generate(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        return g.numBeams() == 1 ? greedy(m, ids, mask, g) : beam(m, ids, mask, g);
    }

    public static int[][] greedy(LanguageModel m, int[][] ids, int[][] mask, int maxNewTokens) {
        return greedy(m, ids, mask, m.defaultGeneration().withMaxNewTokens(maxNewTokens));
    }

    public static int[][] greedy(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        int b = ids.length;
        DecodingSession s = m.startDecoding(ids, mask, 1, g.maxNewTokens());
        int[][] prefix = s.prefix();
        List<int[]> steps = new ArrayList<>();
        boolean[] done = new boolean[b];
        double[][] logits = s.first();
        for (int step = 0; step < g.maxNewTokens(); step++) {
            if (step > 0) {
                NativeMemory.collectOccasionally();
                logits = s.next(steps.get(step - 1));
            }
            int[] next = new int[b];
            boolean all = true;
            for (int i = 0; i < b; i++) {
                if (done[i]) { next[i] = g.padTokenId(); continue; }
                next[i] = argmax(logits[i]);
                if (g.isEos(next[i])) done[i] = true;
                all &= done[i];
            }
            steps.add(next);
            if (all) break;
        }
        int p = prefix[0].length;
        int[][] out = new int[b][p + steps.size()];
        for (int i = 0; i < b; i++) System.arraycopy(prefix[i], 0, out[i], 0, p);
        for (int t = 0; t < steps.size(); t++) for (int i = 0; i < b; i++) out[i][p + t] = steps.get(t)[i];
        return out;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int k = 1; k < v.length; k++) if (v[k] > v[best]) best = k;
        return best;
    }

    private static void logSoftmaxInPlace(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) max = Math.max(max, x);
        double sum = 0;
        for (double x : v) sum += Math.exp(x - max);
        double lse = max + Math.log(sum);
        for (int i = 0; i < v.length; i++) v[i] -= lse;
    }

    /** Finished hypotheses of one input row (transformers' BeamHypotheses). */
    private static final class Hyps {
        final int k; final double lp; final boolean early;
        final int offset;   // prefix tokens not counted in the length penalty (prefix length - 1)
        final List<double[]> scores = new ArrayList<>();  // {score}
        final List<int[]> seqs = new ArrayList<>();
        double worst = 1e9;

        Hyps(int k, double lp, boolean early, int offset) { this.k = k; this.lp = lp; this.early = early; this.offset = offset; }

        void add(int[] seq, double sumLogprobs) {
            double score = sumLogprobs / Math.pow(seq.length - offset, lp);
            if (seqs.size() < k || score > worst) {
                seqs.add(seq); scores.add(new double[]{score});
                if (seqs.size() > k) {
                    int wi = 0;
                    for (int i = 1; i < scores.size(); i++) if (scores.get(i)[0] < scores.get(wi)[0]) wi = i;
                    seqs.remove(wi); scores.remove(wi);
                    worst = Double.POSITIVE_INFINITY;
                    for (double[] s : scores) worst = Math.min(worst, s[0]);
                } else worst = Math.min(score, worst);
            }
        }

        boolean isDone(double bestSumLogprobs, int curLen) {
            if (seqs.size() < k) return false;
            if (early) return true;
            return worst >= bestSumLogprobs / Math.pow(curLen - offset, lp);
        }

        int[] best() {
            int bi = 0;
            for (int i = 1; i < scores.size(); i++) if (scores.get(i)[0] > scores.get(bi)[0]) bi = i;
            return seqs.get(bi);
        }
    }

    public static int[][] beam(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        int b = ids.length, k = g.numBeams(), n = b * k;
        DecodingSession sess = m.startDecoding(ids, mask, k, g.maxNewTokens());
        int[][] seqs = sess.prefix();
        int p = seqs[0].length;                       // prefix length; lengths below count generated tokens
        int maxLen = p + g.maxNewTokens();
        double[] beamScores = new double[n];
        for (int i = 0; i < n; i++) beamScores[i] = i % k == 0 ? 0.0 : -1e9;
        Hyps[] hyps = new Hyps[b];
        for (int i = 0; i < b; i++) hyps[i] = new Hyps(k, g.lengthPenalty(), g.earlyStopping(), p - 1);
        boolean[] done = new boolean[b];
        int[] tok = null;
        int curLen = p;
        while (curLen < maxLen) {
            NativeMemory.collectOccasionally();
            double[][] logits = tok == null ? sess.first() : sess.next(tok);
            int v = logits[0].length;
            double[] newScores = new double[n];
            int[] newTok = new int[n], src = new int[n];
            for (int bi = 0; bi < b; bi++) {
                if (done[bi]) {
                    for (int j = 0; j < k; j++) { newScores[bi * k + j] = 0; newTok[bi * k + j] = g.padTokenId(); src[bi * k + j] = bi * k; }
                    continue;
                }
                // top 2k over k*v candidates
                int want = 2 * k;
                double[] topS = new double[want]; int[] topI = new int[want];
                Arrays.fill(topS, Double.NEGATIVE_INFINITY); Arrays.fill(topI, -1);
                for (int j = 0; j < k; j++) {
                    double[] row = logits[bi * k + j];
                    logSoftmaxInPlace(row);
                    for (int t = 0; t < v; t++) {
                        double sc = row[t] + beamScores[bi * k + j];
                        if (sc > topS[want - 1]) {
                            int q = want - 1;
                            while (q > 0 && sc > topS[q - 1]) { topS[q] = topS[q - 1]; topI[q] = topI[q - 1]; q--; }
                            topS[q] = sc; topI[q] = j * v + t;
                        }
                    }
                }
                int filled = 0;
                for (int r = 0; r < want && filled < k; r++) {
                    int beamIdx = topI[r] / v, token = topI[r] % v, from = bi * k + beamIdx;
                    if (g.isEos(token)) {
                        if (r >= k) continue;
                        hyps[bi].add(seqs[from].clone(), topS[r]);
                    } else {
                        newScores[bi * k + filled] = topS[r]; newTok[bi * k + filled] = token; src[bi * k + filled] = from;
                        filled++;
                    }
                }
                done[bi] = hyps[bi].isDone(topS[0], curLen);
            }
            int[][] ns = new int[n][];
            for (int i = 0; i < n; i++) {
                ns[i] = Arrays.copyOf(seqs[src[i]], curLen + 1);
                ns[i][curLen] = newTok[i];
            }
            seqs = ns; beamScores = newScores; tok = newTok;
            sess.reorder(src);
            curLen++;
            boolean all = true;
            for (boolean x : done) all &= x;
            if (all) break;
        }
        int[][] best = new int[b][];
        for (int bi = 0; bi < b; bi++) {
            if (!done[bi]) for (int j = 0; j < k; j++) hyps[bi].add(seqs[bi * k + j], beamScores[bi * k + j]);
            best[bi] = hyps[bi].best();
        }
        int maxL = 0;
        for (int[] r : best) maxL = Math.max(maxL, r.length);
        int width = Math.min(maxL + 1, maxLen);
        int[][] out = new int[b][width];
        for (int bi = 0; bi < b; bi++) {
            Arrays.fill(out[bi], g.padTokenId());
            System.arraycopy(best[bi], 0, out[bi], 0, best[bi].length);
            if (best[bi].length < width) out[bi][best[bi].length] = g.eosTokenId();
        }
        return out;
    }
}
