package io.peft4j.eval;

import java.util.Map;

/**
 * The Porter stemmer exactly as NLTK 3.8's {@code nltk.stem.porter.PorterStemmer} behaves in its
 * default {@code NLTK_EXTENSIONS} mode, which is what rouge_score 0.1.2 uses with
 * {@code use_stemmer=True}.
 *
 * <p>Besides Porter's 1980 algorithm with Martin Porter's later changes, NLTK mode adds:
 * <ul>
 *   <li>a table of irregular forms looked up before anything else ({@code sky, skies -> sky},
 *       {@code dying -> die}, {@code lying -> lie}, {@code tying -> tie}, {@code news -> news},
 *       {@code innings -> inning}, {@code outings -> outing}, {@code cannings -> canning},
 *       {@code howe}, {@code proceed}, {@code exceed}, {@code succeed} kept as they are);</li>
 *   <li>words of one or two characters are returned unchanged;</li>
 *   <li>step 1a: a four-letter word ending in {@code ies} becomes {@code ie} ("dies" -> "die");</li>
 *   <li>step 1b: {@code ied} becomes {@code ie} for four-letter words, else {@code i};</li>
 *   <li>step 1c: {@code y -> i} only after a consonant that is not the first letter;</li>
 *   <li>step 2: {@code alli -> al} tried first (then step 2 again), {@code bli -> ble},
 *       {@code fulli -> ful}, and {@code logi -> log} with the measure taken on the stem that keeps
 *       the {@code l};</li>
 *   <li>the *o condition also holds for a two-letter vowel-consonant stem.</li>
 * </ul>
 *
 * <p>Input is lower-cased first (NLTK's {@code to_lowercase=True}); the irregular-form lookup, as in
 * NLTK, tests the word as given. Instances are stateless and thread-safe.
 */
public final class PorterStemmer {

    private static final Map<String, String> IRREGULAR = Map.ofEntries(
        Map.entry("sky", "sky"), Map.entry("skies", "sky"),
        Map.entry("dying", "die"), Map.entry("lying", "lie"), Map.entry("tying", "tie"),
        Map.entry("news", "news"),
        Map.entry("innings", "inning"), Map.entry("inning", "inning"),
        Map.entry("outings", "outing"), Map.entry("outing", "outing"),
        Map.entry("cannings", "canning"), Map.entry("canning", "canning"),
        Map.entry("howe", "howe"), Map.entry("proceed", "proceed"),
        Map.entry("exceed", "exceed"), Map.entry("succeed", "succeed"));

    /** Stems one word. */
    public String stem(String word) {
        String w = word.toLowerCase(java.util.Locale.ROOT);
        String irregular = IRREGULAR.get(word);
        if (irregular != null) return irregular;
        if (word.length() <= 2 || (word.length() <= 4 && word.codePointCount(0, word.length()) <= 2)) return w;
        w = step1a(w);
        w = step1b(w);
        w = step1c(w);
        w = step2(w);
        w = step3(w);
        w = step4(w);
        w = step5a(w);
        w = step5b(w);
        return w;
    }

    // ---- letter classes -------------------------------------------------------------------

    private static boolean isVowelLetter(char c) {
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }

    /** Porter's consonant: not a, e, i, o, u, and not a y that follows a consonant. */
    static boolean isConsonant(CharSequence w, int i) {
        char c = w.charAt(i);
        if (isVowelLetter(c)) return false;
        if (c != 'y') return true;
        // a run of y's alternates consonant/vowel from its first letter; iterative so that very long
        // runs cannot exhaust the stack
        int k = i;
        while (k > 0 && w.charAt(k - 1) == 'y') k--;
        boolean first = k == 0 || isVowelLetter(w.charAt(k - 1)); // y after a vowel (or at 0) is a consonant
        return ((i - k) % 2 == 0) == first;
    }

    /** m in [C](VC)^m[V] for the first {@code len} characters of {@code w}. */
    static int measure(CharSequence w, int len) {
        int m = 0;
        boolean prevVowel = false;
        for (int i = 0; i < len; i++) {
            boolean consonant = isConsonant(w, i);
            if (consonant && prevVowel) m++;
            prevVowel = !consonant;
        }
        return m;
    }

    static int measure(String w) { return measure(w, w.length()); }

    private static boolean containsVowel(String w, int len) {
        for (int i = 0; i < len; i++) if (!isConsonant(w, i)) return true;
        return false;
    }

    /** *d: ends with a double consonant. */
    private static boolean endsDoubleConsonant(String w) {
        int n = w.length();
        return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
    }

