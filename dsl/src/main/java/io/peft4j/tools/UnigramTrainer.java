package io.peft4j.tools;

import io.peft4j.hf.PieceType;
import io.peft4j.hf.SentencePieceTokenizer;
import io.peft4j.hf.SpmNormalizer;
import io.peft4j.hf.TokenizerJsonWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A small SentencePiece-style Unigram vocabulary trainer.
 *
 * <ol>
 *   <li>Texts are normalized as the tokenizer will see them (identity normalization with
 *       whitespace folding, dummy prefix, U+2581 for spaces) and split into words at U+2581; equal
 *       words are counted once with their frequency.</li>
 *   <li>Seeds: every character, plus the {@code seedSize} most frequent substrings (2 to
 *       {@code maxPieceLength} code points, ranked by frequency x length) — U+2581 only at a
 *       piece's start, as SentencePiece's {@code split_by_whitespace}.</li>
 *   <li>Rounds of EM ({@code emIterations} each): expected piece counts by forward-backward over
 *       each word's lattice; new scores {@code digamma(count) - digamma(total)} (SentencePiece's
 *       Bayesian update); pieces with expected count below 0.5 are dropped (never below the target size).</li>
 *   <li>Pruning: each piece's loss is its Viterbi frequency times the log-likelihood lost when its
 *       occurrences are re-segmented with the remaining pieces; the {@code shrinkFactor} share
 *       with the highest loss survives, until the target size is reached. Single characters are
 *       always kept (so every training character is known).</li>
 * </ol>
 * The result has {@code <pad>}=0, {@code </s>}=1, {@code <unk>}=2, the pieces by descending score,
 * and {@code sentinels} {@code <extra_id_N>} at the top (id = vocabSize - 1 - N) as in T5.
 * Deterministic: every ranking breaks ties by piece string; no randomness. A corpus too small to
 * offer enough distinct substrings yields a smaller vocabulary.
 */
public final class UnigramTrainer {
    /**
     * @param vocabSize     total ids, specials and sentinels included
     * @param maxPieceLength longest piece in code points
     * @param seedSize      substrings kept as seeds (besides characters)
     * @param emIterations  EM iterations per pruning round
     * @param shrinkFactor  share of pieces kept per pruning round, in (0, 1)
     * @param sentinels     number of {@code <extra_id_N>} tokens (T5: 100)
     */
    public record Options(int vocabSize, int maxPieceLength, int seedSize, int emIterations, double shrinkFactor, int sentinels) {
        public Options {
            if (sentinels < 0) throw new IllegalArgumentException("sentinels must be >= 0, got " + sentinels);
            if (vocabSize < 3 + sentinels + 1) throw new IllegalArgumentException("vocabSize " + vocabSize + " leaves no room for pieces (3 specials + " + sentinels + " sentinels)");
            if (maxPieceLength < 1 || maxPieceLength > 64) throw new IllegalArgumentException("maxPieceLength must be in [1, 64], got " + maxPieceLength);
            if (seedSize < 1) throw new IllegalArgumentException("seedSize must be >= 1, got " + seedSize);
            if (emIterations < 1) throw new IllegalArgumentException("emIterations must be >= 1, got " + emIterations);
            if (!(shrinkFactor > 0 && shrinkFactor < 1)) throw new IllegalArgumentException("shrinkFactor must be in (0, 1), got " + shrinkFactor);
        }

        /** T5-like defaults for a vocabulary of {@code vocabSize} ids. */
        public static Options of(int vocabSize) {
            return new Options(vocabSize, 16, Math.max(20_000, 10 * vocabSize), 2, 0.75, 100);
        }
    }

    private final Options opt;

    public UnigramTrainer(Options opt) { this.opt = opt; }

