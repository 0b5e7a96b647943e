package io.peft4j.hf.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Added tokens (Hugging Face's {@code added_tokens}): literal strings found in the text before the
 * model sees it, each becoming one id. Works as tokenizers' {@code AddedVocabulary}:
 * <ul>
 *   <li>Ids: a token whose content is already known (added or in the model vocabulary) keeps that
 *       id; a new one gets the next free id after the model vocabulary.</li>
 *   <li>Matching: leftmost, then longest, non-overlapping; tokens with {@code normalized: false}
 *       are found in the raw text first, the others in each normalized stretch between them.</li>
 *   <li>{@code single_word}: only where no word character touches either side; {@code lstrip} /
 *       {@code rstrip}: the whitespace to the left / right goes with the token.</li>
 *   <li>{@code special}: skipped by {@code decode(..., skip_special_tokens=True)}.</li>
 * </ul>
 */
final class AddedVocabulary {
    /** One added token as {@code tokenizer.json} describes it. */
    record Token(String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {
        Token { Objects.requireNonNull(content, "content"); }
    }

    private final Map<String, Integer> ids = new HashMap<>();           // content -> id
    private final Map<Integer, Token> byId = new LinkedHashMap<>();     // id -> token
    private final Set<String> specials = new HashSet<>();               // contents of special tokens
    private final Map<Integer, String> normalizedForm = new HashMap<>(); // id -> content after the normalizer, where it differs
    private Trie raw, normalized;

    /** Adds tokens as tokenizers' {@code add_tokens} does. */
    void add(List<Token> tokens, BpeModel model, Normalizer normalizer) {
        int nextId;
        if (byId.isEmpty()) nextId = model.size();
        else {
            int max = byId.keySet().stream().mapToInt(Integer::intValue).max().getAsInt();
            nextId = max >= model.size() || model.size() == 0 ? max + 1 : model.size();
        }
        for (Token t : tokens) {
            if (t.content().isEmpty()) continue;
            Integer known = ids.get(t.content());
            if (known != null && t.equals(byId.get(known))) continue;
            int id;
            if (known != null) id = known;
            else if (model.id(t.content()) >= 0) id = model.id(t.content());
            else id = nextId++;
            if (t.normalized() && normalizer != null) {
                String n = normalizer.normalize(t.content());
                if (!n.equals(t.content())) normalizedForm.put(id, n);
            }
            ids.put(t.content(), id);
            if (t.special()) specials.add(t.content());
            byId.put(id, t);
        }
        rebuild();
    }

    private void rebuild() {
        TreeMap<String, Integer> r = new TreeMap<>(), n = new TreeMap<>();
        for (Map.Entry<Integer, Token> e : byId.entrySet()) {
            Token t = e.getValue();
            if (t.normalized()) n.put(normalizedForm.getOrDefault(e.getKey(), t.content()), e.getKey());
            else r.put(t.content(), e.getKey());
        }
        raw = r.isEmpty() ? null : new Trie(r);
        normalized = n.isEmpty() ? null : new Trie(n);
    }

    boolean isEmpty() { return byId.isEmpty(); }

    /** The id of a token content, or -1. */
    int id(String content) {
        Integer id = ids.get(content);
        return id == null ? -1 : id;
    }

    /** The string an added id decodes to (its normalized form where the normalizer changed it), or null. */
    String token(int id) {
        Token t = byId.get(id);
        if (t == null) return null;
        String n = normalizedForm.get(id);
        return n != null ? n : t.content();
    }

    boolean isSpecial(String content) { return specials.contains(content); }

    Token get(int id) { return byId.get(id); }

    int maxId() { return byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1); }

    /** All tokens by id (for inspection). */
    Map<Integer, Token> tokens() { return java.util.Collections.unmodifiableMap(byId); }

    /** A stretch of text, or a matched added token (id >= 0). */
    record Part(int id, int start, int end) {}

    /** Splits {@code s} on raw ({@code normalized=false}) tokens. */
    List<Part> splitRaw(String s) { return find(s, raw); }

    /** Splits normalized {@code s} on {@code normalized=true} tokens. */
    List<Part> splitNormalized(String s) { return find(s, normalized); }

    private List<Part> find(String s, Trie trie) {
        List<Part> out = new ArrayList<>(4);
        if (trie == null || s.isEmpty()) { out.add(new Part(-1, 0, s.length())); return out; }
        int startOffset = 0, from = 0, n = s.length();
        while (from < n) {
            int[] m = trie.leftmostLongest(s, from);
            if (m == null) break;
            int start = m[0], stop = m[1], id = m[2];
            from = stop;   // the next search starts after this match, whatever strip does
            Token t = byId.get(id);
            if (t.singleWord()) {
                boolean startSpace = start == 0 || !Unicode.isWordChar(Character.codePointBefore(s, start));
                boolean stopSpace = stop == n || !Unicode.isWordChar(Character.codePointAt(s, stop));
                if (!startSpace || !stopSpace) continue;
            }
            if (t.lstrip()) start = Math.max(Unicode.trailingWhiteSpaceStart(s, 0, start), startOffset);
            if (t.rstrip()) stop += Unicode.leadingWhiteSpace(s, stop, n);
            if (startOffset < start) out.add(new Part(-1, startOffset, start));
            out.add(new Part(id, start, stop));
            startOffset = stop;
        }
        if (startOffset != n) out.add(new Part(-1, startOffset, n));
        return out;
    }

    /** A character trie over the token contents, for leftmost-longest search. */
    private static final class Trie {
        private static final class Node {
            char[] keys = new char[0];
            Node[] kids = new Node[0];
            int id = -1;

            Node child(char c) {
                int i = java.util.Arrays.binarySearch(keys, c);
                return i >= 0 ? kids[i] : null;
            }

            Node addChild(char c) {
                int i = java.util.Arrays.binarySearch(keys, c);
                if (i >= 0) return kids[i];
                int at = -i - 1;
                char[] k = new char[keys.length + 1];
                Node[] d = new Node[kids.length + 1];
                System.arraycopy(keys, 0, k, 0, at);
                System.arraycopy(kids, 0, d, 0, at);
                k[at] = c;
                d[at] = new Node();
                System.arraycopy(keys, at, k, at + 1, keys.length - at);
                System.arraycopy(kids, at, d, at + 1, kids.length - at);
                keys = k;
                kids = d;
                return d[at];
            }
        }

        private final Node root = new Node();
        private final boolean[] first = new boolean[65536];

        Trie(Map<String, Integer> tokens) {
            for (Map.Entry<String, Integer> e : tokens.entrySet()) {
                Node n = root;
                for (int i = 0; i < e.getKey().length(); i++) n = n.addChild(e.getKey().charAt(i));
                n.id = e.getValue();
                first[e.getKey().charAt(0)] = true;
            }
        }

        /** [start, end, id] of the leftmost-longest match at or after {@code from}, or null. */
        int[] leftmostLongest(String s, int from) {
            int n = s.length();
            for (int i = from; i < n; i++) {
                if (!first[s.charAt(i)]) continue;
                Node node = root;
                int bestEnd = -1, bestId = -1;
                for (int j = i; j < n; j++) {
                    node = node.child(s.charAt(j));
                    if (node == null) break;
                    if (node.id >= 0) { bestEnd = j + 1; bestId = node.id; }
                }
                if (bestEnd > 0) return new int[]{i, bestEnd, bestId};
            }
            return null;
        }
    }
}
