package io.peft4j.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * rouge_score 0.1.2's default tokenizer ({@code rouge_score.tokenize.tokenize}):
 * <ol>
 *   <li>Unicode lower-casing (Python's {@code str.lower()}; Java's {@code toLowerCase(Locale.ROOT)}
 *       agrees on every character that lower-cases into ASCII, e.g. KELVIN SIGN -> {@code k},
 *       LATIN CAPITAL I WITH DOT -> {@code i} + combining dot);</li>
 *   <li>every run of characters outside {@code [a-z0-9]} becomes one space, then split on spaces;</li>
 *   <li>with stemming, tokens longer than 3 characters go through NLTK's Porter stemmer
 *       ({@link PorterStemmer});</li>
 *   <li>empty tokens are dropped (every other token matches {@code ^[a-z0-9]+$} by construction).</li>
 * </ol>
 * Stems are memoised (thread-safe); instances can be shared between threads.
 */
public final class RougeTokenizer {

    private static final int MAX_CACHE = 200_000;

    private final PorterStemmer stemmer;
    private final ConcurrentHashMap<String, String> stemCache = new ConcurrentHashMap<>();

    /** @param useStemmer whether tokens longer than 3 characters are Porter-stemmed */
    public RougeTokenizer(boolean useStemmer) {
        this.stemmer = useStemmer ? new PorterStemmer() : null;
    }

    public boolean usesStemmer() { return stemmer != null; }

    /** The tokens of {@code text}, in order. */
    public List<String> tokenize(String text) {
        String lower = isAscii(text) ? text : text.toLowerCase(Locale.ROOT);
        List<String> tokens = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0, n = lower.length(); i < n; i++) {
            char c = lower.charAt(i);
            if (c >= 'A' && c <= 'Z') c = (char) (c + ('a' - 'A'));
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                cur.append(c);
            } else if (cur.length() > 0) {
                add(tokens, cur);
            }
        }
        if (cur.length() > 0) add(tokens, cur);
        return tokens;
    }

    private void add(List<String> tokens, StringBuilder cur) {
        String t = finish(cur);
        if (!t.isEmpty()) tokens.add(t); // rouge_score's final ^[a-z0-9]+$ filter
    }

    private String finish(StringBuilder cur) {
        String tok = cur.toString();
        cur.setLength(0);
        if (stemmer == null || tok.length() <= 3) return tok;
        String s = stemCache.get(tok);
        if (s == null) {
            s = stemmer.stem(tok);
            if (stemCache.size() < MAX_CACHE) stemCache.put(tok, s);
        }
        return s;
    }

    private static boolean isAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) if (s.charAt(i) >= 0x80) return false;
        return true;
    }
}
