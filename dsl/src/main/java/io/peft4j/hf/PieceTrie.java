package io.peft4j.hf;

import java.util.Arrays;

/**
 * A character trie over vocabulary pieces for the Viterbi search: transitions live in one
 * open-addressing hash table keyed by {@code (node << 16) | char}; the root's transitions are a
 * direct 64K array. Immutable after {@link #build}; thread-safe for reads.
 */
final class PieceTrie {
    private final int[] rootChild;      // [65536] child node of the root per char, or -1
    private final long[] keys;          // [capacity] (node << 16 | char) + 1, 0 = empty slot
    private final int[] children;       // [capacity] child node per key
    private final int[] pieceId;        // [nodes] piece id ending at the node, or -1
    private final int mask;

    private PieceTrie(int[] rootChild, long[] keys, int[] children, int[] pieceId) {
        this.rootChild = rootChild; this.keys = keys; this.children = children; this.pieceId = pieceId;
        this.mask = keys.length - 1;
    }

    /** Builds a trie over {@code pieces[i]} for every i where {@code include[i]}. */
    static PieceTrie build(String[] pieces, boolean[] include) {
        long totalChars = 1;
        for (int i = 0; i < pieces.length; i++) if (include[i]) totalChars += pieces[i].length();
        int cap = Integer.highestOneBit((int) Math.min(1 << 29, totalChars * 2)) * 2;
        int[] rootChild = new int[65536];
        Arrays.fill(rootChild, -1);
        long[] keys = new long[cap];
        int[] children = new int[cap];
        int[] pieceId = new int[(int) totalChars + 1];
        Arrays.fill(pieceId, -1);
        int nodes = 1; // node 0 = root
        int m = cap - 1;
        for (int i = 0; i < pieces.length; i++) {
            if (!include[i] || pieces[i].isEmpty()) continue;
            String p = pieces[i];
            int node = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                if (node == 0) {
                    if (rootChild[c] < 0) rootChild[c] = nodes++;
                    node = rootChild[c];
                } else {
                    long key = (((long) node) << 16 | c) + 1;
                    int h = hash(key) & m;
                    while (keys[h] != 0 && keys[h] != key) h = (h + 1) & m;
                    if (keys[h] == 0) { keys[h] = key; children[h] = nodes++; }
                    node = children[h];
                }
            }
            if (pieceId[node] < 0) pieceId[node] = i; // first occurrence wins, as in a map
        }
        return new PieceTrie(rootChild, keys, children, Arrays.copyOf(pieceId, nodes));
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    /** Root node id. */
    static final int ROOT = 0;

    /** Child of {@code node} by {@code c}, or -1. */
    int child(int node, char c) {
        if (node == 0) return rootChild[c];
        long key = (((long) node) << 16 | c) + 1;
        int h = hash(key) & mask;
        while (true) {
            long k = keys[h];
            if (k == key) return children[h];
            if (k == 0) return -1;
            h = (h + 1) & mask;
        }
    }

    /** Piece id ending at {@code node}, or -1. */
    int pieceAt(int node) { return pieceId[node]; }
}
