package io.peft4j.hf.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} normalizer: text in, text out. Applied to each stretch of text between
 * added tokens (never to an empty stretch).
 */
sealed interface Normalizer {
    String normalize(String s);

    /** Unicode normalization form (java.text.Normalizer; Java 17 knows Unicode 13). */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override public String normalize(String s) {
            return java.text.Normalizer.isNormalized(s, form) ? s : java.text.Normalizer.normalize(s, form);
        }
    }

    /** Lower case, one character at a time (Rust {@code char::to_lowercase}: no final-sigma rule). */
    record Lowercase() implements Normalizer {
        @Override public String normalize(String s) {
            StringBuilder sb = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                int n = Character.charCount(cp);
                sb.append(s.substring(i, i + n).toLowerCase(Locale.ROOT));
                i += n;
            }
            return sb.toString();
        }
    }

    /** Prepends a string to non-empty text. */
    record Prepend(String prepend) implements Normalizer {
        @Override public String normalize(String s) { return s.isEmpty() ? s : prepend + s; }
    }

    /** Replaces every match of a pattern (literal or regex) with a string. */
    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override public String normalize(String s) {
            Matcher m = pattern.matcher(Regexes.input(pattern, s));
            if (!m.find()) return s;
            StringBuilder sb = new StringBuilder(s.length() + 16);
            int prev = 0;
            do {
                if (m.end() == m.start()) continue;   // tokenizers' regex find_iter never yields empty matches here
                sb.append(s, prev, m.start()).append(content);
                prev = m.end();
            } while (m.find());
            return sb.append(s, prev, s.length()).toString();
        }
    }

    /** Strips Unicode whitespace on the left and/or right. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override public String normalize(String s) {
            int from = left ? io.peft4j.hf.tokenizer.Unicode.leadingWhiteSpace(s, 0, s.length()) : 0;
            int to = right ? io.peft4j.hf.tokenizer.Unicode.trailingWhiteSpaceStart(s, from, s.length()) : s.length();
            return s.substring(from, to);
        }
    }

    /** Removes combining marks (general categories Mn, Mc, Me). */
    record StripAccents() implements Normalizer {
        @Override public String normalize(String s) {
            StringBuilder sb = new StringBuilder(s.length());
            s.codePoints().filter(cp -> {
                int t = Character.getType(cp);
                return t != Character.NON_SPACING_MARK && t != Character.COMBINING_SPACING_MARK && t != Character.ENCLOSING_MARK;
            }).forEach(sb::appendCodePoint);
            return sb.toString();
        }
    }

    /** The byte-level mapping as a normalizer. */
    record Bytes() implements Normalizer {
        @Override public String normalize(String s) { return ByteLevel.encode(s); }
    }

    /** Normalizers applied in order. */
    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        public Sequence { normalizers = List.copyOf(normalizers); }

        @Override public String normalize(String s) {
            for (Normalizer n : normalizers) s = n.normalize(s);
            return s;
        }
    }
}
