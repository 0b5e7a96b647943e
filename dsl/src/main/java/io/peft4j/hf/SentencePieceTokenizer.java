package io.peft4j.hf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * SentencePiece Unigram tokenizer, bit-exact with SentencePiece 0.1.97's {@code EncodeOptimized}
 * as used by T5, plus Hugging Face's literal special-token handling.
 *
 * <h2>Encoding</h2>
 * <ol>
 *   <li>Special tokens: the raw text is scanned left to right for the added tokens' literal
 *       strings (longest match first); each becomes its id and the text between them is encoded
 *       separately (whitespace next to a token with lstrip/rstrip is dropped, as in HF).</li>
 *   <li>Normalization ({@link SpmNormalizer}): precompiled charsmap (nmt_nfkc for T5), leading,
 *       trailing and repeated whitespace removed, dummy prefix, space escaped as U+2581.</li>
 *   <li>Viterbi over the pieces (normal, user-defined; unused pieces are skipped, control and
 *       unknown pieces never match). The best score per end position is stored as a
 *       {@code float}; a piece candidate is computed and compared in {@code double}
 *       ({@code (double) stored + score}), stored after rounding; the unknown candidate
 *       ({@code min_score - 10}) is computed in {@code float}; comparisons are strict and start
 *       positions are scanned in ascending order. This float rule decides exact ties the way
 *       SentencePiece does (e.g. {@code ▁----} as {@code ▁ --- -}).</li>
 *   <li>A run of unknown pieces is fused into one unknown id; the end-of-sequence id is
 *       appended.</li>
 * </ol>
 *
 * <h2>Decoding</h2>
 * Control, unknown and added special ids are skipped; while the decoded text is still empty, each
 * piece loses one leading U+2581 (the dummy prefix; SentencePiece's {@code Decode} with
 * {@code add_dummy_prefix} and {@code remove_extra_whitespaces}); every other U+2581 becomes a space.
 *
 * <p>Immutable and thread-safe.
 */
public final class SentencePieceTokenizer implements TextTokenizer {
    /** SentencePiece's penalty for unknown characters: score = min normal score - 10. */
    static final float UNK_PENALTY = 10.0f;

    /** A literal token string matched in the raw text before normalization. */
    public record AddedToken(String content, int id, boolean lstrip, boolean rstrip) {
        public AddedToken {
            Objects.requireNonNull(content, "content");
            if (content.isEmpty()) throw new IllegalArgumentException("added token content must not be empty (id " + id + ")");
        }
    }

    private final String[] pieces;       // [V] piece strings by id
    private final float[] scores;        // [V]
    private final PieceType[] types;     // [V]
    private final boolean[] skipDecode;  // [V] true for ids decode() drops
    private final int[] udLenBytes;      // [V] UTF-8 length of user-defined pieces
    private final int unkId, padId, eosId;
    private final float unkScore;
    private final float maxScore;
    private final PieceTrie trie;
    private final SpmNormalizer normalizer;
    private final Map<String, AddedToken> added;   // content -> token
    private final int[] addedLengths;              // distinct content lengths, descending
    private final boolean[] addedFirstChar;        // [65536] chars that start some added token
    private final String source;

