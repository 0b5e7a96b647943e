package io.peft4j.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ROUGE exactly as Google's rouge_score 0.1.2 {@code RougeScorer} computes it (the scorer behind
 * Hugging Face {@code evaluate.load("rouge")}), with the same double arithmetic in the same order.
 *
 * <ul>
 *   <li>ROUGE-N: clipped n-gram counts; {@code precision = overlap / max(#prediction n-grams, 1)},
 *       {@code recall = overlap / max(#reference n-grams, 1)}.</li>
 *   <li>ROUGE-L: LCS length of the two token sequences over the prediction / reference lengths; 0 when
 *       either side has no tokens.</li>
 *   <li>ROUGE-Lsum: both texts split on {@code '\n'} (empty lines dropped); for every reference
 *       sentence the union of its LCS index sets against each prediction sentence, read out with
 *       rouge_score's {@code _backtrack_norec} (so the same LCS is chosen among equal-length ones);
 *       each union token counts as a hit only while both sides still have unused occurrences of it.</li>
 *   <li>F1 as {@link Score#fmeasure}.</li>
 * </ul>
 * Argument order is always (reference, prediction), as {@code score(target, prediction)}.
 * Instances are immutable and thread-safe.
 */
public final class RougeScorer {

    private final List<RougeType> types;
    private final RougeTokenizer tokenizer;

    /** @param types the types to compute, in output order; @param useStemmer Porter-stem tokens longer than 3 characters */
    public RougeScorer(List<RougeType> types, boolean useStemmer) {
        if (types == null || types.isEmpty())
            throw new IllegalArgumentException("at least one rouge type is needed, e.g. " + RougeType.STANDARD);
        this.types = List.copyOf(types);
        this.tokenizer = new RougeTokenizer(useStemmer);
    }

    /** rouge1, rouge2, rougeL, rougeLsum. */
    public RougeScorer(boolean useStemmer) { this(RougeType.STANDARD, useStemmer); }

    public List<RougeType> types() { return types; }

    public boolean usesStemmer() { return tokenizer.usesStemmer(); }

    public RougeTokenizer tokenizer() { return tokenizer; }

    /** Scores one prediction against one reference; the map follows {@link #types()} order. */
    public Map<RougeType, Score> score(String reference, String prediction) {
        requireText("reference", reference);
        requireText("prediction", prediction);
        Map<String, Integer> vocab = new HashMap<>();
        List<int[]> refSents = sentences(reference, vocab);
        List<int[]> predSents = sentences(prediction, vocab);
        int[] ref = concat(refSents);
        int[] pred = concat(predSents);
        Map<RougeType, Score> out = new LinkedHashMap<>();
        for (RougeType t : types) {
            Score s;
            if (t.isNgram()) s = ngramScore(ref, pred, t.n(), vocab.size());
            else if (t.equals(RougeType.ROUGE_L)) s = lcsScore(ref, pred);
            else s = summaryLevelLcs(refSents, predSents, vocab.size());
            out.put(t, s);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Scores one prediction against several references and keeps, per type, the score of the
     * reference with the highest F1 (the first one on ties), as rouge_score's {@code score_multi}
     * ({@code np.argmax}) does. Different types may come from different references.
     */
    public Map<RougeType, Score> scoreMulti(List<String> references, String prediction) {
        if (references == null || references.isEmpty())
            throw new IllegalArgumentException("scoreMulti needs at least one reference, got " + references);
        List<Map<RougeType, Score>> all = new ArrayList<>(references.size());
        for (String r : references) all.add(score(r, prediction));
        Map<RougeType, Score> best = new LinkedHashMap<>();
        for (RougeType t : types) {
            Score b = all.get(0).get(t);
            for (int i = 1; i < all.size(); i++) {
                Score s = all.get(i).get(t);
                if (s.fmeasure() > b.fmeasure()) b = s;
            }
            best.put(t, b);
        }
        return Collections.unmodifiableMap(best);
    }

    private static void requireText(String what, String s) {
        if (s == null) throw new IllegalArgumentException(what + " text is null; pass a string (empty is allowed)");
    }

    // ---- tokens as ids ----------------------------------------------------------------------

    /** Tokens of each '\n'-separated line (Python's {@code text.split("\n")}, empty lines dropped), as ids shared by both sides. */
    private List<int[]> sentences(String text, Map<String, Integer> vocab) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        while (start <= text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl;
            if (end > start) {
                List<String> toks = tokenizer.tokenize(text.substring(start, end));
                int[] ids = new int[toks.size()];
                for (int i = 0; i < ids.length; i++) {
                    Integer id = vocab.get(toks.get(i));
                    if (id == null) { id = vocab.size(); vocab.put(toks.get(i), id); }
                    ids[i] = id;
                }
                out.add(ids);
            }
            if (nl < 0) break;
            start = nl + 1;
        }
        return out;
    }

    private static int[] concat(List<int[]> parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int k = 0;
        for (int[] p : parts) { System.arraycopy(p, 0, out, k, p.length); k += p.length; }
        return out;
    }

    // ---- ROUGE-N ----------------------------------------------------------------------------

    static Score ngramScore(int[] ref, int[] pred, int n, int vocabSize) {
        int refCount = Math.max(0, ref.length - n + 1);
        int predCount = Math.max(0, pred.length - n + 1);
        int bits = Math.max(1, 32 - Integer.numberOfLeadingZeros(vocabSize));
        long overlap = (long) bits * n <= 63
            ? packedOverlap(ref, refCount, pred, predCount, n, bits)
            : mapOverlap(ref, refCount, pred, predCount, n);
        double precision = overlap / (double) Math.max(predCount, 1);
        double recall = overlap / (double) Math.max(refCount, 1);
        return Score.of(precision, recall);
    }

    /** Clipped overlap sum over n-grams of min(reference count, prediction count): n-grams packed into longs, sorted, merged. */
    private static long packedOverlap(int[] ref, int refCount, int[] pred, int predCount, int n, int bits) {
        long[] a = pack(ref, refCount, n, bits), b = pack(pred, predCount, n, bits);
        java.util.Arrays.sort(a);
        java.util.Arrays.sort(b);
        long overlap = 0;
        int i = 0, j = 0;
        while (i < a.length && j < b.length) {
            if (a[i] < b[j]) i++;
            else if (a[i] > b[j]) j++;
            else {
                long g = a[i];
                int ca = 0, cb = 0;
                while (i < a.length && a[i] == g) { i++; ca++; }
                while (j < b.length && b[j] == g) { j++; cb++; }
                overlap += Math.min(ca, cb);
            }
        }
        return overlap;
    }

    private static long[] pack(int[] toks, int count, int n, int bits) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long k = 0;
            for (int j = 0; j < n; j++) k = (k << bits) | toks[i + j];
            out[i] = k;
        }
        return out;
    }

    /** The same overlap for n-grams too wide to pack (huge vocabularies with large n). */
    private static long mapOverlap(int[] ref, int refCount, int[] pred, int predCount, int n) {
        Map<List<Integer>, int[]> counts = new HashMap<>(); // n-gram -> {reference count, prediction count}
        for (int i = 0; i < refCount; i++) counts.computeIfAbsent(gram(ref, i, n), k -> new int[2])[0]++;
        for (int i = 0; i < predCount; i++) {
            int[] c = counts.get(gram(pred, i, n));
            if (c != null) c[1]++;
        }
        long overlap = 0;
        for (int[] c : counts.values()) overlap += Math.min(c[0], c[1]);
        return overlap;
    }

    private static List<Integer> gram(int[] toks, int from, int n) {
        Integer[] g = new Integer[n];
        for (int j = 0; j < n; j++) g[j] = toks[from + j];
        return List.of(g);
    }

    // ---- ROUGE-L ----------------------------------------------------------------------------

    /** Length of the longest common subsequence (two rows of the DP table). */
    static int lcsLength(int[] ref, int[] can) {
        int[] prev = new int[can.length + 1], cur = new int[can.length + 1];
        for (int i = 1; i <= ref.length; i++) {
            int r = ref[i - 1];
            for (int j = 1; j <= can.length; j++) {
                cur[j] = r == can[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[can.length];
    }

    static Score lcsScore(int[] ref, int[] pred) {
        if (ref.length == 0 || pred.length == 0) return Score.ZERO;
        int lcs = lcsLength(ref, pred);
        double precision = lcs / (double) pred.length;
        double recall = lcs / (double) ref.length;
        return Score.of(precision, recall);
    }

    // ---- ROUGE-Lsum -------------------------------------------------------------------------

    /**
     * Marks in {@code inUnion} the reference indices of one LCS of {@code ref} and {@code can},
     * chosen as rouge_score's {@code _backtrack_norec} chooses it: walking back from the end, take a
     * match when the tokens are equal, else step left in the candidate when
     * {@code t[i][j-1] > t[i-1][j]}, else step up in the reference.
     */
    static void markLcs(int[] ref, int[] can, boolean[] inUnion) {
        int rows = ref.length, cols = can.length, w = cols + 1;
        if (rows == 0 || cols == 0) return;
        int[] t = new int[(rows + 1) * w];
        for (int i = 1; i <= rows; i++) {
            int r = ref[i - 1];
            int row = i * w, up = (i - 1) * w;
            for (int j = 1; j <= cols; j++) {
                t[row + j] = r == can[j - 1] ? t[up + j - 1] + 1 : Math.max(t[up + j], t[row + j - 1]);
            }
        }
        int i = rows, j = cols;
        while (i > 0 && j > 0) {
            if (ref[i - 1] == can[j - 1]) {
                inUnion[i - 1] = true;
                i--; j--;
            } else if (t[i * w + j - 1] > t[(i - 1) * w + j]) {
                j--;
            } else {
                i--;
            }
        }
    }

    static Score summaryLevelLcs(List<int[]> refSents, List<int[]> canSents, int vocabSize) {
        if (refSents.isEmpty() || canSents.isEmpty()) return Score.ZERO;
        int m = 0, n = 0;
        for (int[] s : refSents) m += s.length;
        for (int[] s : canSents) n += s.length;
        if (n == 0 || m == 0) return Score.ZERO;
        int[] cntR = new int[vocabSize], cntC = new int[vocabSize];
        for (int[] s : refSents) for (int id : s) cntR[id]++;
        for (int[] s : canSents) for (int id : s) cntC[id]++;
        int hits = 0;
        for (int[] r : refSents) {
            boolean[] inUnion = new boolean[r.length];
            for (int[] c : canSents) markLcs(r, c, inUnion);
            for (int k = 0; k < r.length; k++) { // sorted union of indices
                if (!inUnion[k]) continue;
                int tok = r[k];
                if (cntC[tok] > 0 && cntR[tok] > 0) {
                    hits++;
                    cntC[tok]--;
                    cntR[tok]--;
                }
            }
        }
        double recall = hits / (double) m;
        double precision = hits / (double) n;
        return Score.of(precision, recall);
    }
}
