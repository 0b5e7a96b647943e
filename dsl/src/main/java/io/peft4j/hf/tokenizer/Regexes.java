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

    /** The patterns the model families ship (GPT-2's, Llama 3's, Qwen2's): linear-time, matched without a guard. */
    private static final java.util.Set<String> KNOWN = java.util.Set.of(
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    /** Time one match of an unknown pattern may take before it counts as catastrophic backtracking (tests shorten it). */
    static volatile long guardNanos = 10_000_000_000L;

    /** Whether matching {@code p} needs the time guard (a pattern from a stranger's file, not a known family's). */
    static boolean needsGuard(Pattern p) {
        return !KNOWN.contains(p.pattern()) && (p.flags() & Pattern.LITERAL) == 0 && !p.pattern().startsWith("\\Q");
    }

    /** The text a matcher of {@code p} should scan: {@code s} itself, or a view that ends runaway matching. */
    static CharSequence input(Pattern p, String s) { return needsGuard(p) ? new Guarded(s) : s; }

    /** A string view that throws once a regex has spent {@link #guardNanos} on it. */
    static final class Guarded implements CharSequence {
        private final String s;
        private final long deadline;
        private int reads;

        Guarded(String s) { this(s, System.nanoTime() + guardNanos); }

        private Guarded(String s, long deadline) { this.s = s; this.deadline = deadline; }

        @Override public int length() { return s.length(); }

        @Override public char charAt(int i) {
            if ((++reads & 0xFFFF) == 0 && System.nanoTime() > deadline)
                throw new IllegalStateException("a tokenizer.json regex ran longer than " + guardNanos / 1_000_000 + " ms on a text of "
                    + s.length() + " characters (catastrophic backtracking)");
            return s.charAt(i);
        }

        @Override public CharSequence subSequence(int a, int b) { return new Guarded(s.substring(a, b), deadline); }

        @Override public String toString() { return s; }
    }
}
