package io.peft4j.hf.chat;

/**
 * Jinja2's source-level whitespace rules, applied before jinjava sees the template (whose own
 * {@code lstrip_blocks} strips spaces before any tag, not only at the start of a line):
 * <ul>
 *   <li>line endings normalized to \n and one trailing newline dropped (Jinja2's
 *       {@code keep_trailing_newline=False});</li>
 *   <li>{@code lstrip_blocks}: spaces and tabs from the start of a line up to a block tag or
 *       comment are removed (not before {@code {%+}, {@code {%-} or {@code {{});</li>
 *   <li>{@code trim_blocks}: the newline right after a block tag or comment is removed (not after
 *       {@code +%}} or {@code -%}});</li>
 *   <li>the {@code +} markers are dropped; {@code -} markers are left to jinjava; the body of
 *       {@code {% raw %}} is left alone.</li>
 * </ul>
 */
final class Jinja2Whitespace {
    private Jinja2Whitespace() {}

    static String apply(String source) {
        String src = Sandbox.jinjaSource(source);
        int n = src.length();
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        boolean lineStarting = true;
        while (i < n) {
            int j = nextTag(src, i);
            if (j < 0) { out.append(src, i, n); break; }
            char kind = src.charAt(j + 1);
            char sign = j + 2 < n ? src.charAt(j + 2) : 0;
            String text = src.substring(i, j);
            if (kind != '{' && sign != '-' && sign != '+') {
                int lpos = text.lastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.length() && isBlank(text, lpos)) text = text.substring(0, lpos);
            }
            out.append(text);
            int end = tagEnd(src, j, kind);
            if (end < 0) { out.append(src, j, n); break; }   // unclosed: jinjava reports it
            String tag = src.substring(j, end);
            if (sign == '+') tag = tag.substring(0, 2) + tag.substring(3);
            boolean plusEnd = kind != '{' && tag.length() >= 5 && tag.charAt(tag.length() - 3) == '+';
            boolean minusEnd = kind != '{' && tag.length() >= 5 && tag.charAt(tag.length() - 3) == '-';
            if (plusEnd) tag = tag.substring(0, tag.length() - 3) + tag.substring(tag.length() - 2);
            out.append(tag);
            i = end;
            lineStarting = false;
            if (kind != '{' && !plusEnd && !minusEnd && i < n && src.charAt(i) == '\n') {
                i++;
                lineStarting = true;
            }
            if (kind == '%' && isRaw(tag)) {
                int close = endRaw(src, i);
                if (close < 0) { out.append(src, i, n); break; }
                out.append(src, i, close);
                i = close;
                lineStarting = false;
            }
        }
        return out.toString();
    }

    private static int nextTag(String s, int from) {
        for (int k = s.indexOf('{', from); k >= 0 && k + 1 < s.length(); k = s.indexOf('{', k + 1)) {
            char c = s.charAt(k + 1);
            if (c == '{' || c == '%' || c == '#') return k;
        }
        return -1;
    }

    /** Index just past the tag starting at {@code j}, string literals respected; -1 when unclosed. */
    private static int tagEnd(String s, int j, char kind) {
        int n = s.length();
        if (kind == '#') {
            int e = s.indexOf("#}", j + 2);
            return e < 0 ? -1 : e + 2;
        }
        char close = kind == '{' ? '}' : '%';
        char quote = 0;
        for (int k = j + 2; k < n; k++) {
            char c = s.charAt(k);
            if (quote != 0) {
                if (c == '\\') k++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == close && k + 1 < n && s.charAt(k + 1) == '}') {
                return k + 2;
            }
        }
        return -1;
    }

    /** The filter and test names a template uses: {@code [filters, tests]} (string literals and raw blocks skipped). */
    static java.util.List<java.util.Set<String>> filtersAndTests(String source) {
        String src = apply(source);
        java.util.Set<String> filters = new java.util.TreeSet<>(), tests = new java.util.TreeSet<>();
        int n = src.length();
        int i = 0;
        while (i < n) {
            int j = nextTag(src, i);
            if (j < 0) break;
            char kind = src.charAt(j + 1);
            int end = tagEnd(src, j, kind);
            if (end < 0) break;
            if (kind != '#') scanExpression(src.substring(j + 2, end - 2), filters, tests);
            i = end;
            if (kind == '%' && isRaw(src.substring(j, end))) {
                int close = endRaw(src, i);
                if (close < 0) break;
                i = close;
            }
        }
        return java.util.List.of(filters, tests);
    }

    private static void scanExpression(String e, java.util.Set<String> filters, java.util.Set<String> tests) {
        StringBuilder code = new StringBuilder(e.length());   // the expression with string literals blanked
        char quote = 0;
        for (int k = 0; k < e.length(); k++) {
            char c = e.charAt(k);
            if (quote != 0) {
                if (c == '\\') k++;
                else if (c == quote) quote = 0;
                code.append(' ');
            } else if (c == '\'' || c == '"') {
                quote = c;
                code.append(' ');
            } else {
                code.append(c);
            }
        }
        java.util.regex.Matcher m = FILTER.matcher(code);
        while (m.find()) filters.add(m.group(1));
        m = TEST.matcher(code);
        while (m.find()) tests.add(m.group(1));
    }

    private static final java.util.regex.Pattern FILTER = java.util.regex.Pattern.compile("\\|\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final java.util.regex.Pattern TEST = java.util.regex.Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_][A-Za-z0-9_]*)");

    private static boolean isRaw(String tag) {
        String body = tag.substring(2, tag.length() - 2).replace("-", "").replace("+", "").strip();
        return body.equals("raw");
    }

    private static final java.util.regex.Pattern END_RAW = java.util.regex.Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%\\}");

    private static int endRaw(String s, int from) {
        java.util.regex.Matcher m = END_RAW.matcher(s);
        return m.find(from) ? m.start() : -1;
    }

    private static boolean isBlank(String s, int from) {
        for (int k = from; k < s.length(); k++) if (!Py.isSpace(s.charAt(k))) return false;
        return true;
    }
}