    /** Trains on {@code texts} and returns the tokenizer. */
    public SentencePieceTokenizer train(Iterable<String> texts) {
        SpmNormalizer norm = new SpmNormalizer(null);
        TreeMap<String, Long> wordCounts = new TreeMap<>();
        for (String t : texts) {
            String s = norm.normalize(t);
            int start = 0;
            for (int i = 1; i <= s.length(); i++) {
                if (i == s.length() || s.charAt(i) == '\u2581') {
                    if (i > start) wordCounts.merge(s.substring(start, i), 1L, Long::sum);
                    start = i;
                }
            }
        }
        if (wordCounts.isEmpty()) throw new IllegalArgumentException("the training texts are empty");
        String[] words = wordCounts.keySet().toArray(new String[0]);
        long[] freq = wordCounts.values().stream().mapToLong(Long::longValue).toArray();

        // seeds
        Map<String, Long> chars = new HashMap<>();
        Map<String, Long> subs = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            int[] cps = words[w].codePoints().toArray();
            int[] off = offsets(words[w], cps);
            for (int i = 0; i < cps.length; i++) {
                chars.merge(words[w].substring(off[i], off[i + 1]), freq[w], Long::sum);
                if (i > 0 && cps[i] == 0x2581) continue;
                for (int j = i + 2; j <= Math.min(cps.length, i + opt.maxPieceLength()); j++) {
                    if (cps[j - 1] == 0x2581) break;
                    subs.merge(words[w].substring(off[i], off[j]), freq[w], Long::sum);
                }
            }
        }
        Set<String> required = new HashSet<>(chars.keySet());
        List<Map.Entry<String, Long>> seedList = new ArrayList<>(subs.entrySet());
        seedList.sort(Comparator.<Map.Entry<String, Long>>comparingDouble(e -> -(double) e.getValue() * e.getKey().codePointCount(0, e.getKey().length()))
            .thenComparing(Map.Entry::getKey));
        Map<String, Double> pieces = new TreeMap<>();
        double total = 0;
        for (Map.Entry<String, Long> e : chars.entrySet()) total += e.getValue();
        int seeds = Math.min(opt.seedSize(), seedList.size());
        for (int k = 0; k < seeds; k++) total += seedList.get(k).getValue();
        for (Map.Entry<String, Long> e : chars.entrySet()) pieces.put(e.getKey(), Math.log(e.getValue() / total));
        for (int k = 0; k < seeds; k++) pieces.put(seedList.get(k).getKey(), Math.log(seedList.get(k).getValue() / total));
        subs = null;

