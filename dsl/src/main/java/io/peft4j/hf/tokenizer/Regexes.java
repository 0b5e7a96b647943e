package io.peft4j.hf.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regular expressions of {@code tokenizer.json} (written for Oniguruma with Ruby
 * syntax, as tokenizers compiles them) for {@link java.util.regex}: Unicode character classes
 * ({@code \s} is White_Space, {@code \w}/{@code \d} Unicode, case-insensitive groups fold Unicode
 * case, so {@code (?i:'s)} matches {@code 'ſ} as in Oniguruma), Ruby's {@code \h}/{@code \H}
 * (hex digits) rewritten. Patterns Java cannot compile are an {@link IllegalArgumentException}.
 */
final class Regexes {
    private Regexes() {}

    static Pattern compile(String onig) {
        StringBuilder sb = new StringBuilder(onig.length());
        for (int i = 0; i < onig.length(); i++) {
            char c = onig.charAt(i);
            if (c == '\\' && i + 1 < onig.length()) {
                char d = onig.charAt(++i);
                if (d == 'h') sb.append("[0-9a-fA-F]");
                else if (d == 'H') sb.append("[^0-9a-fA-F]");
                else sb.append(c).append(d);
            } else {
                sb.append(c);
            }
        }
        try {
            return Pattern.compile(sb.toString(), Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("regex /" + onig + "/ is not supported: " + e.getDescription());
        }
    }

    /** A literal string as a pattern. */
    static Pattern literal(String s) { return Pattern.compile(Pattern.quote(s)); }
}
