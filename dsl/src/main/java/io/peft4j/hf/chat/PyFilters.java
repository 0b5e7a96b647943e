package io.peft4j.hf.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Jinja2's built-in filters (and transformers' {@code tojson}) with Python semantics, replacing
 * jinjava's versions where those differ (whitespace, case mapping, number formatting, None
 * handling, JSON layout) or where they could allocate without bound.
 */
final class PyFilters {
    private PyFilters() {}

    /** A filter body: value, positional and keyword arguments. */
    @FunctionalInterface
    interface Body {
        Object apply(Object v, Object[] a, Map<String, Object> kw);
    }

    /** A named filter with a Python body. */
    record Named(String name, Body body) implements Filter {
        @Override public String getName() { return name; }

        @Override public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Budget.tick();
            Object[] a = new Object[args == null ? 0 : args.length];
            for (int i = 0; i < a.length; i++) a[i] = Py.unwrap(args[i]);
            Map<String, Object> kw = new LinkedHashMap<>();
            if (kwargs != null) kwargs.forEach((k, v) -> kw.put(k, Py.unwrap(v)));
            return body.apply(Py.unwrap(var), a, kw);
        }
    }

    private static Object arg(Object[] a, Map<String, Object> kw, int i, String name, Object dflt) {
        if (kw.containsKey(name)) return kw.get(name);
        return i < a.length ? a[i] : dflt;
    }

    private static String s(Object v) { return Py.str(v); }

    static List<Filter> all() {
        List<Filter> f = new ArrayList<>();
        f.add(new Named("trim", (v, a, kw) -> Py.strip(s(v), a.length > 0 && a[0] != null ? Py.stringArg("trim", a[0]) : null, true, true)));
        f.add(new Named("tojson", (v, a, kw) -> {
            Object indent = arg(a, kw, 1, "indent", null);
            Object seps = arg(a, kw, 2, "separators", null);
            String itemSep = null, keySep = null;
            if (seps instanceof List<?> l && l.size() == 2) { itemSep = Py.str(l.get(0)); keySep = Py.str(l.get(1)); }
            Integer ind = indent == null ? null : (int) Py.toLong(indent, "indent");
            return Py.json(v, Py.truthy(arg(a, kw, 0, "ensure_ascii", false)), ind, itemSep, keySep, Py.truthy(arg(a, kw, 3, "sort_keys", false)));
        }));
        f.add(new Named("string", (v, a, kw) -> Py.str(v)));
        f.add(new Named("length", (v, a, kw) -> length(v)));
        f.add(new Named("count", (v, a, kw) -> length(v)));
        f.add(new Named("lower", (v, a, kw) -> s(v).toLowerCase(Locale.ROOT)));
        f.add(new Named("upper", (v, a, kw) -> s(v).toUpperCase(Locale.ROOT)));
        f.add(new Named("capitalize", (v, a, kw) -> Py.capitalize(s(v))));
        f.add(new Named("title", (v, a, kw) -> jinjaTitle(s(v))));
        f.add(new Named("replace", (v, a, kw) -> {
            if (a.length < 2) throw new IllegalArgumentException("replace needs old and new");
            return Py.replace(s(v), s(a[0]), s(a[1]), a.length > 2 && a[2] != null ? Py.toLong(a[2], "count") : -1);
        }));
        f.add(new Named("default", PyFilters::dflt));
        f.add(new Named("d", PyFilters::dflt));
        f.add(new Named("join", (v, a, kw) -> {
            String sep = s(arg(a, kw, 0, "d", ""));
            Object attr = arg(a, kw, 1, "attribute", null);
            StringBuilder sb = new StringBuilder();
            boolean first = true;
            for (Object e : Py.iterate(v)) {
                if (!first) sb.append(sep);
                sb.append(Py.str(attr == null ? e : attribute(e, attr)));
                first = false;
                Budget.string(sb.length());
            }
            return sb.toString();
        }));
        f.add(new Named("list", (v, a, kw) -> list(v)));
        f.add(new Named("first", (v, a, kw) -> { List<Object> l = list(v); return l.isEmpty() ? null : l.get(0); }));
        f.add(new Named("last", (v, a, kw) -> { List<Object> l = list(v); return l.isEmpty() ? null : l.get(l.size() - 1); }));
        f.add(new Named("reverse", (v, a, kw) -> {
            if (v instanceof String str) return new StringBuilder(str).reverse().toString();
            List<Object> l = list(v);
            java.util.Collections.reverse(l);
            return l;
        }));
        f.add(new Named("items", (v, a, kw) -> {
            if (v == null) return new ArrayList<>();
            if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException("items filter: can only get items from a mapping, not " + Py.typeName(v));
            return Py.dictMethod(m, "items", new Object[0]);
        }));
        f.add(new Named("dictsort", (v, a, kw) -> {
            if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException("dictsort: expected a mapping, not " + Py.typeName(v));
            boolean caseSensitive = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
            String by = s(arg(a, kw, 1, "by", "key"));
            boolean reverse = Py.truthy(arg(a, kw, 2, "reverse", false));
            List<Object> items = (List<Object>) Py.dictMethod(m, "items", new Object[0]);
            int pos = by.equals("value") ? 1 : 0;
            Comparator<Object> c = (x, y) -> compare(sortKey(((List<?>) x).get(pos), caseSensitive), sortKey(((List<?>) y).get(pos), caseSensitive));
            items.sort(reverse ? c.reversed() : c);
            return items;
        }));
        f.add(new Named("sort", (v, a, kw) -> {
            boolean reverse = Py.truthy(arg(a, kw, 0, "reverse", false));
            boolean caseSensitive = Py.truthy(arg(a, kw, 1, "case_sensitive", false));
            Object attr = arg(a, kw, 2, "attribute", null);
            List<Object> l = list(v);
            Comparator<Object> c = (x, y) -> compare(sortKey(attr == null ? x : attribute(x, attr), caseSensitive), sortKey(attr == null ? y : attribute(y, attr), caseSensitive));
            l.sort(reverse ? c.reversed() : c);
            return l;
        }));
        f.add(new Named("unique", (v, a, kw) -> new ArrayList<>(new LinkedHashSet<>(list(v)))));
        f.add(new Named("int", (v, a, kw) -> {
            Object dflt = arg(a, kw, 0, "default", 0L);
            if (v instanceof Boolean b) return b ? 1L : 0L;
            if (Py.isInt(v)) return ((Number) v).longValue();
            if (v instanceof Number n) return (long) n.doubleValue();
            try {
                String t = s(v).strip().replace("_", "");
                try { return Long.parseLong(t); } catch (NumberFormatException e) { return (long) Double.parseDouble(t); }
            } catch (NumberFormatException e) {
                return dflt;
            }
        }));
        f.add(new Named("float", (v, a, kw) -> {
            Object dflt = arg(a, kw, 0, "default", 0.0);
            if (v instanceof Number n) return n.doubleValue();
            if (v instanceof Boolean b) return b ? 1.0 : 0.0;
            try { return Double.parseDouble(s(v).strip()); } catch (NumberFormatException e) { return dflt; }
        }));
        f.add(new Named("round", (v, a, kw) -> {
            long precision = Py.toLong(arg(a, kw, 0, "precision", 0L), "precision");
            String method = s(arg(a, kw, 1, "method", "common"));
            double d = v instanceof Number n ? n.doubleValue() : 0.0;
            java.math.RoundingMode mode = switch (method) {
                case "ceil" -> java.math.RoundingMode.CEILING;
                case "floor" -> java.math.RoundingMode.FLOOR;
                default -> java.math.RoundingMode.HALF_EVEN;   // Python's round() on the exact binary value
            };
            return new java.math.BigDecimal(d).setScale((int) precision, mode).doubleValue();
        }));
        f.add(new Named("abs", (v, a, kw) -> {
            if (Py.isInt(v)) return Math.abs(((Number) v).longValue());
            if (v instanceof Number n) return Math.abs(n.doubleValue());
            throw new IllegalArgumentException("bad operand type for abs(): '" + Py.typeName(v) + "'");
        }));
        f.add(new Named("sum", (v, a, kw) -> {
            Object attr = arg(a, kw, 0, "attribute", null);
            Object start = arg(a, kw, 1, "start", 0L);
            boolean floating = start instanceof Double;
            double total = ((Number) start).doubleValue();
            long itotal = ((Number) start).longValue();
            for (Object e : Py.iterate(v)) {
                Object x = attr == null ? e : attribute(e, attr);
                if (x instanceof Double || !(Py.isInt(x) || x instanceof Boolean)) floating = true;
                double dx = x instanceof Boolean b ? (b ? 1 : 0) : ((Number) x).doubleValue();
                total += dx;
                itotal += (long) dx;
            }
            return floating ? (Object) total : (Object) itotal;
        }));
        f.add(new Named("min", (v, a, kw) -> extreme(v, a, kw, -1)));
        f.add(new Named("max", (v, a, kw) -> extreme(v, a, kw, 1)));
        f.add(new Named("center", (v, a, kw) -> Py.strMethod(s(v), "center", new Object[]{arg(a, kw, 0, "width", 80L)})));
        f.add(new Named("indent", (v, a, kw) -> {
            Object w = arg(a, kw, 0, "width", 4L);
            String pad = w instanceof String ws ? ws : " ".repeat((int) Math.min(Py.toLong(w, "width"), 10_000));
            boolean first = Py.truthy(arg(a, kw, 1, "first", false)), blank = Py.truthy(arg(a, kw, 2, "blank", false));
            String text = s(v);
            String nl = "\n";
            if (text.endsWith("\n")) { text = text.substring(0, text.length() - 1); nl = "\n"; }
            else nl = "";
            List<Object> lines = Py.splitlines(text, false);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                if (i > 0) sb.append('\n');
                if ((i > 0 || first) && (blank || !line.isEmpty())) sb.append(pad);
                sb.append(line);
                Budget.string(sb.length());
            }
            return sb.append(nl).toString();
        }));
        f.add(new Named("wordcount", (v, a, kw) -> (long) java.util.regex.Pattern.compile("\\w+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS).matcher(s(v)).results().count()));
        f.add(new Named("safe", (v, a, kw) -> s(v)));
        f.add(new Named("e", (v, a, kw) -> escape(s(v))));
        f.add(new Named("escape", (v, a, kw) -> escape(s(v))));
        f.add(new Named("forceescape", (v, a, kw) -> escape(s(v))));
        return f;
    }

    private static Object dflt(Object v, Object[] a, Map<String, Object> kw) {
        Object d = arg(a, kw, 0, "default_value", "");
        boolean bool = Py.truthy(arg(a, kw, 1, "boolean", false));
        // None and undefined are both null here: Jinja2 keeps None but replaces undefined; null is replaced
        if (v == null || (bool && !Py.truthy(v))) return d;
        return v;
    }

    static Object length(Object v) {
        if (v == null) return 0L;
        if (v instanceof String s) return (long) s.codePointCount(0, s.length());
        if (v instanceof Collection<?> c) return (long) c.size();
        if (v instanceof Map<?, ?> m) return (long) m.size();
        throw new IllegalArgumentException("object of type '" + Py.typeName(v) + "' has no len()");
    }

    static List<Object> list(Object v) {
        List<Object> out = new ArrayList<>();
        for (Object e : Py.iterate(v)) out.add(e);
        Budget.collection(out.size());
        return out;
    }

    /** Jinja2's title filter: each word (split at whitespace, -, (, {, [, <) as {@code w[0].upper() + w[1:].lower()}. */
    static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            int cp = s.codePointAt(i);
            if (isTitleSeparator(cp)) { sb.appendCodePoint(cp); i += Character.charCount(cp); continue; }
            int j = i;
            while (j < n && !isTitleSeparator(s.codePointAt(j))) j += Character.charCount(s.codePointAt(j));
            int first = Character.charCount(cp);
            sb.append(s.substring(i, i + first).toUpperCase(Locale.ROOT)).append(s.substring(i + first, j).toLowerCase(Locale.ROOT));
            i = j;
        }
        return sb.toString();
    }

    private static boolean isTitleSeparator(int cp) {
        return Py.isSpace(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    }

    static Object attribute(Object e, Object attr) {
        Object cur = e;
        for (String part : Py.str(attr).split("\\.")) {
            cur = Py.unwrap(cur);
            if (cur instanceof Map<?, ?> m) cur = m.get(part);
            else if (cur instanceof List<?> l && part.matches("-?\\d+")) {
                int i = Integer.parseInt(part);
                cur = i >= 0 && i < l.size() ? l.get(i) : null;
            } else return null;
        }
        return cur;
    }

    private static Object sortKey(Object o, boolean caseSensitive) {
        return !caseSensitive && o instanceof String s ? s.toLowerCase(Locale.ROOT) : o;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compare(Object x, Object y) {
        x = Py.unwrap(x);
        y = Py.unwrap(y);
        if (x instanceof Number a && y instanceof Number b) return Double.compare(a.doubleValue(), b.doubleValue());
        if (x instanceof String a && y instanceof String b) return a.compareTo(b);
        if (x instanceof Boolean a && y instanceof Boolean b) return a.compareTo(b);
        if (x instanceof List<?> a && y instanceof List<?> b) {
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                int c = compare(a.get(i), b.get(i));
                if (c != 0) return c;
            }
            return Integer.compare(a.size(), b.size());
        }
        throw new IllegalArgumentException("'<' not supported between instances of '" + Py.typeName(x) + "' and '" + Py.typeName(y) + "'");
    }

    private static Object extreme(Object v, Object[] a, Map<String, Object> kw, int sign) {
        boolean caseSensitive = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
        Object attr = arg(a, kw, 1, "attribute", null);
        Object best = null, bestKey = null;
        for (Object e : Py.iterate(v)) {
            Object k = sortKey(attr == null ? e : attribute(e, attr), caseSensitive);
            if (best == null || compare(k, bestKey) * sign > 0) { best = e; bestKey = k; }
        }
        return best;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