        int target = opt.vocabSize() - 3 - opt.sentinels();
        while (true) {
            for (int it = 0; it < opt.emIterations(); it++) pieces = emStep(pieces, words, freq, required, target);
            if (pieces.size() <= target) break;
            pieces = prune(pieces, words, freq, required, target);
        }
        return build(pieces);
    }

    private static int[] offsets(String s, int[] cps) {
        int[] off = new int[cps.length + 1];
        for (int i = 0, o = 0; i < cps.length; i++) { off[i] = o; o += Character.charCount(cps[i]); off[i + 1] = o; }
        return off;
    }

    /** One EM iteration: expected counts by forward-backward, Bayesian re-estimation. */
    private Map<String, Double> emStep(Map<String, Double> pieces, String[] words, long[] freq, Set<String> required, int target) {
        Map<String, Double> expected = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            String word = words[w];
            int[] off = offsets(word, word.codePoints().toArray());
            int n = off.length - 1;
            double[] alpha = new double[n + 1], beta = new double[n + 1];
            Arrays.fill(alpha, Double.NEGATIVE_INFINITY);
            Arrays.fill(beta, Double.NEGATIVE_INFINITY);
            alpha[0] = 0;
            for (int i = 0; i < n; i++) {
                if (alpha[i] == Double.NEGATIVE_INFINITY) continue;
                for (int j = i + 1; j <= Math.min(n, i + opt.maxPieceLength()); j++) {
                    Double s = pieces.get(word.substring(off[i], off[j]));
                    if (s != null) alpha[j] = logAdd(alpha[j], alpha[i] + s);
                }
            }
            beta[n] = 0;
            for (int j = n; j > 0; j--) {
                if (beta[j] == Double.NEGATIVE_INFINITY) continue;
                for (int i = Math.max(0, j - opt.maxPieceLength()); i < j; i++) {
                    Double s = pieces.get(word.substring(off[i], off[j]));
                    if (s != null) beta[i] = logAdd(beta[i], beta[j] + s);
                }
            }
            double z = alpha[n];
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j <= Math.min(n, i + opt.maxPieceLength()); j++) {
                    String p = word.substring(off[i], off[j]);
                    Double s = pieces.get(p);
                    if (s == null) continue;
                    double post = Math.exp(alpha[i] + s + beta[j] - z);
                    if (post > 0) expected.merge(p, post * freq[w], Double::sum);
                }
            }
        }
        // pieces below 0.5 expected occurrences are dropped, but never below the target size
        List<String> rare = new ArrayList<>();
        Map<String, Double> kept = new TreeMap<>();
        for (String p : pieces.keySet()) {
            double c = expected.getOrDefault(p, 0.0);
            if (c < 0.5 && !required.contains(p)) rare.add(p); else kept.put(p, c);
        }
        rare.sort(Comparator.<String>comparingDouble(p -> -expected.getOrDefault(p, 0.0)).thenComparing(Comparator.naturalOrder()));
        for (int k = 0; k < rare.size() && kept.size() < target; k++) kept.put(rare.get(k), expected.getOrDefault(rare.get(k), 0.0));
        double sum = 0;
        for (Map.Entry<String, Double> e : kept.entrySet()) {
            e.setValue(Math.max(e.getValue(), 0.5));
            sum += e.getValue();
        }
        double logTotal = digamma(sum);
        kept.replaceAll((p, c) -> digamma(c) - logTotal);
        return kept;
    }

    /** Keeps the pieces whose removal costs the most likelihood (single characters always). */
    private Map<String, Double> prune(Map<String, Double> pieces, String[] words, long[] freq, Set<String> required, int target) {
        // Viterbi frequency of each piece
        Map<String, Double> vfreq = new HashMap<>();
        for (int w = 0; w < words.length; w++)
            for (String p : viterbi(pieces, words[w], null)) vfreq.merge(p, (double) freq[w], Double::sum);
        List<String> candidates = new ArrayList<>();
        Map<String, Double> loss = new HashMap<>();
        for (Map.Entry<String, Double> e : pieces.entrySet()) {
            String p = e.getKey();
            if (required.contains(p)) continue;
            candidates.add(p);
            double f = vfreq.getOrDefault(p, 0.0);
            if (f == 0) { loss.put(p, 0.0); continue; }
            double alt = 0;
            for (String q : viterbi(pieces, p, p)) alt += pieces.get(q);
            loss.put(p, f * (e.getValue() - alt));
        }
        candidates.sort(Comparator.<String>comparingDouble(p -> -loss.get(p)).thenComparing(Comparator.naturalOrder()));
        int keepTotal = Math.max(target, (int) (pieces.size() * opt.shrinkFactor()));
        int keepCandidates = Math.max(0, keepTotal - required.size());
        Map<String, Double> out = new TreeMap<>();
        for (String r : required) out.put(r, pieces.get(r));
        for (int k = 0; k < Math.min(keepCandidates, candidates.size()); k++) out.put(candidates.get(k), pieces.get(candidates.get(k)));
        return out;
    }

    /** Best segmentation of {@code word} (optionally without the piece {@code exclude}). */
    private List<String> viterbi(Map<String, Double> pieces, String word, String exclude) {
        int[] off = offsets(word, word.codePoints().toArray());
        int n = off.length - 1;
        double[] best = new double[n + 1];
        int[] from = new int[n + 1];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        best[0] = 0;
        for (int i = 0; i < n; i++) {
            if (best[i] == Double.NEGATIVE_INFINITY) continue;
            for (int j = i + 1; j <= Math.min(n, i + opt.maxPieceLength()); j++) {
                String p = word.substring(off[i], off[j]);
                if (p.equals(exclude)) continue;
                Double s = pieces.get(p);
                if (s != null && best[i] + s > best[j]) { best[j] = best[i] + s; from[j] = i; }
            }
        }
        List<String> out = new ArrayList<>();
        if (best[n] == Double.NEGATIVE_INFINITY) return out;
        for (int j = n; j > 0; j = from[j]) out.add(word.substring(off[from[j]], off[j]));
        java.util.Collections.reverse(out);
        return out;
    }

    private SentencePieceTokenizer build(Map<String, Double> pieces) {
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(pieces.entrySet());
        sorted.sort(Comparator.<Map.Entry<String, Double>>comparingDouble(e -> -e.getValue()).thenComparing(Map.Entry::getKey));
        int v = 3 + sorted.size() + opt.sentinels();
        String[] ps = new String[v];
        float[] ss = new float[v];
        PieceType[] ts = new PieceType[v];
        ps[0] = "<pad>"; ts[0] = PieceType.CONTROL;
        ps[1] = "</s>"; ts[1] = PieceType.CONTROL;
        ps[2] = "<unk>"; ts[2] = PieceType.UNKNOWN;
        for (int k = 0; k < sorted.size(); k++) {
            ps[3 + k] = sorted.get(k).getKey();
            ss[3 + k] = (float) (double) sorted.get(k).getValue();
            ts[3 + k] = PieceType.NORMAL;
        }
        List<SentencePieceTokenizer.AddedToken> added = new ArrayList<>(List.of(
            new SentencePieceTokenizer.AddedToken("<pad>", 0, false, false),
            new SentencePieceTokenizer.AddedToken("</s>", 1, false, false),
            new SentencePieceTokenizer.AddedToken("<unk>", 2, false, false)));
        List<SentencePieceTokenizer.AddedToken> sentinels = SentencePieceTokenizer.sentinels(3 + sorted.size(), opt.sentinels());
        for (SentencePieceTokenizer.AddedToken a : sentinels) { ps[a.id()] = a.content(); ts[a.id()] = PieceType.CONTROL; }
        added.addAll(sentinels);
        return new SentencePieceTokenizer(ps, ss, ts, 2, 0, 1, null, added, "UnigramTrainer");
    }

    private static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        double m = Math.max(a, b);
        return m + Math.log1p(Math.exp(-Math.abs(a - b)));
    }

    /** Digamma function (recurrence up to 6, then the asymptotic series). */
    static double digamma(double x) {
        double r = 0;
        while (x < 6) { r -= 1 / x; x += 1; }
        double f = 1 / (x * x);
        return r + Math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
    }

    /** {@code UnigramTrainer CORPUS OUT_DIR VOCAB_SIZE}: CORPUS is text lines or JSON lines (all string fields). */
    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: UnigramTrainer CORPUS OUT_DIR VOCAB_SIZE");
            System.exit(2);
        }
        List<String> texts = TokenizerBench.readTexts(Path.of(args[0]));
        long t0 = System.nanoTime();
        SentencePieceTokenizer tok = new UnigramTrainer(Options.of(Integer.parseInt(args[2]))).train(texts);
        double s = (System.nanoTime() - t0) / 1e9;
        Path out = Path.of(args[1]).resolve("tokenizer.json");
        TokenizerJsonWriter.write(tok, out);
        long tokens = 0, chars = 0;
        for (String t : texts) { tokens += tok.encode(t).length - 1; chars += t.length(); }
        System.out.printf("trained %d ids on %d texts in %.1f s -> %s; %.2f chars/token%n", tok.vocabSize(), texts.size(), s, out, (double) chars / tokens);
    }
}
