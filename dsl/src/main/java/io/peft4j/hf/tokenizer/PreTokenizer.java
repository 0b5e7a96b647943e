package io.peft4j.hf.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} pre-tokenizer: splits a stretch of normalized text into the words the
 * model encodes one by one (and may rewrite them, as the byte-level mapping does). Empty words are
 * dropped, as in tokenizers.
 */
sealed interface PreTokenizer {
    /**
     * A word on its way to the model. {@code atStart}: it begins at offset 0 of the original text
     * (what Metaspace's {@code prepend_scheme: "first"} asks).
     */
    record Piece(String text, boolean atStart) {}

    /** Appends the pieces {@code in} splits into to {@code out}. */
    void split(Piece in, List<Piece> out);

    /** How a split treats the matched delimiters (tokenizers' SplitDelimiterBehavior). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** GPT-2's pattern, which the ByteLevel pre-tokenizer applies when {@code use_regex} is on. */
    Pattern GPT2 = Regexes.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /**
     * ByteLevel: an optional leading space, GPT-2's regex split, then every piece written as its
     * UTF-8 bytes' characters ({@link ByteLevel}).
     */
    record Bytes(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override public void split(Piece in, List<Piece> out) {
            String s = in.text();
            if (addPrefixSpace && !s.startsWith(" ")) s = " " + s;
            if (!useRegex) {
                if (!s.isEmpty()) out.add(new Piece(ByteLevel.encode(s), in.atStart()));
                return;
            }
            Matcher m = GPT2.matcher(s);
            int prev = 0;
            boolean first = true;
            while (m.find()) {
                if (m.start() > prev) { out.add(new Piece(ByteLevel.encode(s.substring(prev, m.start())), first && in.atStart())); first = false; }
                if (m.end() > m.start()) { out.add(new Piece(ByteLevel.encode(s.substring(m.start(), m.end())), first && in.atStart())); first = false; }
                prev = m.end();
            }
            if (prev < s.length()) out.add(new Piece(ByteLevel.encode(s.substring(prev)), first && in.atStart()));
        }
    }