    /**
     * @param pieces  piece strings by id
     * @param scores  log-probability scores by id
     * @param types   piece types by id
     * @param unkId   the unknown id (type UNKNOWN)
     * @param padId   padding id, or -1
     * @param eosId   end-of-sequence id
     * @param charsMap precompiled charsmap blob, or null for identity normalization with whitespace folding
     * @param addedTokens literal special strings (HF added tokens); their ids are skipped by decode
     * @param source  where it was read from (for messages)
     */
    public SentencePieceTokenizer(String[] pieces, float[] scores, PieceType[] types, int unkId, int padId, int eosId,
                                  byte[] charsMap, List<AddedToken> addedTokens, String source) {
        int v = pieces.length;
        if (scores.length != v || types.length != v)
            throw new IllegalArgumentException("pieces, scores and types differ in length: " + v + ", " + scores.length + ", " + types.length);
        if (unkId < 0 || unkId >= v) throw new IllegalArgumentException("unk id " + unkId + " outside [0, " + v + ")");
        if (eosId < 0 || eosId >= v) throw new IllegalArgumentException("eos id " + eosId + " outside [0, " + v + ")");
        if (padId >= v) throw new IllegalArgumentException("pad id " + padId + " outside [0, " + v + ")");
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.types = types.clone();
        this.types[unkId] = PieceType.UNKNOWN;
        this.unkId = unkId; this.padId = padId; this.eosId = eosId;
        this.source = source;
        float min = Float.MAX_VALUE, max = Float.MIN_VALUE; // SentencePiece's initial values (FLT_MAX, FLT_MIN)
        boolean[] inTrie = new boolean[v];
        this.skipDecode = new boolean[v];
        this.udLenBytes = new int[v];
        for (int i = 0; i < v; i++) {
            PieceType t = this.types[i];
            if (t == PieceType.NORMAL) { min = Math.min(min, scores[i]); max = Math.max(max, scores[i]); }
            inTrie[i] = t == PieceType.NORMAL || t == PieceType.USER_DEFINED || t == PieceType.UNUSED;
            skipDecode[i] = t == PieceType.CONTROL || t == PieceType.UNKNOWN;
            if (t == PieceType.USER_DEFINED) udLenBytes[i] = pieces[i].getBytes(StandardCharsets.UTF_8).length;
        }
        if (min == Float.MAX_VALUE) throw new IllegalArgumentException("vocabulary has no normal pieces");
        this.unkScore = min - UNK_PENALTY;
        this.maxScore = max;
        this.added = new HashMap<>();
        this.addedFirstChar = new boolean[65536];
        for (AddedToken a : addedTokens) {
            if (a.id() < 0 || a.id() >= v) throw new IllegalArgumentException("added token " + a.content() + " has id " + a.id() + " outside [0, " + v + ")");
            added.putIfAbsent(a.content(), a);
            addedFirstChar[a.content().charAt(0)] = true;
            skipDecode[a.id()] = true;
            inTrie[a.id()] = false;
        }
        this.addedLengths = added.keySet().stream().mapToInt(String::length).distinct()
            .boxed().sorted(Comparator.reverseOrder()).mapToInt(Integer::intValue).toArray();
        this.trie = PieceTrie.build(this.pieces, inTrie);
        this.normalizer = new SpmNormalizer(charsMap == null || charsMap.length == 0 ? null : PrecompiledCharsMap.decode(charsMap));
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int padId() { return padId; }
    @Override public int eosId() { return eosId; }
    @Override public int unkId() { return unkId; }

    @Override public String idToPiece(int id) {
        checkId(id, -1);
        return pieces[id];
    }

    /** Score of an id (0 for control pieces). */
    public float score(int id) { checkId(id, -1); return scores[id]; }

    /** Type of an id. */
    public PieceType type(int id) { checkId(id, -1); return types[id]; }

    /** True where a precompiled charsmap is in use (false: identity with whitespace folding). */
    public boolean hasCharsMap() { return normalizer.hasCharsMap(); }

    /** Literal special strings in id order (for writers). */
    List<AddedToken> addedTokens() {
        return added.values().stream().sorted(Comparator.comparingInt(AddedToken::id)).toList();
    }

    /** Where this tokenizer was read from. */
    public String source() { return source; }

    @Override public String toString() {
        return "SentencePieceTokenizer[" + pieces.length + " ids, " + source + "]";
    }

    @Override public int[] encode(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        encodeWithSpecials(text, out);
        out.add(eosId);
        return out.toArray();
    }

    /** Ids without the appended end-of-sequence id when {@code addSpecialTokens} is false. */
    @Override public int[] encode(String text, boolean addSpecialTokens) {
        if (addSpecialTokens) return encode(text);
        IntList out = new IntList(Math.max(16, text.length() / 3));
        encodeWithSpecials(text, out);
        return out.toArray();
    }

    @Override public java.util.OptionalInt tokenId(String token) {
        AddedToken a = added.get(token);
        if (a != null) return java.util.OptionalInt.of(a.id());
        for (int i = 0; i < pieces.length; i++) if (pieces[i].equals(token)) return java.util.OptionalInt.of(i);
        return java.util.OptionalInt.empty();
    }

    @Override public boolean isSpecial(int id) { return id >= 0 && id < pieces.length && skipDecode[id]; }

    @Override public Map<String, String> specialTokens() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("eos_token", pieces[eosId]);
        m.put("unk_token", pieces[unkId]);
        if (padId >= 0) m.put("pad_token", pieces[padId]);
        return m;
    }

    /** Raw SentencePiece ids of {@code text} (no special-token matching, no end-of-sequence id). */
    public int[] encodeRaw(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        encodeSegment(text, out);
        return out.toArray();
    }

    /** The normalized string the Viterbi search sees (for inspection and tests). */
    public String normalize(String text) { return normalizer.normalize(text); }