    /** *o: ends consonant-vowel-consonant, the last not w, x or y; or (NLTK) is a two-letter vowel-consonant. */
    private static boolean endsCvc(String w) {
        int n = w.length();
        if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)) {
            char last = w.charAt(n - 1);
            if (last != 'w' && last != 'x' && last != 'y') return true;
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
    }

    private static String cut(String w, int suffixLen) { return w.substring(0, w.length() - suffixLen); }

    // ---- steps ----------------------------------------------------------------------------

    private static String step1a(String w) {
        if (w.endsWith("ies") && w.length() == 4) return cut(w, 3) + "ie";
        if (w.endsWith("sses")) return cut(w, 4) + "ss";
        if (w.endsWith("ies")) return cut(w, 3) + "i";
        if (w.endsWith("ss")) return w;
        if (w.endsWith("s")) return cut(w, 1);
        return w;
    }

    private static String step1b(String w) {
        if (w.endsWith("ied")) return cut(w, 3) + (w.length() == 4 ? "ie" : "i");
        if (w.endsWith("eed")) {
            String stem = cut(w, 3);
            return measure(stem) > 0 ? stem + "ee" : w;
        }
        String stem = null;
        if (w.endsWith("ed") && containsVowel(w, w.length() - 2)) stem = cut(w, 2);
        else if (w.endsWith("ing") && containsVowel(w, w.length() - 3)) stem = cut(w, 3);
        if (stem == null) return w;
        if (stem.endsWith("at")) return stem + "e";
        if (stem.endsWith("bl")) return stem + "e";
        if (stem.endsWith("iz")) return stem + "e";
        if (endsDoubleConsonant(stem)) {
            char last = stem.charAt(stem.length() - 1);
            if (last != 'l' && last != 's' && last != 'z') return stem.substring(0, stem.length() - 1);
            return stem;
        }
        if (measure(stem) == 1 && endsCvc(stem)) return stem + "e";
        return stem;
    }

    private static String step1c(String w) {
        if (w.endsWith("y")) {
            int stemLen = w.length() - 1;
            if (stemLen > 1 && isConsonant(w, stemLen - 1)) return cut(w, 1) + "i";
        }
        return w;
    }

    /** One suffix rule: suffix, replacement; the condition is m(stem) > minMeasure. */
    private record Rule(String suffix, String replacement) {}

    private static final Rule[] STEP2 = {
        new Rule("ational", "ate"), new Rule("tional", "tion"), new Rule("enci", "ence"),
        new Rule("anci", "ance"), new Rule("izer", "ize"), new Rule("bli", "ble"),
        new Rule("alli", "al"), new Rule("entli", "ent"), new Rule("eli", "e"),
        new Rule("ousli", "ous"), new Rule("ization", "ize"), new Rule("ation", "ate"),
        new Rule("ator", "ate"), new Rule("alism", "al"), new Rule("iveness", "ive"),
        new Rule("fulness", "ful"), new Rule("ousness", "ous"), new Rule("aliti", "al"),
        new Rule("iviti", "ive"), new Rule("biliti", "ble"), new Rule("fulli", "ful"),
    };

    private static final Rule[] STEP3 = {
        new Rule("icate", "ic"), new Rule("ative", ""), new Rule("alize", "al"),
        new Rule("iciti", "ic"), new Rule("ical", "ic"), new Rule("ful", ""), new Rule("ness", ""),
    };

    private static final String[] STEP4 = {
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion",
        "ou", "ism", "ate", "iti", "ous", "ive", "ize",
    };

    /**
     * The first rule whose suffix matches decides: replaced when m(stem) > 0, else the word is kept
     * (no further rules are tried), as NLTK's {@code _apply_rule_list} does.
     */
    private static String step2(String w) {
        if (w.endsWith("alli") && measure(w, w.length() - 4) > 0) return step2(cut(w, 4) + "al");
        for (Rule r : STEP2) {
            if (w.endsWith(r.suffix())) {
                String stem = cut(w, r.suffix().length());
                return measure(stem) > 0 ? stem + r.replacement() : w;
            }
        }
        if (w.endsWith("logi")) return measure(w, w.length() - 3) > 0 ? cut(w, 4) + "log" : w;
        return w;
    }

    private static String step3(String w) {
        for (Rule r : STEP3) {
            if (w.endsWith(r.suffix())) {
                String stem = cut(w, r.suffix().length());
                return measure(stem) > 0 ? stem + r.replacement() : w;
            }
        }
        return w;
    }

    private static String step4(String w) {
        for (String suffix : STEP4) {
            if (w.endsWith(suffix)) {
                String stem = cut(w, suffix.length());
                boolean ok = measure(stem) > 1;
                if (ok && suffix.equals("ion")) {
                    char last = stem.charAt(stem.length() - 1);
                    ok = last == 's' || last == 't';
                }
                return ok ? stem : w;
            }
        }
        return w;
    }

    private static String step5a(String w) {
        if (w.endsWith("e")) {
            String stem = cut(w, 1);
            int m = measure(stem);
            if (m > 1) return stem;
            if (m == 1 && !endsCvc(stem)) return stem;
        }
        return w;
    }

    private static String step5b(String w) {
        if (w.endsWith("ll")) return measure(w, w.length() - 1) > 1 ? cut(w, 1) : w;
        return w;
    }

    @Override public String toString() { return "PorterStemmer[NLTK_EXTENSIONS]"; }
}
