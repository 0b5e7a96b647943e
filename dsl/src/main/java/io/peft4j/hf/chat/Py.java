package io.peft4j.hf.chat;

import com.hubspot.jinjava.objects.Namespace;
import com.hubspot.jinjava.objects.SafeString;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Python semantics for the values a chat template sees: {@code str}/{@code repr} formatting,
 * truthiness, {@code json.dumps} (transformers' {@code tojson}), and the {@code str}, {@code dict}
 * and {@code list} methods Jinja2's sandbox lets templates call. Values are Java objects: String,
 * Long/Integer, Double, Boolean, List, Map (insertion-ordered), and null for both None and
 * undefined.
 */
final class Py {
    private Py() {}

    /** A Python tuple (what dict.items(), dictsort and partition give): a list printed with parentheses. */
    static final class Tuple extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;

        Tuple(Object... items) { super(java.util.Arrays.asList(items)); }
    }

    // ---- truthiness and types ------------------------------------------------------------------

    static boolean truthy(Object o) {
        o = unwrap(o);
        if (o == null) return false;
        if (o instanceof Boolean b) return b;
        if (o instanceof Number n) return n.doubleValue() != 0.0;
        if (o instanceof CharSequence s) return s.length() > 0;
        if (o instanceof Collection<?> c) return !c.isEmpty();
        if (o instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    static Object unwrap(Object o) { return o instanceof SafeString s ? s.toString() : o; }

    static boolean isInt(Object o) { return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte; }

    static boolean isString(Object o) { return o instanceof CharSequence; }

    static long toLong(Object o, String what) {
        o = unwrap(o);
        if (isInt(o)) return ((Number) o).longValue();
        if (o instanceof Boolean b) return b ? 1 : 0;
        throw new IllegalArgumentException(what + " must be an integer, not " + typeName(o));
    }

    static String typeName(Object o) {
        o = unwrap(o);
        if (o == null) return "NoneType";
        if (o instanceof String) return "str";
        if (o instanceof Boolean) return "bool";
        if (isInt(o)) return "int";
        if (o instanceof Number) return "float";
        if (o instanceof List) return "list";
        if (o instanceof Map) return "dict";
        return "object";
    }

    // ---- formatting --------------------------------------------------------------------------------

    /** Python's {@code str(o)}; None and undefined (both null) print as the empty string, as undefined does in Jinja2. */
    static String str(Object o) {
        o = unwrap(o);
        if (o == null) return "";
        if (o instanceof String s) return s;
        return repr(o);
    }

    /** Python's {@code repr(o)}. */
    static String repr(Object o) {
        o = unwrap(o);
        if (o == null) return "None";
        if (o instanceof String s) return reprString(s);
        if (o instanceof Boolean b) return b ? "True" : "False";
        if (isInt(o)) return o.toString();
        if (o instanceof Number n) return floatRepr(n.doubleValue());
        if (o instanceof Namespace ns) return "<Namespace " + reprMap(ns) + ">";
        if (o instanceof Map<?, ?> m) return reprMap(m);
        if (o instanceof Tuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(t.get(i)));
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (o instanceof Collection<?> c) {
            StringBuilder sb = new StringBuilder("[");
            boolean first = true;
            for (Object e : c) {
                if (!first) sb.append(", ");
                sb.append(repr(e));
                first = false;
                Budget.string(sb.length());
            }
            return sb.append(']').toString();
        }
        return String.valueOf(o);
    }

    private static String reprMap(Map<?, ?> m) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) sb.append(", ");
            sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            first = false;
            Budget.string(sb.length());
        }
        return sb.append('}').toString();
    }

    static String reprString(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(q);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == q || cp == '\\') sb.append('\\').appendCodePoint(cp);
            else if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (cp == '\t') sb.append("\\t");
            else if (isPrintable(cp)) sb.appendCodePoint(cp);
            else if (cp < 0x100) sb.append(String.format("\\x%02x", cp));
            else if (cp < 0x10000) sb.append(String.format("\\u%04x", cp));
            else sb.append(String.format("\\U%08x", cp));
        }
        return sb.append(q).toString();
    }

    /** Python's str.isprintable for one character. */
    static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        int t = Character.getType(cp);
        return !(t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE || t == Character.PRIVATE_USE
            || t == Character.UNASSIGNED || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
            || t == Character.SPACE_SEPARATOR);
    }

    /** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale();   // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
        if (digits.length() <= exp + 1) return sign + digits + "0".repeat(exp + 1 - digits.length()) + ".0";
        return sign + digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
    }

    // ---- json.dumps ----------------------------------------------------------------------------

    /** {@code json.dumps(o, ensure_ascii, indent, separators, sort_keys)} as transformers' tojson calls it. */
    static String json(Object o, boolean ensureAscii, Integer indent, String itemSep, String keySep, boolean sortKeys) {
        if (itemSep == null) itemSep = indent == null ? ", " : ",";
        if (keySep == null) keySep = ": ";
        StringBuilder sb = new StringBuilder();
        json(sb, o, ensureAscii, indent, itemSep, keySep, sortKeys, 0);
        return sb.toString();
    }

    private static void json(StringBuilder sb, Object o, boolean ascii, Integer indent, String itemSep, String keySep, boolean sort, int depth) {
        Budget.string(sb.length());
        if (depth > 200) throw new IllegalArgumentException("tojson: value nested more than 200 levels deep");
        o = unwrap(o);
        if (o == null) { sb.append("null"); return; }
        if (o instanceof Boolean b) { sb.append(b ? "true" : "false"); return; }
        if (isInt(o)) { sb.append(o); return; }
        if (o instanceof Number n) {
            double d = n.doubleValue();
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
            return;
        }
        if (o instanceof CharSequence s) { jsonString(sb, s.toString(), ascii); return; }
        if (o instanceof Map<?, ?> m) {
            if (m.isEmpty()) { sb.append("{}"); return; }
            Iterable<? extends Map.Entry<?, ?>> entries = m.entrySet();
            if (sort) {
                TreeMap<String, Object> t = new TreeMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) t.put(jsonKey(e.getKey()), e.getValue());
                entries = t.entrySet();
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) sb.append(itemSep);
                newline(sb, indent, depth + 1);
                jsonString(sb, jsonKey(e.getKey()), ascii);
                sb.append(keySep);
                json(sb, e.getValue(), ascii, indent, itemSep, keySep, sort, depth + 1);
                first = false;
            }
            newline(sb, indent, depth);
            sb.append('}');
            return;
        }
        if (o instanceof Collection<?> c) {
            if (c.isEmpty()) { sb.append("[]"); return; }
            sb.append('[');
            boolean first = true;
            for (Object e : c) {
                if (!first) sb.append(itemSep);
                newline(sb, indent, depth + 1);
                json(sb, e, ascii, indent, itemSep, keySep, sort, depth + 1);
                first = false;
            }
            newline(sb, indent, depth);
            sb.append(']');
            return;
        }
        throw new IllegalArgumentException("tojson: object of type " + typeName(o) + " is not JSON serializable");
    }

    private static String jsonKey(Object k) {
        k = unwrap(k);
        if (k instanceof String s) return s;
        if (k == null) return "null";
        if (k instanceof Boolean b) return b ? "true" : "false";
        if (k instanceof Number) return repr(k);
        throw new IllegalArgumentException("tojson: keys must be str, int, float, bool or None, not " + typeName(k));
    }

    private static void newline(StringBuilder sb, Integer indent, int depth) {
        if (indent == null) return;
        sb.append('\n');
        sb.append(" ".repeat(Math.max(0, indent) * depth));
    }

    static void jsonString(StringBuilder sb, String s, boolean ascii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7E)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    // ---- str methods ----------------------------------------------------------------------------

    /** Python whitespace (str.isspace): Unicode White_Space plus the separators U+001C..U+001F. */
    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
            || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0, to = s.length();
        if (left) while (from < to && stripped(s.codePointAt(from), chars)) from += Character.charCount(s.codePointAt(from));
        if (right) while (to > from && stripped(s.codePointBefore(to), chars)) to -= Character.charCount(s.codePointBefore(to));
        return s.substring(from, to);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(cp) >= 0 || (Character.isSupplementaryCodePoint(cp) && chars.contains(new String(Character.toChars(cp))));
    }

    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(s.substring(i));   // the remainder keeps its trailing whitespace, as in Python
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.codePointAt(j))) j += Character.charCount(s.codePointAt(j));
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int i = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) break;
            out.add(s.substring(i, j));
            i = j + sep.length();
            Budget.collection(out.size());
        }
        out.add(s.substring(i));
        return out;
    }

    static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0) return split(s, sep, -1);
        if (sep == null) {
            List<Object> out = new ArrayList<>();
            int end = s.length();
            while (true) {
                while (end > 0 && isSpace(s.codePointBefore(end))) end -= Character.charCount(s.codePointBefore(end));
                if (end == 0) break;
                if (out.size() >= maxsplit) {
                    out.add(0, s.substring(0, end));   // the remainder keeps its leading whitespace, as in Python
                    break;
                }
                int start = end;
                while (start > 0 && !isSpace(s.codePointBefore(start))) start -= Character.charCount(s.codePointBefore(start));
                out.add(0, s.substring(start, end));
                end = start;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            if (end - sep.length() < 0) break;
            int j = s.lastIndexOf(sep, end - sep.length());
            if (j < 0) break;
            out.add(0, s.substring(j + sep.length(), end));
            end = j;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    /** Python's str.title: a cased character after a cased one is lower-cased (a capital sigma ending a word becomes ς), any other is title-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (prevCased && cp == 0x3A3) sb.append(finalSigma(s, i) ? '\u03C2' : '\u03C3');
            else if (prevCased) sb.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            else sb.appendCodePoint(Character.toTitleCase(cp));
            prevCased = isCased(cp);
        }
        return sb.toString();
    }

    /** Unicode's Final_Sigma condition after the sigma: no cased letter follows (case-ignorable characters skipped). */
    private static boolean finalSigma(String s, int after) {
        for (int j = after; j < s.length(); ) {
            int cp = s.codePointAt(j);
            j += Character.charCount(cp);
            if (isCaseIgnorable(cp)) continue;
            return !isCased(cp);
        }
        return true;
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    private static boolean isCaseIgnorable(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || t == Character.FORMAT
            || t == Character.MODIFIER_LETTER || t == Character.MODIFIER_SYMBOL
            || cp == '\'' || cp == '.' || cp == ':' || cp == 0xB7 || cp == 0x2019 || cp == 0x2018 || cp == 0xAD;
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int cp = s.codePointAt(0);
        int n = Character.charCount(cp);
        String first = Character.isLetter(cp) ? new String(Character.toChars(Character.toTitleCase(cp))) : new String(Character.toChars(cp));
        return first + s.substring(n).toLowerCase(Locale.ROOT);
    }

    static String replace(String s, String old, String repl, long count) {
        if (count < 0) count = Long.MAX_VALUE;
        if (old.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            long done = 0;
            for (int i = 0; i <= s.length(); i++) {
                if (done < count) { sb.append(repl); done++; }
                if (i < s.length()) sb.append(s.charAt(i));
                Budget.string(sb.length());
            }
            return sb.toString();
        }
        StringBuilder sb = new StringBuilder(s.length());
        int i = 0;
        long done = 0;
        while (done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) break;
            sb.append(s, i, j).append(repl);
            Budget.string(sb.length());
            i = j + old.length();
            done++;
        }
        return sb.append(s, i, s.length()).toString();
    }

    /** Calls a Python str method; throws {@link NoSuchMethodError}-free IllegalArgumentException for unknown names. */
    static Object strMethod(String s, String name, Object[] a) {
        Budget.tick();
        switch (name) {
            case "startswith", "endswith" -> {
                argc(name, a, 1, 3);
                int len = s.codePointCount(0, s.length());
                int start = a.length > 1 && a[1] != null ? index((int) toLong(a[1], "start"), len) : 0;
                int end = a.length > 2 && a[2] != null ? index((int) toLong(a[2], "end"), len) : len;
                String sub = end >= start ? s.substring(s.offsetByCodePoints(0, start), s.offsetByCodePoints(0, end)) : "";
                List<Object> options = a[0] instanceof List<?> l ? new ArrayList<>(l) : List.of(a[0] == null ? "None" : a[0]);
                for (Object p : options) {
                    if (!(unwrap(p) instanceof String ps)) throw new IllegalArgumentException(name + " first arg must be str or a tuple of str, not " + typeName(p));
                    if (name.equals("startswith") ? sub.startsWith(ps) : sub.endsWith(ps)) return true;
                }
                return false;
            }
            case "strip", "lstrip", "rstrip" -> {
                argc(name, a, 0, 1);
                String chars = a.length > 0 && a[0] != null ? stringArg(name, a[0]) : null;
                return strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split", "rsplit" -> {
                argc(name, a, 0, 2);
                String sep = a.length > 0 && a[0] != null ? stringArg(name, a[0]) : null;
                long max = a.length > 1 ? toLong(a[1], "maxsplit") : -1;
                return name.equals("split") ? split(s, sep, max) : rsplit(s, sep, max);
            }
            case "splitlines" -> {
                argc(name, a, 0, 1);
                return splitlines(s, a.length > 0 && truthy(a[0]));
            }
            case "upper" -> { argc(name, a, 0, 0); return s.toUpperCase(Locale.ROOT); }
            case "lower" -> { argc(name, a, 0, 0); return s.toLowerCase(Locale.ROOT); }
            case "casefold" -> { argc(name, a, 0, 0); return s.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT); }
            case "swapcase" -> {
                argc(name, a, 0, 0);
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> {
                    String c = new String(Character.toChars(cp));
                    sb.append(Character.isUpperCase(cp) ? c.toLowerCase(Locale.ROOT) : Character.isLowerCase(cp) ? c.toUpperCase(Locale.ROOT) : c);
                });
                return sb.toString();
            }
            case "title" -> { argc(name, a, 0, 0); return title(s); }
            case "capitalize" -> { argc(name, a, 0, 0); return capitalize(s); }
            case "replace" -> {
                argc(name, a, 2, 3);
                return replace(s, stringArg(name, a[0]), stringArg(name, a[1]), a.length > 2 ? toLong(a[2], "count") : -1);
            }
            case "find", "rfind", "index", "rindex", "count" -> {
                argc(name, a, 1, 3);
                String sub = stringArg(name, a[0]);
                int len = s.codePointCount(0, s.length());
                int start = a.length > 1 && a[1] != null ? index((int) toLong(a[1], "start"), len) : 0;
                int end = a.length > 2 && a[2] != null ? index((int) toLong(a[2], "end"), len) : len;
                String hay = end >= start ? s.substring(s.offsetByCodePoints(0, start), s.offsetByCodePoints(0, end)) : "";
                if (name.equals("count")) {
                    if (sub.isEmpty()) return (long) hay.codePointCount(0, hay.length()) + 1;
                    long c = 0;
                    for (int i = hay.indexOf(sub); i >= 0; i = hay.indexOf(sub, i + sub.length())) c++;
                    return c;
                }
                int at = name.startsWith("r") ? hay.lastIndexOf(sub) : hay.indexOf(sub);
                if (at < 0) {
                    if (name.endsWith("index")) throw new IllegalArgumentException("substring not found");
                    return -1L;
                }
                return (long) (hay.codePointCount(0, at) + start);   // Python indexes code points
            }
            case "join" -> {
                argc(name, a, 1, 1);
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object e : iterate(a[0])) {
                    if (!(unwrap(e) instanceof String es)) throw new IllegalArgumentException("sequence item: expected str instance, " + typeName(e) + " found");
                    if (!first) sb.append(s);
                    sb.append(es);
                    first = false;
                    Budget.string(sb.length());
                }
                return sb.toString();
            }
            case "isdigit", "isnumeric", "isdecimal" -> {
                argc(name, a, 0, 0);
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            }
            case "isalpha" -> { argc(name, a, 0, 0); return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter); }
            case "isalnum" -> { argc(name, a, 0, 0); return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit); }
            case "isspace" -> { argc(name, a, 0, 0); return !s.isEmpty() && s.codePoints().allMatch(Py::isSpace); }
            case "islower" -> {
                argc(name, a, 0, 0);
                return s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(cp -> Character.isUpperCase(cp) || Character.isTitleCase(cp));
            }
            case "isupper" -> {
                argc(name, a, 0, 0);
                return s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(cp -> Character.isLowerCase(cp) || Character.isTitleCase(cp));
            }
            case "removeprefix" -> { argc(name, a, 1, 1); String p = stringArg(name, a[0]); return s.startsWith(p) ? s.substring(p.length()) : s; }
            case "removesuffix" -> { argc(name, a, 1, 1); String p = stringArg(name, a[0]); return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s; }
            case "partition", "rpartition" -> {
                argc(name, a, 1, 1);
                String sep = stringArg(name, a[0]);
                if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
                int at = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (at < 0) return name.equals("partition") ? new Tuple(s, "", "") : new Tuple("", "", s);
                return new Tuple(s.substring(0, at), sep, s.substring(at + sep.length()));
            }
            case "center", "ljust", "rjust" -> {
                argc(name, a, 1, 2);
                long w = toLong(a[0], "width");
                Budget.string(w);
                String fill = a.length > 1 ? stringArg(name, a[1]) : " ";
                int pad = (int) Math.max(0, w - s.codePointCount(0, s.length()));
                if (name.equals("ljust")) return s + fill.repeat(pad);
                if (name.equals("rjust")) return fill.repeat(pad) + s;
                int left = pad / 2 + (pad & (int) w & 1);
                return fill.repeat(left) + s + fill.repeat(pad - left);
            }
            case "zfill" -> {
                argc(name, a, 1, 1);
                long w = toLong(a[0], "width");
                Budget.string(w);
                int pad = (int) Math.max(0, w - s.length());
                if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) return s.charAt(0) + "0".repeat(pad) + s.substring(1);
                return "0".repeat(pad) + s;
            }
            case "format" -> throw new IllegalArgumentException("str.format is not supported in chat templates here");
            default -> throw new IllegalArgumentException("'str' object has no attribute '" + name + "'");
        }
    }

    private static List<Object> list(Object... xs) { return new ArrayList<>(List.of(xs)); }

    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int start = 0, i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            int eol = -1;
            if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') eol = 2;
            else if (c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029) eol = 1;
            if (eol > 0) {
                out.add(s.substring(start, keepends ? i + eol : i));
                i += eol;
                start = i;
            } else {
                i++;
            }
        }
        if (start < n) out.add(s.substring(start));
        return out;
    }

    static String stringArg(String method, Object o) {
        o = unwrap(o);
        if (o instanceof String s) return s;
        throw new IllegalArgumentException(method + "() argument must be str, not " + typeName(o));
    }

    private static void argc(String name, Object[] a, int min, int max) {
        if (a.length < min || a.length > max)
            throw new IllegalArgumentException(name + "() takes " + (min == max ? String.valueOf(min) : min + " to " + max) + " arguments (" + a.length + " given)");
    }

    /** A Python index (negative from the end) clamped as slices clamp it. */
    static int index(int i, int len) {
        if (i < 0) i += len;
        return Math.max(0, Math.min(len, i));
    }

    // ---- dict and list methods ------------------------------------------------------------------

    static Object dictMethod(Map<?, ?> m, String name, Object[] a) {
        Budget.tick();
        switch (name) {
            case "items" -> {
                argc(name, a, 0, 0);
                List<Object> out = new ArrayList<>(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(new Tuple(e.getKey(), e.getValue()));
                return out;
            }
            case "keys" -> { argc(name, a, 0, 0); return new ArrayList<Object>(m.keySet()); }
            case "values" -> { argc(name, a, 0, 0); return new ArrayList<Object>(m.values()); }
            case "get" -> {
                argc(name, a, 1, 2);
                Object k = unwrap(a[0]);
                return m.containsKey(k) ? m.get(k) : a.length > 1 ? a[1] : null;
            }
            case "copy" -> { argc(name, a, 0, 0); return new java.util.LinkedHashMap<Object, Object>(m); }
            default -> {
                if (isMutator(name)) throw new IllegalArgumentException("access to attribute '" + name + "' of 'dict' object is unsafe (templates cannot change their inputs)");
                throw new IllegalArgumentException("'dict' object has no attribute '" + name + "'");
            }
        }
    }

    static Object listMethod(List<?> l, String name, Object[] a) {
        Budget.tick();
        switch (name) {
            case "index" -> {
                argc(name, a, 1, 1);
                for (int i = 0; i < l.size(); i++) if (eq(l.get(i), a[0])) return (long) i;
                throw new IllegalArgumentException(repr(a[0]) + " is not in list");
            }
            case "count" -> {
                argc(name, a, 1, 1);
                long c = 0;
                for (Object e : l) if (eq(e, a[0])) c++;
                return c;
            }
            case "copy" -> { argc(name, a, 0, 0); return new ArrayList<Object>(l); }
            default -> {
                if (isMutator(name)) throw new IllegalArgumentException("access to attribute '" + name + "' of 'list' object is unsafe (templates cannot change their inputs)");
                throw new IllegalArgumentException("'list' object has no attribute '" + name + "'");
            }
        }
    }

    private static boolean isMutator(String name) {
        return switch (name) {
            case "append", "extend", "insert", "pop", "popitem", "remove", "clear", "sort", "reverse", "update", "setdefault", "__setitem__", "__delitem__" -> true;
            default -> false;
        };
    }

    /** Python equality for template values (1 == 1.0, True == 1). */
    static boolean eq(Object a, Object b) {
        a = unwrap(a);
        b = unwrap(b);
        if (a instanceof Number x && b instanceof Number y) return x.doubleValue() == y.doubleValue();
        if (a instanceof Boolean x && b instanceof Number y) return (x ? 1 : 0) == y.doubleValue();
        if (a instanceof Number x && b instanceof Boolean y) return x.doubleValue() == (y ? 1 : 0);
        return Objects.equals(a, b);
    }

    /** The items a for loop over {@code o} sees (a string's characters, a dict's keys). */
    static Iterable<Object> iterate(Object o) {
        o = unwrap(o);
        if (o == null) return List.of();
        if (o instanceof String s) {
            List<Object> out = new ArrayList<>(s.length());
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            return out;
        }
        if (o instanceof Map<?, ?> m) return new ArrayList<Object>(m.keySet());
        if (o instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            for (Iterator<?> i = it.iterator(); i.hasNext(); ) out.add(i.next());
            return out;
        }
        if (o.getClass().isArray() && o instanceof Object[] arr) return new ArrayList<>(List.of(arr));
        throw new IllegalArgumentException("'" + typeName(o) + "' object is not iterable");
    }
}
