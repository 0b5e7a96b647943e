package io.peft4j.hf.tokenizer;

/** Character classes as Rust's {@code regex} crate and {@code char} define them (what tokenizers uses). */
final class Unicode {
    private Unicode() {}

    /** Unicode White_Space (Rust {@code char::is_whitespace}, regex {@code \s}). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
            || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** Rust regex {@code \w}: Alphabetic, marks, decimal digits, connector punctuation, joiners. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp)) return true;
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || t == Character.COMBINING_SPACING_MARK
            || t == Character.DECIMAL_DIGIT_NUMBER || t == Character.CONNECTOR_PUNCTUATION || cp == 0x200C || cp == 0x200D;
    }

    /** Length of the whitespace run at the start of {@code s} from {@code from}, in chars. */
    static int leadingWhiteSpace(CharSequence s, int from, int to) {
        int i = from;
        while (i < to) {
            int cp = Character.codePointAt(s, i);
            if (!isWhiteSpace(cp)) break;
            i += Character.charCount(cp);
        }
        return i - from;
    }

    /** Start of the whitespace run that ends at {@code to} (searching no further left than {@code from}). */
    static int trailingWhiteSpaceStart(CharSequence s, int from, int to) {
        int i = to;
        while (i > from) {
            int cp = Character.codePointBefore(s, i);
            if (!isWhiteSpace(cp)) break;
            i -= Character.charCount(cp);
        }
        return i;
    }

    /** {@code s} with lone surrogates replaced by U+FFFD (Rust strings cannot hold them). */
    static String sanitize(String s) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) break;
            i++;
        }
        if (i == n) return s;
        StringBuilder sb = new StringBuilder(n).append(s, 0, i);
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(i + 1));
                i += 2;
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
                i++;
            }
        }
        return sb.toString();
    }
}
