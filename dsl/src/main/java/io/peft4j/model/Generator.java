package io.peft4j.model;

import io.peft4j.ops.NativeMemory;


import java.util.*;
import java.util.SplittableRandom;

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

    /** Called with each new token of each row as it is chosen (streaming). */
    @FunctionalInterface
    public interface TokenListener { void onToken(int row, int token); }

    /** Ends a row early, e.g. on a stop string: called after each new token with the row's new tokens so far. */
    @FunctionalInterface
    public interface StopCondition { boolean stop(int row, int[] generated, int length); }

    /** Decodes with {@code g}; returns one sequence per input row (rows padded to equal length with pad). */
    public static int[][] generate(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        return generate(m, ids, mask, g, null, null);
    }

    /**
     * As {@link #generate(LanguageModel, int[][], int[][], GenerationConfig)}, streaming tokens to
     * {@code listener} and ending rows where {@code stop} says so (both may be null; beam search
     * streams nothing: its tokens are known only at the end). An interrupt of the calling thread
     * stops decoding between two steps with an {@link io.peft4j.progress.OperationInterruptedException}.
     */
    public static int[][] generate(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g,
                                   TokenListener listener, StopCondition stop) {
        return g.numBeams() == 1 ? search(m, ids, mask, g, listener, stop) : beam(m, ids, mask, g);
    }

    public static int[][] greedy(LanguageModel m, int[][] ids, int[][] mask, int maxNewTokens) {
        return greedy(m, ids, mask, m.defaultGeneration().withMaxNewTokens(maxNewTokens));
    }

    public static int[][] greedy(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        return search(m, ids, mask, g.withSampling(null), null, null);
    }

    static void checkInterrupt() {
        if (Thread.currentThread().isInterrupted()) throw new io.peft4j.progress.OperationInterruptedException("generate", 0, 0);
    }

    /** Greedy search or sampling (one row per input); processors see each row's whole sequence (prefix + new tokens). */
    private static int[][] search(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g, TokenListener listener, StopCondition stop) {
        int b = ids.length;
        DecodingSession s = m.startDecoding(ids, mask, 1, g.maxNewTokens());
        int[][] prefix = s.prefix();
        int p = prefix[0].length;
        int[][] seq = new int[b][p + g.maxNewTokens()];
        for (int i = 0; i < b; i++) System.arraycopy(prefix[i], 0, seq[i], 0, p);
        SplittableRandom rnd = g.sampling() == null ? null : new SplittableRandom(g.sampling().seed());
        boolean[] done = new boolean[b];
        int steps = 0;
        double[][] logits = s.first();
        for (int step = 0; step < g.maxNewTokens(); step++) {
            checkInterrupt();
            if (step > 0) {
                NativeMemory.collectOccasionally();
                int[] last = new int[b];
                for (int i = 0; i < b; i++) last[i] = seq[i][p + step - 1];
                logits = s.next(last);
            }
            boolean all = true;
            for (int i = 0; i < b; i++) {
                int next;
                if (done[i]) next = g.padTokenId();
                else {
                    double[] row = logits[i];
                    LogitsProcessors.repetitionPenalty(row, seq[i], p + step, g.repetitionPenalty());
                    LogitsProcessors.noRepeatNgram(row, seq[i], p + step, g.noRepeatNgramSize());
                    if (rnd == null) next = argmax(row);
                    else {
                        LogitsProcessors.warp(row, g.sampling());
                        next = LogitsProcessors.sample(row, rnd);
                    }
                    if (listener != null) listener.onToken(i, next);
                    if (g.isEos(next)) done[i] = true;
                }
                seq[i][p + step] = next;
                if (!done[i] && stop != null && stop.stop(i, Arrays.copyOfRange(seq[i], p, p + step + 1), step + 1)) done[i] = true;
                all &= done[i];
            }
            steps = step + 1;
            if (all) break;
        }
        int[][] out = new int[b][];
        for (int i = 0; i < b; i++) out[i] = Arrays.copyOf(seq[i], p + steps);
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
            checkInterrupt();
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
                    LogitsProcessors.repetitionPenalty(row, seqs[bi * k + j], curLen, g.repetitionPenalty());
                    LogitsProcessors.noRepeatNgram(row, seqs[bi * k + j], curLen, g.noRepeatNgramSize());
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
        // transformers 5 fills finished beams with `pad_token_id or eos_token_id[0]`: eos where pad is 0 (T5)
        int fill = g.padTokenId() != 0 || g.eosTokenIds().isEmpty() ? g.padTokenId() : g.eosTokenId();
        for (int bi = 0; bi < b; bi++) {
            Arrays.fill(out[bi], fill);
            System.arraycopy(best[bi], 0, out[bi], 0, best[bi].length);
            if (best[bi].length < width) out[bi][best[bi].length] = g.eosTokenId();
        }
        return out;
    }
}
