package io.peft4j.hf.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The globals transformers gives chat templates ({@code raise_exception}, {@code strftime_now}),
 * Jinja2's {@code range} and {@code dict}, Jinja2's tests with Python semantics, and the
 * {@code {% generation %}} tag (which only marks assistant text for masks: it renders its body).
 */
final class PyBuiltins {
    private PyBuiltins() {}

    // ---- functions (static: jinjava calls them as EL functions) ---------------------------------

    /** {@code raise_exception(message)}: ends the render with the message. */
    public static Object raiseException(Object message) {
        throw Budget.fail(new Budget.Abort(ChatTemplateException.Kind.RAISED, Py.str(message)));
    }

    /** {@code strftime_now(format)}: the current local time, formatted as Python's strftime does for the common directives. */
    public static String strftimeNow(Object format) {
        return strftime(ZonedDateTime.now(), Py.str(format));
    }

    static String strftime(ZonedDateTime t, String f) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c != '%' || i + 1 >= f.length()) { sb.append(c); continue; }
            char d = f.charAt(++i);
            switch (d) {
                case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case 'H' -> sb.append(String.format("%02d", t.getHour()));
                case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format("%02d", t.getMinute()));
                case 'S' -> sb.append(String.format("%02d", t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    /** {@code range([start,] stop[, step])}: a lazily made list, at most the range limit long, that checks the deadline as it is walked. */
    public static List<Object> range(Object arg1, Object... args) {
        long start = 0, stop, step = 1;
        if (args == null || args.length == 0) stop = Py.toLong(arg1, "range() argument");
        else {
            start = Py.toLong(arg1, "range() argument");
            stop = Py.toLong(args[0], "range() argument");
            if (args.length > 1) step = Py.toLong(args[1], "range() step");
            if (args.length > 2) throw new IllegalArgumentException("range expected at most 3 arguments, got " + (args.length + 1));
        }
        if (step == 0) throw new IllegalArgumentException("range() arg 3 must not be zero");
        long n = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
        Budget b = Budget.current();
        long limit = b == null ? ChatTemplate.Limits.DEFAULT.rangeLimit() : b.limits.rangeLimit();
        if (n > limit) throw Budget.fail(new Budget.Abort(ChatTemplateException.Kind.TOO_BIG, "range of " + n + " numbers is longer than the limit " + limit));
        final long s0 = start, st = step;
        final int size = (int) n;
        return new AbstractList<>() {
            @Override public Object get(int i) {
                Budget.tick();
                if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i);
                return s0 + st * i;
            }

            @Override public int size() { return size; }
        };
    }

    /** {@code dict(key=value, ...)} (and {@code dict(mapping, key=value)}). */
    public static Map<String, Object> dict(Object... params) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Object p : params == null ? new Object[0] : params) {
            if (p instanceof NamedParameter np) out.put(np.getName(), np.getValue());
            else if (p instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(Py.str(k), v));
            else throw new IllegalArgumentException("dict() takes keyword arguments or one mapping");
        }
        return out;
    }

    /** A function name the sandbox refuses (jinjava's own extras). */
    public static Object refused(Object... ignored) {
        throw Budget.fail(new Budget.Abort(ChatTemplateException.Kind.ERROR, "this function is not available to chat templates"));
    }

    // ---- tests --------------------------------------------------------------------------------

    /** A Jinja2 test with a Python body. */
    record Test(String name, java.util.function.BiPredicate<Object, Object[]> body) implements ExpTest {
        @Override public String getName() { return name; }

        @Override public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            Budget.tick();
            Object[] a = args == null ? new Object[0] : args;
            for (int i = 0; i < a.length; i++) a[i] = Py.unwrap(a[i]);
            return body.test(Py.unwrap(var), a);
        }
    }

    static List<ExpTest> tests() {
        List<ExpTest> t = new ArrayList<>();
        t.add(new Test("defined", (v, a) -> v != null));
        t.add(new Test("undefined", (v, a) -> v == null));
        t.add(new Test("none", (v, a) -> v == null));
        t.add(new Test("string", (v, a) -> v instanceof String));
        t.add(new Test("mapping", (v, a) -> v instanceof Map));
        t.add(new Test("iterable", (v, a) -> v instanceof String || v instanceof Collection || v instanceof Map));
        t.add(new Test("sequence", (v, a) -> v instanceof String || v instanceof Collection || v instanceof Map));
        t.add(new Test("number", (v, a) -> v instanceof Number || v instanceof Boolean));
        t.add(new Test("integer", (v, a) -> Py.isInt(v)));
        t.add(new Test("float", (v, a) -> v instanceof Double || v instanceof Float));
        t.add(new Test("boolean", (v, a) -> v instanceof Boolean));
        t.add(new Test("true", (v, a) -> Boolean.TRUE.equals(v)));
        t.add(new Test("false", (v, a) -> Boolean.FALSE.equals(v)));
        t.add(new Test("callable", (v, a) -> false));
        t.add(new Test("truthy", (v, a) -> Py.truthy(v)));   // what select/selectattr use when no test is named
        t.add(new Test("lower", (v, a) -> v instanceof String s && (boolean) Py.strMethod(s, "islower", new Object[0])));
        t.add(new Test("upper", (v, a) -> v instanceof String s && (boolean) Py.strMethod(s, "isupper", new Object[0])));
        t.add(new Test("even", (v, a) -> Py.toLong(v, "even test") % 2 == 0));
        t.add(new Test("odd", (v, a) -> Py.toLong(v, "odd test") % 2 != 0));
        t.add(new Test("divisibleby", (v, a) -> Py.toLong(v, "divisibleby test") % Py.toLong(a.length > 0 ? a[0] : null, "divisibleby argument") == 0));
        for (String eq : List.of("eq", "equalto", "==", "sameas")) t.add(new Test(eq, (v, a) -> a.length > 0 && Py.eq(v, a[0])));
        for (String ne : List.of("ne", "!=")) t.add(new Test(ne, (v, a) -> a.length > 0 && !Py.eq(v, a[0])));
        for (String lt : List.of("lt", "<", "lessthan")) t.add(new Test(lt, (v, a) -> a.length > 0 && PyFilters.compare(v, a[0]) < 0));
        for (String le : List.of("le", "<=")) t.add(new Test(le, (v, a) -> a.length > 0 && PyFilters.compare(v, a[0]) <= 0));
        for (String gt : List.of("gt", ">", "greaterthan")) t.add(new Test(gt, (v, a) -> a.length > 0 && PyFilters.compare(v, a[0]) > 0));
        for (String ge : List.of("ge", ">=")) t.add(new Test(ge, (v, a) -> a.length > 0 && PyFilters.compare(v, a[0]) >= 0));
        t.add(new Test("in", (v, a) -> a.length > 0 && contains(a[0], v)));
        return t;
    }

    /** Python's {@code needle in container}. */
    static boolean contains(Object container, Object needle) {
        container = Py.unwrap(container);
        needle = Py.unwrap(needle);
        if (container instanceof String s) {
            if (!(needle instanceof String n)) throw new IllegalArgumentException("'in <string>' requires string as left operand, not " + Py.typeName(needle));
            return s.contains(n);
        }
        if (container instanceof Map<?, ?> m) return m.containsKey(needle);
        if (container instanceof Collection<?> c) {
            for (Object e : c) if (Py.eq(e, needle)) return true;
            return false;
        }
        if (container == null) throw new IllegalArgumentException("argument of type 'NoneType' is not iterable");
        throw new IllegalArgumentException("argument of type '" + Py.typeName(container) + "' is not iterable");
    }

    // ---- tags ---------------------------------------------------------------------------------

    /** transformers' {@code {% generation %}...{% endgeneration %}}: renders the body. */
    static final class GenerationTag implements Tag {
        private static final long serialVersionUID = 1L;

        @Override public String getName() { return "generation"; }

        @Override public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder sb = new StringBuilder();
            for (Node child : tagNode.getChildren()) sb.append(child.render(interpreter));
            return sb.toString();
        }
    }

    /** A tag the sandbox refuses (includes, imports, inheritance, jinjava's extras). */
    record RefusedTag(String name, boolean block) implements Tag {
        @Override public String getName() { return name; }

        @Override public String getEndTagName() { return block ? "end" + name : null; }

        @Override public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            throw Budget.fail(new Budget.Abort(ChatTemplateException.Kind.ERROR, "the tag {% " + name + " %} is not available to chat templates"));
        }
    }
}