    private void encodeWithSpecials(String text, IntList out) {
        if (added.isEmpty()) { encodeSegment(text, out); return; }
        int n = text.length();
        int segStart = 0;
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            AddedToken match = addedFirstChar[c] ? matchAt(text, i) : null;
            if (match == null) { i++; continue; }
            int segEnd = i;
            if (match.lstrip()) while (segEnd > segStart && isWhiteSpace(text.charAt(segEnd - 1))) segEnd--;
            if (segEnd > segStart) encodeSegment(text.substring(segStart, segEnd), out);
            out.add(match.id());
            i += match.content().length();
            if (match.rstrip()) while (i < n && isWhiteSpace(text.charAt(i))) i++;
            segStart = i;
        }
        if (segStart < n) encodeSegment(segStart == 0 ? text : text.substring(segStart), out);
    }

    private AddedToken matchAt(String text, int i) {
        for (int len : addedLengths) {
            if (i + len > text.length()) continue;
            AddedToken a = added.get(text.substring(i, i + len));
            if (a != null) return a;
        }
        return null;
    }

    /** Unicode White_Space (what HF's lstrip/rstrip remove). */
    private static boolean isWhiteSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    private void encodeSegment(String text, IntList out) {
        String s = normalizer.normalize(text);
        int n = s.length();
        if (n == 0) return;
        float[] best = new float[n + 1];
        int[] from = new int[n + 1];
        int[] bestId = new int[n + 1];
        Arrays.fill(from, -1);
        int start = 0;
        while (start < n) {
            float base = best[start];
            int mblen = Character.isHighSurrogate(s.charAt(start)) && start + 1 < n
                && Character.isLowSurrogate(s.charAt(start + 1)) ? 2 : 1;
            boolean hasSingle = false;
            int node = PieceTrie.ROOT;
            for (int k = start; k < n; k++) {
                node = trie.child(node, s.charAt(k));
                if (node < 0) break;
                int id = trie.pieceAt(node);
                if (id < 0) continue;
                PieceType t = types[id];
                if (t == PieceType.UNUSED) continue;
                int end = k + 1;
                double score = t == PieceType.USER_DEFINED ? (udLenBytes[id] * (double) maxScore - 0.1) : scores[id];
                double cand = score + (double) base;
                if (from[end] == -1 || cand > best[end]) {
                    best[end] = (float) cand;
                    from[end] = start;
                    bestId[end] = id;
                }
                if (end - start == mblen) hasSingle = true;
            }
            if (!hasSingle) {
                int end = start + mblen;
                float cand = unkScore + base;
                if (from[end] == -1 || cand > best[end]) {
                    best[end] = cand;
                    from[end] = start;
                    bestId[end] = unkId;
                }
            }
            start += mblen;
        }
        // backtrack, then emit in order with unknown runs fused
        int count = 0;
        for (int e = n; e > 0; e = from[e]) count++;
        int[] path = new int[count];
        int j = count;
        for (int e = n; e > 0; e = from[e]) path[--j] = bestId[e];
        boolean prevUnk = false;
        for (int id : path) {
            boolean unk = id == unkId;
            if (!(unk && prevUnk)) out.add(id);
            prevUnk = unk;
        }
    }

    @Override public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length * 4);
        for (int pos = 0; pos < ids.length; pos++) {
            int id = ids[pos];
            checkId(id, pos);
            if (skipDecode[id]) continue;
            String p = pieces[id];
            int from = sb.length() == 0 && p.startsWith(SpmNormalizer.SPACE_SYMBOL) ? 1 : 0;
            for (int k = from; k < p.length(); k++) {
                char c = p.charAt(k);
                sb.append(c == '\u2581' ? ' ' : c);
            }
        }
        return sb.toString();
    }

    /**
     * With {@code skipSpecialTokens} false, as Hugging Face's T5 tokenizer (Metaspace decoder):
     * every id's piece, special ones verbatim; U+2581 becomes a space, except in the first piece,
     * where it is dropped.
     */
    @Override public String decode(int[] ids, boolean skipSpecialTokens) {
        if (skipSpecialTokens) return decode(ids);
        StringBuilder sb = new StringBuilder(ids.length * 4);
        for (int pos = 0; pos < ids.length; pos++) {
            checkId(ids[pos], pos);
            String p = pieces[ids[pos]];
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                if (c == '\u2581') { if (pos > 0) sb.append(' '); }
                else sb.append(c);
            }
        }
        return sb.toString();
    }

    private void checkId(int id, int pos) {
        if (id < 0 || id >= pieces.length)
            throw new IllegalArgumentException("token id " + id + (pos >= 0 ? " at position " + pos : "")
                + " is outside the vocabulary [0, " + pieces.length + ")");
    }

    /** Growable int array. */
    static final class IntList {
        private int[] a; private int n;
        IntList(int cap) { a = new int[cap]; }
        void add(int v) { if (n == a.length) a = Arrays.copyOf(a, n * 2 + 4); a[n++] = v; }
        int[] toArray() { return Arrays.copyOf(a, n); }
    }

    /** Hugging Face's T5 sentinels: {@code <extra_id_N>} = firstId + count - 1 - N. */
    public static List<AddedToken> sentinels(int firstId, int count) {
        List<AddedToken> l = new ArrayList<>(count);
        for (int k = 0; k < count; k++) l.add(new AddedToken("<extra_id_" + (count - 1 - k) + ">", firstId + k, true, true));
        return l;
    }
}
