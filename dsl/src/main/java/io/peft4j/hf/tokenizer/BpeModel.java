package io.peft4j.hf.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of a Hugging Face {@code tokenizer.json}: a vocabulary (token string to id) and
 * ranked merges, applied to one pre-tokenized word at a time exactly as {@code tokenizers} 0.23
 * does it.
 *
 * <h2>One word</h2>
 * <ol>
 *   <li>With {@code ignore_merges} (Llama 3), a word that is itself in the vocabulary is that one
 *       id.</li>
 *   <li>Each character becomes its id (with {@code continuing_subword_prefix} on all but the first,
 *       {@code end_of_word_suffix} on the last). A character not in the vocabulary becomes its
 *       UTF-8 bytes as {@code <0xNN>} pieces when {@code byte_fallback} is on and all of them
 *       exist; else the unknown id, consecutive unknowns fused into one when {@code fuse_unk}; with
 *       no unknown token it is dropped.</li>
 *   <li>Merges: a priority queue of (rank, position) over adjacent pairs; the lowest rank wins, the
 *       leftmost on ties; a popped entry whose pair has changed since it was queued (checked, as in
 *       tokenizers, by the merged id) is skipped; after a merge the new neighbour pairs are
 *       queued.</li>
 * </ol>
 * Results for words shorter than {@value #CACHE_MAX_WORD} characters are cached (up to
 * {@value #CACHE_CAPACITY} words). Immutable and thread-safe.
 */
public final class BpeModel {
    static final int CACHE_CAPACITY = 10_000;
    static final int CACHE_MAX_WORD = 256;

    private final Map<String, Integer> vocab;      // token -> id
    private final String[] idToToken;               // [maxId + 1], null where no token has the id
    private final int[] bmpCharId;                  // [65536] id of a one-char token (no prefix/suffix), -1 if none
    private final int[] byteIds;                    // [256] id of <0xNN>, -1 if absent
    private final PairRanks ranks;                  // (left id, right id) -> rank
    private final int[] mergeResult;                // [number of ranks] merged id by rank
    private final String unkToken;                  // null: unknown characters are dropped
    private final boolean fuseUnk, byteFallback, ignoreMerges;
    private final String prefix, suffix;            // continuing_subword_prefix, end_of_word_suffix (or null)
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /** A merge as written in the file: the two tokens whose concatenation is merged. */
    public record Merge(String left, String right) {
        public Merge {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }
    }

    /**
     * @param vocab        token to id (ids need not be contiguous)
     * @param merges       merges by rank (index = rank); a pair listed twice keeps the later rank
     * @param unkToken     the unknown token, or null
     * @param fuseUnk      fuse consecutive unknowns
     * @param byteFallback use {@code <0xNN>} pieces for unknown characters
     * @param ignoreMerges look whole words up in the vocabulary first
     * @param prefix       continuing_subword_prefix or null
     * @param suffix       end_of_word_suffix or null
     * @throws IllegalArgumentException naming the merge whose tokens or result are not in the vocabulary
     */
    public BpeModel(Map<String, Integer> vocab, List<Merge> merges, String unkToken, boolean fuseUnk,
                    boolean byteFallback, boolean ignoreMerges, String prefix, String suffix) {
        this.vocab = new HashMap<>(vocab);
        this.unkToken = unkToken;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.prefix = prefix == null || prefix.isEmpty() ? null : prefix;
        this.suffix = suffix == null || suffix.isEmpty() ? null : suffix;
        int maxId = -1;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0) throw new IllegalArgumentException("model.vocab[\"" + abbreviate(e.getKey()) + "\"] has negative id " + id);
            maxId = Math.max(maxId, id);
        }
        this.idToToken = new String[maxId + 1];
        this.bmpCharId = new int[65536];
        Arrays.fill(bmpCharId, -1);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            idToToken[e.getValue()] = e.getKey();
            if (e.getKey().length() == 1) bmpCharId[e.getKey().charAt(0)] = e.getValue();
        }
        this.byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(byteToken(b));
            byteIds[b] = id == null ? -1 : id;
        }
        this.ranks = new PairRanks(Math.max(16, merges.size() * 2));
        this.mergeResult = new int[merges.size()];
        int prefixLen = this.prefix == null ? 0 : this.prefix.length();
        for (int r = 0; r < merges.size(); r++) {
            Merge m = merges.get(r);
            Integer a = vocab.get(m.left()), b = vocab.get(m.right());
            if (a == null) throw new IllegalArgumentException("merges[" + r + "]: token \"" + abbreviate(m.left()) + "\" is not in the vocabulary");
            if (b == null) throw new IllegalArgumentException("merges[" + r + "]: token \"" + abbreviate(m.right()) + "\" is not in the vocabulary");
            String rightPart = prefixLen > 0 && m.right().startsWith(this.prefix) ? m.right().substring(prefixLen) : m.right();
            String merged = m.left() + rightPart;
            Integer c = vocab.get(merged);
            if (c == null) throw new IllegalArgumentException("merges[" + r + "]: the merged token \"" + abbreviate(merged) + "\" is not in the vocabulary");
            ranks.put(a, b, r);
            mergeResult[r] = c;
        }
    }

    static String byteToken(int b) { return String.format("<0x%02X>", b); }

    private static String abbreviate(String s) { return s.length() > 40 ? s.substring(0, 40) + "..." : s; }

    /** Number of vocabulary entries (Hugging Face's {@code get_vocab_size()} of the model). */
    public int size() { return vocab.size(); }

    /** Largest id + 1. */
    public int idLimit() { return idToToken.length; }

    /** The token of an id, or null where the vocabulary has no such id. */
    public String token(int id) { return id >= 0 && id < idToToken.length ? idToToken[id] : null; }

    /** The id of a token, or -1. */
    public int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** Appends the ids of one pre-tokenized word. */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) { out.add(id); return; }
        }
        boolean cacheable = word.length() < CACHE_MAX_WORD;
        if (cacheable) {
            int[] hit = cache.get(word);
            if (hit != null) { out.addAll(hit); return; }
        }
        int[] ids = mergeWord(word);
        if (cacheable && cache.size() < CACHE_CAPACITY) cache.putIfAbsent(word, ids);
        out.addAll(ids);
    }

    private int[] mergeWord(String w) {
        int n = w.length();
        Word word = new Word(n);
        int unkId = -1, pendingUnk = -1;   // pendingUnk: id of an unknown waiting to be added (fused)
        int i = 0;
        while (i < n) {
            int cpLen = Character.isHighSurrogate(w.charAt(i)) && i + 1 < n && Character.isLowSurrogate(w.charAt(i + 1)) ? 2 : 1;
            boolean first = i == 0, last = i + cpLen >= n;
            int id;
            String s = null;
            if (cpLen == 1 && (first || prefix == null) && (!last || suffix == null)) {
                id = bmpCharId[w.charAt(i)];
            } else {
                s = w.substring(i, i + cpLen);
                if (!first && prefix != null) s = prefix + s;
                if (last && suffix != null) s = s + suffix;
                Integer v = vocab.get(s);
                id = v == null ? -1 : v;
            }
            i += cpLen;
            if (id >= 0) {
                if (pendingUnk >= 0) { word.add(pendingUnk); pendingUnk = -1; }
                word.add(id);
                continue;
            }
            if (byteFallback) {
                if (s == null) s = w.substring(i - cpLen, i);
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : bytes) if (byteIds[b & 0xFF] < 0) { all = false; break; }
                if (all) {
                    // as in tokenizers: byte pieces go in before an unknown that is still pending
                    for (byte b : bytes) word.add(byteIds[b & 0xFF]);
                    continue;
                }
            }
            if (unkToken != null) {
                if (unkId < 0) {
                    Integer u = vocab.get(unkToken);
                    if (u == null) throw new IllegalStateException("the unknown token \"" + unkToken + "\" is not in the vocabulary");
                    unkId = u;
                }
                if (pendingUnk >= 0 && !fuseUnk) word.add(pendingUnk);
                pendingUnk = unkId;
            }
        }
        if (pendingUnk >= 0) word.add(pendingUnk);
        word.mergeAll(ranks, mergeResult);
        return word.ids();
    }

    /** A word being merged: a doubly linked list of symbols in arrays. */
    private static final class Word {
        int[] c, prev, next;
        boolean[] gone;
        int size;

        Word(int cap) {
            c = new int[cap + 1]; prev = new int[cap + 1]; next = new int[cap + 1]; gone = new boolean[cap + 1];
        }

        void add(int id) {
            if (size == c.length) {
                int cap = size * 2 + 4;
                c = Arrays.copyOf(c, cap); prev = Arrays.copyOf(prev, cap); next = Arrays.copyOf(next, cap);
                gone = Arrays.copyOf(gone, cap);
            }
            if (size > 0) next[size - 1] = size;
            c[size] = id;
            prev[size] = size - 1;
            next[size] = -1;
            size++;
        }

        void mergeAll(PairRanks ranks, int[] mergeResult) {
            LongHeap queue = new LongHeap(Math.max(4, size));
            for (int p = 0; p + 1 < size; p++) {
                int r = ranks.get(c[p], c[p + 1]);
                if (r >= 0) queue.push((long) r << 32 | p);
            }
            while (!queue.isEmpty()) {
                long top = queue.pop();
                int rank = (int) (top >>> 32), pos = (int) top;
                if (gone[pos] || next[pos] == -1) continue;
                int nextPos = next[pos];
                int curRank = ranks.get(c[pos], c[nextPos]);
                if (curRank < 0 || mergeResult[curRank] != mergeResult[rank]) continue;
                int newId = mergeResult[rank];
                c[pos] = newId;
                next[pos] = next[nextPos];
                gone[nextPos] = true;
                if (next[nextPos] > -1 && next[nextPos] < size) prev[next[nextPos]] = pos;
                if (prev[pos] >= 0) {
                    int r = ranks.get(c[prev[pos]], newId);
                    if (r >= 0) queue.push((long) r << 32 | prev[pos]);
                }
                int nx = next[pos];
                if (nx >= 0 && nx < size) {
                    int r = ranks.get(newId, c[nx]);
                    if (r >= 0) queue.push((long) r << 32 | pos);
                }
            }
        }

        int[] ids() {
            int k = 0;
            for (int p = 0; p < size; p++) if (!gone[p]) k++;
            int[] out = new int[k];
            k = 0;
            for (int p = 0; p < size; p++) if (!gone[p]) out[k++] = c[p];
            return out;
        }
    }

    /** Min-heap of longs (rank in the high half, position in the low half). */
    private static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int cap) { a = new long[cap]; }

        boolean isEmpty() { return n == 0; }

        void push(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long v = a[--n];
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                if (l >= n) break;
                int m = l + 1 < n && a[l + 1] < a[l] ? l + 1 : l;
                if (a[m] >= v) break;
                a[i] = a[m];
                i = m;
            }
            a[i] = v;
            return top;
        }
    }

    /** Open-addressing map from an id pair to a rank. */
    private static final class PairRanks {
        private final long[] keys;
        private final int[] vals;
        private final int mask;

        PairRanks(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
            keys = new long[cap];
            vals = new int[cap];
            Arrays.fill(vals, -1);
            mask = cap - 1;
        }

        private static long key(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

        private static int hash(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29));
        }

        void put(int a, int b, int rank) {
            long k = key(a, b);
            int i = hash(k) & mask;
            while (vals[i] >= 0 && keys[i] != k) i = (i + 1) & mask;
            keys[i] = k;
            vals[i] = rank;   // a pair listed again keeps the later rank, as tokenizers' HashMap collect does
        }

        int get(int a, int b) {
            long k = key(a, b);
            int i = hash(k) & mask;
            while (vals[i] >= 0) {
                if (keys[i] == k) return vals[i];
                i = (i + 1) & mask;
            }
            return -1;
        }
    }
}
