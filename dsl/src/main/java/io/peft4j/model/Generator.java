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

    /** The log-softmax of a row, rounded to float32 as PyTorch's {@code log_softmax} of float32 logits gives it. */
    private static double[] logSoftmax(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) max = Math.max(max, (float) x);
        double sum = 0;
        for (double x : v) sum += Math.exp((float) x - max);
        double lse = max + Math.log(sum);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) ((float) v[i] - lse);
        return out;
    }

    /** Indexes of the {@code n} largest values, largest first; equal values keep index order. */
    private static int[] topIndexes(float[] v, int n) {
        int[] top = new int[n];
        float[] val = new float[n];
        int have = 0;
        for (int i = 0; i < v.length; i++) {
            float x = v[i];
            if (have == n && !(x > val[n - 1])) continue;
            int q = have < n ? have++ : n - 1;
            while (q > 0 && x > val[q - 1]) { val[q] = val[q - 1]; top[q] = top[q - 1]; q--; }
            val[q] = x; top[q] = i;
        }
        return have == n ? top : Arrays.copyOf(top, have);
    }

    private static final float NEG = -1.0e9f;

    /**
     * Beam search as transformers 5.x' {@code _beam_search} computes it (scores in float32), one
     * returned sequence per input row. Each step takes the top {@code 2 k} continuations of the
     * {@code k} running beams ({@code (1 + number of eos ids) k} with several eos ids); those ending in EOS (or reaching max_new_tokens) among the top
     * {@code k} become finished hypotheses scored {@code sum_logprobs / generated_length^length_penalty}
     * (EOS counted) and compete for {@code k} finished slots; the best {@code k} others keep running.
     * A row stops taking finished hypotheses once its best running beam, length-normalised at the
     * current length, cannot beat its worst finished one (transformers' default heuristic); decoding
     * stops when no row can improve, or at max_new_tokens. The output is each row's best finished
     * sequence (prefix, generated tokens, EOS), cut to the longest one and filled after EOS with
     * {@code pad_token_id or eos_token_id} as transformers writes it (a pad id of 0 fills with EOS).
     */
    public static int[][] beam(LanguageModel m, int[][] ids, int[][] mask, GenerationConfig g) {
        int eos = g.eosTokenId(), eosCount = eos < 0 ? 0 : g.eosTokenIds().size();
        // transformers keeps max(2, 1 + number of eos tokens) * k candidates, so k can always keep running
        int b = ids.length, k = g.numBeams(), n = b * k, maxNew = g.maxNewTokens(), keep = Math.max(2, 1 + eosCount) * k;
        double lp = g.lengthPenalty();
        DecodingSession sess = m.startDecoding(ids, mask, k, maxNew);
        int[][] prefix = sess.prefix();
        int p = prefix[0].length;
        int[][] run = new int[n][0];                          // generated tokens of each running beam
        float[] runScore = new float[n];
        for (int i = 0; i < n; i++) runScore[i] = i % k == 0 ? 0f : NEG;
        int[][][] fin = new int[b][k][];                      // finished slots per input row
        float[][] finScore = new float[b][k];
        boolean[][] finDone = new boolean[b][k];
        for (float[] r : finScore) Arrays.fill(r, NEG);
        boolean[] unsatisfied = new boolean[b];               // the row can still improve its finished set
        Arrays.fill(unsatisfied, true);
        int[] tokens = null;
        for (int step = 0; step < maxNew; step++) {
            checkInterrupt();
            NativeMemory.collectOccasionally();
            double[][] logits = tokens == null ? sess.first() : sess.next(tokens);
            int vocab = logits[0].length, genLen = step + 1;
            boolean atMax = step + 1 >= maxNew;
            float denom = (float) Math.pow(genLen, lp);
            int[][] nextRun = new int[n][];
            float[] nextScore = new float[n];
            int[] src = new int[n], nextTok = new int[n];
            boolean allHit = true;
            for (int bi = 0; bi < b; bi++) {
                float[] acc = new float[k * vocab];
                for (int j = 0; j < k; j++) {
                    int row = bi * k + j;
                    double[] lsm = logSoftmax(logits[row]);
                    if (g.repetitionPenalty() != 1.0 || g.noRepeatNgramSize() > 0) {   // on the log-probabilities, as transformers
                        int[] seq = appended(prefix[row], run[row]);
                        LogitsProcessors.repetitionPenalty(lsm, seq, seq.length, g.repetitionPenalty());
                        LogitsProcessors.noRepeatNgram(lsm, seq, seq.length, g.noRepeatNgramSize());
                    }
                    float s = runScore[row];
                    for (int t = 0; t < vocab; t++) acc[j * vocab + t] = (float) lsm[t] + s;
                }
                int[] cand = topIndexes(acc, keep);
                int c = cand.length;
                float[] cScore = new float[c];
                boolean[] hit = new boolean[c];
                for (int r = 0; r < c; r++) {
                    cScore[r] = acc[cand[r]];
                    hit[r] = (eos >= 0 && g.isEos(cand[r] % vocab)) || atMax;
                    allHit &= hit[r];
                }
                // running beams of the next step: the best k candidates that did not stop
                float[] runnable = new float[c];
                for (int r = 0; r < c; r++) runnable[r] = hit[r] ? cScore[r] + NEG : cScore[r];
                int[] next = topIndexes(runnable, k);
                for (int j = 0; j < k; j++) {
                    int r = next[j], from = bi * k + cand[r] / vocab, row = bi * k + j;
                    src[row] = from;
                    nextTok[row] = cand[r] % vocab;
                    nextScore[row] = runnable[r];
                    nextRun[row] = Arrays.copyOf(run[from], run[from].length + 1);
                    nextRun[row][run[from].length] = nextTok[row];
                }
                // finished slots: merge the old ones with the top-k candidates that just stopped
                boolean full = g.earlyStopping();
                for (boolean x : finDone[bi]) full &= x;
                float[] merged = new float[k + c];
                int[][] mergedSeq = new int[k + c][];
                boolean[] mergedDone = new boolean[k + c];
                for (int j = 0; j < k; j++) { merged[j] = finScore[bi][j]; mergedSeq[j] = fin[bi][j]; mergedDone[j] = finDone[bi][j]; }
                for (int r = 0; r < c; r++) {
                    boolean just = hit[r] && r < k;
                    float sc = cScore[r] / denom;
                    if (full) sc += NEG;
                    if (!unsatisfied[bi]) sc += NEG;
                    if (!just) sc += NEG;
                    int from = bi * k + cand[r] / vocab;
                    merged[k + r] = sc;
                    mergedSeq[k + r] = just ? appended(run[from], cand[r] % vocab) : null;
                    mergedDone[k + r] = just;
                }
                int[] best = topIndexes(merged, k);
                int[][] nf = new int[k][];
                float[] ns = new float[k];
                boolean[] nd = new boolean[k];
                for (int j = 0; j < k; j++) { nf[j] = mergedSeq[best[j]]; ns[j] = merged[best[j]]; nd[j] = mergedDone[best[j]]; }
                fin[bi] = nf; finScore[bi] = ns; finDone[bi] = nd;
            }
            sess.reorder(src);
            run = nextRun; runScore = nextScore; tokens = nextTok;
            // can a running beam still beat the worst finished one? (transformers' default heuristic)
            boolean anyUnsatisfied = false, allFinished = true;
            for (int bi = 0; bi < b; bi++) {
                float bestRunning = runScore[bi * k] / denom;
                float worst = Float.POSITIVE_INFINITY;
                for (float x : finScore[bi]) worst = Math.min(worst, x);
                boolean improvable = false;
                for (int j = 0; j < k; j++) if (bestRunning > (finDone[bi][j] ? worst : NEG)) improvable = true;
                unsatisfied[bi] &= improvable;
                anyUnsatisfied |= unsatisfied[bi];
                for (boolean x : finDone[bi]) allFinished &= x;
            }
            boolean openBeam = !(allFinished && g.earlyStopping());
            if (!(anyUnsatisfied && openBeam && !allHit)) break;
        }
        int longest = 0;
        for (int bi = 0; bi < b; bi++) longest = Math.max(longest, fin[bi][0] == null ? 0 : fin[bi][0].length);
        int fill = eos < 0 ? -1 : g.padTokenId() != 0 ? g.padTokenId() : eos;   // transformers: pad_token_id or eos_token_id
        int[][] out = new int[b][p + longest];
        for (int bi = 0; bi < b; bi++) {
            Arrays.fill(out[bi], fill);
            System.arraycopy(prefix[bi * k], 0, out[bi], 0, p);
            if (fin[bi][0] != null) System.arraycopy(fin[bi][0], 0, out[bi], p, fin[bi][0].length);
        }
        return out;
    }

    private static int[] appended(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static int[] appended(int[] a, int t) {
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = t;
        return r;
    }
}