    /** Split on a pattern (literal or regex) with a delimiter behaviour, optionally inverted. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override public void split(Piece in, List<Piece> out) {
            splitBy(in, out, matches(pattern, in.text(), invert), behavior);
        }
    }

    /**
     * Metaspace: spaces become the replacement character, which is prepended ({@code always}; or
     * {@code first}: only to the piece at the very start of the text; {@code never}) unless the
     * piece already starts with it; then optionally split before each replacement character.
     */
    record Metaspace(char replacement, String prependScheme, boolean splitWords) implements PreTokenizer {
        @Override public void split(Piece in, List<Piece> out) {
            String s = in.text().replace(' ', replacement);
            boolean prepend = switch (prependScheme) {
                case "always" -> true;
                case "first" -> in.atStart();
                default -> false;
            };
            if (prepend && (s.isEmpty() || s.charAt(0) != replacement)) s = replacement + s;
            Piece p = new Piece(s, in.atStart());
            if (!splitWords) {
                if (!s.isEmpty()) out.add(p);
                return;
            }
            List<int[]> ms = new ArrayList<>();
            int prev = 0;
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) == replacement) {
                    if (prev < i) ms.add(new int[]{prev, i, 0});
                    ms.add(new int[]{i, i + 1, 1});
                    prev = i + 1;
                }
            }
            if (prev < s.length()) ms.add(new int[]{prev, s.length(), 0});
            splitBy(p, out, ms, Behavior.MERGED_WITH_NEXT);
        }
    }

    /** Digits: each digit alone, or runs of digits together. */
    record Digits(boolean individualDigits) implements PreTokenizer {
        @Override public void split(Piece in, List<Piece> out) {
            String s = in.text();
            List<int[]> ms = new ArrayList<>();
            int prev = 0;
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                int n = Character.charCount(cp);
                int t = Character.getType(cp);   // Rust char::is_numeric: Nd, Nl, No
                if (t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER) {
                    if (prev < i) ms.add(new int[]{prev, i, 0});
                    ms.add(new int[]{i, i + n, 1});
                    prev = i + n;
                }
                i += n;
            }
            if (prev < s.length()) ms.add(new int[]{prev, s.length(), 0});
            splitBy(in, out, ms, individualDigits ? Behavior.ISOLATED : Behavior.CONTIGUOUS);
        }
    }

    /** Pre-tokenizers applied in order, each to every piece the previous one produced. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public Sequence { steps = List.copyOf(steps); }

        @Override public void split(Piece in, List<Piece> out) {
            List<Piece> cur = new ArrayList<>(List.of(in));
            for (PreTokenizer p : steps) {
                List<Piece> next = new ArrayList<>(cur.size() * 2);
                for (Piece x : cur) p.split(x, next);
                cur = next;
            }
            out.addAll(cur);
        }
    }

    /** Matches of a pattern as [start, end, isMatch] covering the whole string (tokenizers' find_matches). */
    static List<int[]> matches(Pattern p, String s, boolean invert) {
        List<int[]> ms = new ArrayList<>();
        if (s.isEmpty()) { ms.add(new int[]{0, 0, invert ? 1 : 0}); return ms; }
        Matcher m = p.matcher(Regexes.input(p, s));
        int prev = 0;
        int yes = invert ? 0 : 1, no = invert ? 1 : 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (prev != m.start()) ms.add(new int[]{prev, m.start(), no});
            ms.add(new int[]{m.start(), m.end(), yes});
            prev = m.end();
        }
        if (prev != s.length()) ms.add(new int[]{prev, s.length(), no});
        return ms;
    }

    /** tokenizers' NormalizedString::split: applies the behaviour, drops removed and empty parts. */
    static void splitBy(Piece in, List<Piece> out, List<int[]> ms, Behavior behavior) {
        String s = in.text();
        List<int[]> parts = new ArrayList<>(ms.size());   // [start, end, remove]
        switch (behavior) {
            case ISOLATED -> { for (int[] m : ms) parts.add(new int[]{m[0], m[1], 0}); }
            case REMOVED -> { for (int[] m : ms) parts.add(new int[]{m[0], m[1], m[2]}); }
            case CONTIGUOUS -> {
                boolean prevMatch = false;
                for (int[] m : ms) {
                    boolean isMatch = m[2] == 1;
                    if (isMatch == prevMatch && !parts.isEmpty()) parts.get(parts.size() - 1)[1] = m[1];
                    else parts.add(new int[]{m[0], m[1], 0});
                    prevMatch = isMatch;
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean prevMatch = false;
                for (int[] m : ms) {
                    boolean isMatch = m[2] == 1;
                    if (isMatch && !prevMatch && !parts.isEmpty()) parts.get(parts.size() - 1)[1] = m[1];
                    else parts.add(new int[]{m[0], m[1], 0});
                    prevMatch = isMatch;
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean prevMatch = false;
                List<int[]> rev = new ArrayList<>();
                for (int k = ms.size() - 1; k >= 0; k--) {
                    int[] m = ms.get(k);
                    boolean isMatch = m[2] == 1;
                    if (isMatch && !prevMatch && !rev.isEmpty()) rev.get(rev.size() - 1)[0] = m[0];
                    else rev.add(new int[]{m[0], m[1], 0});
                    prevMatch = isMatch;
                }
                for (int k = rev.size() - 1; k >= 0; k--) parts.add(rev.get(k));
            }
        }
        boolean first = true;
        for (int[] p : parts) {
            if (p[2] == 1 || p[1] <= p[0]) continue;
            out.add(new Piece(s.substring(p[0], p[1]), in.atStart() && p[0] == 0 && first));
            first = false;
        }
    }
}
