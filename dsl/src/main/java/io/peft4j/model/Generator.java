package io.peft4j.model;

import io.peft4j.ops.NativeMemory;


import java.util.*;
import java.util.SplittableRandom;

/**
 * Greedy and beam-search decoding for every family, with transformers' conventions: each output row
 * is the session's prefix (the decoder start token, or a causal model's prompt) followed by the new
 * tokens; a greedy row that has emitted EOS is padded with pad; decoding stops when every row has
 * finished or after max_new_tokens. Beam search follows transformers 5.x's {@code _beam_search}
 * (see {@link #beam}; one returned sequence per input). The model side (prompt, KV caches,
 * positions) lives in its {@link DecodingSession}.
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

    /** A candidate continuation: accumulated log-probability, source row, token. */
    private record Cand(double score, int from, int token) {}

    /**
     * Beam search as transformers 5.x's {@code _beam_search} computes it, per input row: the top
     * {@code max(2, 1 + #eos) x k} continuations over the k running beams; a continuation that
     * emits an eos token or reaches max length is finished, and only those ranked among the first k
     * may enter the k finished hypotheses (score = sum of log-probabilities / generated length ^
     * length_penalty, the eos or last token counted); the k best unfinished continuations run on.
     * A row stops improving once its best running score over the current generated length cannot beat
     * its worst finished hypothesis (all k finished; early_stopping true: as soon as all are). The
     * result is each row's best finished hypothesis, all rows cut to the prompt plus the longest
     * returned generation and filled with pad (eos when pad is 0, as transformers' {@code pad or eos}).
     */
    public static int[][] beam(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        if (g.numBeams() == 1) return greedy(m, ids, mask, g);      // transformers' generate runs greedy search for one beam
        int b = ids.length, k = g.numBeams(), n = b * k;
        DecodingSession sess = m.startDecoding(ids, mask, k, g.maxNewTokens());
        int[][] prefix = sess.prefix();
        int p = prefix[0].length;                       // prompt length: not counted in the length penalty
        int maxLen = p + g.maxNewTokens();
        int keep = Math.max(2, 1 + g.eosTokenIds().size()) * k;
        double lp = g.lengthPenalty();
        int[][] run = new int[n][];                     // running sequences [N][curLen]
        double[] runScore = new double[n];
        for (int i = 0; i < n; i++) { run[i] = prefix[i].clone(); runScore[i] = i % k == 0 ? 0.0 : -1e9; }
        int[][][] fin = new int[b][k][];                // finished hypotheses per input
        double[][] finScore = new double[b][k];
        boolean[][] finDone = new boolean[b][k];
        boolean[] improvable = new boolean[b];
        for (int bi = 0; bi < b; bi++) { Arrays.fill(finScore[bi], -1e9); improvable[bi] = true; }
        int curLen = p;
        double[][] logits = sess.first();
        while (true) {
            checkInterrupt();
            boolean allHit = true;
            int[] src = new int[n], tok = new int[n];
            int[][] nextRun = new int[n][];
            double[] nextScore = new double[n];
            for (int bi = 0; bi < b; bi++) {
                Cand[] top = topContinuations(logits, runScore, run, curLen, g, bi, k, keep);
                boolean[] hit = new boolean[top.length];
                for (int c = 0; c < top.length; c++) {
                    hit[c] = g.isEos(top[c].token()) || curLen + 1 >= maxLen;
                    allHit &= hit[c];
                }
                // running beams for the next step: the k best continuations that did not finish
                Integer[] order = new Integer[top.length];
                for (int c = 0; c < order.length; c++) order[c] = c;
                double[] runKey = new double[top.length];
                for (int c = 0; c < top.length; c++) runKey[c] = top[c].score() + (hit[c] ? -1e9 : 0);
                Arrays.sort(order, (x, y) -> Double.compare(runKey[y], runKey[x]));
                for (int j = 0; j < k; j++) {
                    Cand c = top[order[j]];
                    int r = bi * k + j;
                    src[r] = c.from(); tok[r] = c.token();
                    nextRun[r] = append(run[c.from()], c.token());
                    nextScore[r] = runKey[order[j]];
                }
                // finished hypotheses: the k best of the old ones and the continuations that just finished among the first k
                boolean full = true;
                for (boolean f : finDone[bi]) full &= f;
                int total = k + top.length;
                double[] mScore = new double[total];
                int[][] mSeq = new int[total][];
                boolean[] mDone = new boolean[total];
                for (int j = 0; j < k; j++) { mScore[j] = finScore[bi][j]; mSeq[j] = fin[bi][j]; mDone[j] = finDone[bi][j]; }
                for (int c = 0; c < top.length; c++) {
                    boolean just = hit[c] && c < k;
                    double sc = top[c].score() / Math.pow(curLen + 1 - p, lp);
                    if (full && g.earlyStopping()) sc += -1e9;
                    if (!improvable[bi]) sc += -1e9;
                    if (!just) sc += -1e9;
                    mScore[k + c] = sc;
                    mSeq[k + c] = just ? append(run[top[c].from()], top[c].token()) : null;
                    mDone[k + c] = just;
                }
                Integer[] mo = new Integer[total];
                for (int j = 0; j < total; j++) mo[j] = j;
                Arrays.sort(mo, (x, y) -> Double.compare(mScore[y], mScore[x]));
                for (int j = 0; j < k; j++) {
                    finScore[bi][j] = mScore[mo[j]]; fin[bi][j] = mSeq[mo[j]]; finDone[bi][j] = mDone[mo[j]];
                }
            }
            run = nextRun; runScore = nextScore;
            curLen++;
            boolean anyImprovable = false, allFinished = true;
            for (int bi = 0; bi < b; bi++) {
                double best = runScore[bi * k] / Math.pow(curLen - p, lp);
                boolean all = true;
                double worst = Double.POSITIVE_INFINITY;
                for (int j = 0; j < k; j++) { all &= finDone[bi][j]; worst = Math.min(worst, finScore[bi][j]); }
                improvable[bi] &= best > (all ? worst : -1e9);
                anyImprovable |= improvable[bi];
                allFinished &= all;
            }
            if (!anyImprovable || (allFinished && g.earlyStopping()) || allHit || curLen >= maxLen) break;
            sess.reorder(src);
            NativeMemory.collectOccasionally();
            logits = sess.next(tok);
        }
        // transformers 5 fills finished beams with `pad_token_id or eos_token_id[0]`: eos where pad is 0 (T5)
        int fill = g.padTokenId() != 0 || g.eosTokenIds().isEmpty() ? g.padTokenId() : g.eosTokenId();
        int width = p;
        int[][] best = new int[b][];
        for (int bi = 0; bi < b; bi++) {
            best[bi] = fin[bi][0] != null ? fin[bi][0] : run[bi * k];
            width = Math.max(width, best[bi].length);
        }
        int[][] out = new int[b][width];
        for (int bi = 0; bi < b; bi++) {
            Arrays.fill(out[bi], fill);
            System.arraycopy(best[bi], 0, out[bi], 0, best[bi].length);
        }
        return out;
    }

    private static int[] append(int[] seq, int token) {
        int[] s = Arrays.copyOf(seq, seq.length + 1);
        s[seq.length] = token;
        return s;
    }

    /** The {@code want} best (beam, token) continuations of input {@code bi}, best first (log-softmax plus beam score). */
    private static Cand[] topContinuations(double[][] logits, double[] beamScore, int[][] run, int curLen, GenerationConfig g,
                                           int bi, int k, int want) {
        int v = logits[0].length;
        double[] topS = new double[want];
        int[] topI = new int[want];
        Arrays.fill(topS, Double.NEGATIVE_INFINITY);
        Arrays.fill(topI, -1);
        for (int j = 0; j < k; j++) {
            double[] row = logits[bi * k + j].clone();
            logSoftmaxInPlace(row);
            LogitsProcessors.repetitionPenalty(row, run[bi * k + j], curLen, g.repetitionPenalty());
            LogitsProcessors.noRepeatNgram(row, run[bi * k + j], curLen, g.noRepeatNgramSize());
            for (int t = 0; t < v; t++) {
                double sc = row[t] + beamScore[bi * k + j];
                if (sc > topS[want - 1]) {
                    int q = want - 1;
                    while (q > 0 && sc > topS[q - 1]) { topS[q] = topS[q - 1]; topI[q] = topI[q - 1]; q--; }
                    topS[q] = sc; topI[q] = j * v + t;
                }
            }
        }
        Cand[] out = new Cand[want];
        for (int r = 0; r < want; r++) out[r] = new Cand(topS[r], bi * k + topI[r] / v, topI[r] % v);
        return out;
    }
}
