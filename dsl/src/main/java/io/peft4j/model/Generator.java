package io.peft4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.*;

/**
 * Greedy and beam-search decoding with transformers' conventions: every sequence starts with the
 * decoder start token; a greedy row that has emitted EOS is padded with pad; decoding stops when
 * every row has finished or after max_new_tokens. The encoder runs once; the decoder keeps a KV
 * cache (self-attention keys/values grow by one position per step, cross-attention keys/values are
 * computed once). Beam search follows transformers' BeamSearchScorer (length_penalty, early_stopping
 * as configured; one returned sequence per input).
 */
public final class Generator {
    private Generator() {}

    /** Decodes with {@code g}; returns one sequence per input row (rows padded to equal length with pad). */
    public static int[][] generate(T5Model m, int[][] ids, int[][] mask, GenerationConfig g) {
        return g.numBeams() == 1 ? greedy(m, ids, mask, g) : beam(m, ids, mask, g);
    }

    public static int[][] greedy(T5Model m, int[][] ids, int[][] mask, int maxNewTokens) {
        return greedy(m, ids, mask, GenerationConfig.defaults(m.config()).withMaxNewTokens(maxNewTokens));
    }

    /** Holds the KV caches of one decoding run. */
    private static final class Session {
        final T5Model m;
        final Attention.KvCache[] self, cross;
        final INDArray crossBias;
        int pos;

        Session(T5Model m, INDArray enc, int[][] encMask, int n, int s, int capacity) {
            this.m = m;
            T5Stack dec = m.decoder;
            T5Config c = m.config();
            self = new Attention.KvCache[dec.blocks.length];
            cross = new Attention.KvCache[dec.blocks.length];
            for (int i = 0; i < dec.blocks.length; i++) {
                self[i] = new Attention.KvCache(m.dataType(), n, c.numHeads(), capacity, c.dKv());
                cross[i] = dec.blocks[i].cross.crossCache(enc, n, s);
            }
            crossBias = T5Stack.buildBias(new Buf(), m.dataType(), n, c.numHeads(), 1, s, null, encMask, false).dup();
        }

        /** @return logits [N][V] for the next position after feeding {@code tokens}. */
        double[][] next(int[] tokens) {
            INDArray h = m.decoder.step(tokens, pos++, self, cross, crossBias);
            if (m.headScale() != 1.0) h = h.mul(m.headScale());
            return m.lmHead.get().forward(h, ForwardContext.inference()).toDoubleMatrix();
        }

        void reorder(int[] rows) {
            for (Attention.KvCache c : self) c.reorder(rows);
        }
    }

    public static int[][] greedy(T5Model m, int[][] ids, int[][] mask, GenerationConfig g) {
        int b = ids.length;
        INDArray enc = m.encodeInternal(ids, mask);
        Session s = new Session(m, enc, m.encoderKeyMask(), b, m.encoderLength(), g.maxNewTokens() + 1);
        List<int[]> steps = new ArrayList<>();
        int[] tok = new int[b];
        Arrays.fill(tok, g.decoderStartTokenId());
        steps.add(tok.clone());
        boolean[] done = new boolean[b];
        for (int step = 0; step < g.maxNewTokens(); step++) {
            NativeMemory.collectOccasionally();
            double[][] logits = s.next(tok);
            int[] next = new int[b];
            boolean all = true;
            for (int i = 0; i < b; i++) {
                if (done[i]) { next[i] = g.padTokenId(); continue; }
                next[i] = argmax(logits[i]);
                if (next[i] == g.eosTokenId()) done[i] = true;
                all &= done[i];
            }
            steps.add(next);
            tok = next;
            if (all) break;
        }
        int[][] out = new int[b][steps.size()];
        for (int t = 0; t < steps.size(); t++) for (int i = 0; i < b; i++) out[i][t] = steps.get(t)[i];
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
        final List<double[]> scores = new ArrayList<>();  // {score}
        final List<int[]> seqs = new ArrayList<>();
        double worst = 1e9;

        Hyps(int k, double lp, boolean early) { this.k = k; this.lp = lp; this.early = early; }

        void add(int[] seq, double sumLogprobs) {
            double score = sumLogprobs / Math.pow(seq.length, lp);
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
            return worst >= bestSumLogprobs / Math.pow(curLen, lp);
        }

        int[] best() {
            int bi = 0;
            for (int i = 1; i < scores.size(); i++) if (scores.get(i)[0] > scores.get(bi)[0]) bi = i;
            return seqs.get(bi);
        }
    }

    public static int[][] beam(T5Model m, int[][] ids, int[][] mask, GenerationConfig g) {
        int b = ids.length, k = g.numBeams(), n = b * k;
        INDArray enc1 = m.encodeInternal(ids, mask);
        int s = m.encoderLength();
        int[][] km1 = m.encoderKeyMask();
        int[] rep = new int[n];
        int[][] km = new int[n][];
        for (int i = 0; i < n; i++) { rep[i] = i / k; km[i] = km1[i / k]; }
        long d = enc1.size(1);
        INDArray enc = Nd4j.pullRows(enc1.reshape(b, (long) s * d), 1, rep).reshape((long) n * s, d);
        int maxLen = g.maxNewTokens() + 1;
        Session sess = new Session(m, enc, km, n, s, maxLen);
        double[] beamScores = new double[n];
        for (int i = 0; i < n; i++) beamScores[i] = i % k == 0 ? 0.0 : -1e9;
        int[][] seqs = new int[n][1];
        for (int[] r : seqs) r[0] = g.decoderStartTokenId();
        Hyps[] hyps = new Hyps[b];
        for (int i = 0; i < b; i++) hyps[i] = new Hyps(k, g.lengthPenalty(), g.earlyStopping());
        boolean[] done = new boolean[b];
        int[] tok = new int[n];
        Arrays.fill(tok, g.decoderStartTokenId());
        int curLen = 1;
        while (curLen < maxLen) {
            NativeMemory.collectOccasionally();
            double[][] logits = sess.next(tok);
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
                            int p = want - 1;
                            while (p > 0 && sc > topS[p - 1]) { topS[p] = topS[p - 1]; topI[p] = topI[p - 1]; p--; }
                            topS[p] = sc; topI[p] = j * v + t;
                        }
                    }
                }
                int filled = 0;
                for (int r = 0; r < want && filled < k; r++) {
                    int beamIdx = topI[r] / v, token = topI[r] % v, from = bi * k + beamIdx;
                    if (token == g.eosTokenId()) {
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
