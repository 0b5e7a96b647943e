package io.peft4j.hf.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.Node;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ExpressionFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;

import static jinjava.de.odysseus.el.tree.impl.Scanner.Symbol.COLON;
import static jinjava.de.odysseus.el.tree.impl.Scanner.Symbol.DOT;
import static jinjava.de.odysseus.el.tree.impl.Scanner.Symbol.IDENTIFIER;
import static jinjava.de.odysseus.el.tree.impl.Scanner.Symbol.LBRACK;
import static jinjava.de.odysseus.el.tree.impl.Scanner.Symbol.LPAREN;
import static jinjava.de.odysseus.el.tree.impl.Scanner.Symbol.RBRACK;

/**
 * jinjava's expression parser with three Jinja2 behaviours it lacks: a keyword argument's value
 * is a whole expression ({@code namespace(n=messages|length - 1)}; jinjava reads
 * {@code (n=messages|length) - 1}), slices follow Python ({@code [a:b:c]}, {@code [::-1]},
 * negative bounds), and {@code *} repeats strings and lists ({@code '-' * 3}).
 */
final class PyParser extends ExtendedParser {
    PyParser(Builder context, String input) { super(context, input); }

    /** The builder jinjava's expression factory instantiates (by class name). */
    public static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
        private static final long serialVersionUID = 1L;

        public SyntaxBuilder() { super(); }

        public SyntaxBuilder(Builder.Feature... features) { super(features); }

        @Override protected Parser createParser(String expression) { return new PyParser(this, expression); }
    }

    /** jinjava with this parser. */
    static final class PyJinjava extends Jinjava {
        private final ExpressionFactory factory;

        PyJinjava(JinjavaConfig config) {
            super(config);
            Properties p = new Properties();
            p.setProperty(TreeBuilder.class.getName(), SyntaxBuilder.class.getName());
            factory = new ExpressionFactoryImpl(p, new TruthyTypeConverter());
        }

        @Override public ExpressionFactory getExpressionFactory() { return factory; }
    }

    /** {@code and} over {@link #not}: Python's {@code not} binds looser than comparisons and tests ({@code not x is defined}). */
    @Override protected AstNode and(boolean required) throws Scanner.ScanException, ParseException {
        AstNode v = not(required);
        if (v == null) return null;
        while (true) {
            Scanner.Token t = getToken();
            if (t.getSymbol() == Scanner.Symbol.AND) {
                consumeToken();
                v = createAstBinary(v, not(true), AstBinary.AND);
            } else if (t.getSymbol() == Scanner.Symbol.EXTENSION && getExtensionHandler(t).getExtensionPoint() == ExtensionPoint.AND) {
                v = getExtensionHandler(consumeToken()).createAstNode(v, not(true));
            } else {
                return v;
            }
        }
    }

    private AstNode not(boolean required) throws Scanner.ScanException, ParseException {
        if (getToken().getSymbol() == Scanner.Symbol.NOT) {
            consumeToken();
            return createAstUnary(not(true), jinjava.de.odysseus.el.tree.impl.ast.AstUnary.NOT);
        }
        return eq(required);
    }

    @Override protected AstNode add(boolean required) throws Scanner.ScanException, ParseException {
        AstNode v = mul(required);
        if (v == null) return null;
        while (true) {
            Scanner.Token t = getToken();
            switch (t.getSymbol()) {
                case PLUS -> {
                    consumeToken();
                    v = createAstBinary(v, mul(true), com.hubspot.jinjava.el.ext.AdditionOperator.OP);
                }
                case MINUS -> {
                    consumeToken();
                    v = createAstBinary(v, mul(true), AstBinary.SUB);
                }
                case EXTENSION -> {
                    ExtensionHandler h = getExtensionHandler(t);
                    if (t.getImage().equals(NamedParameterOperator.TOKEN.getImage())) {
                        consumeToken();
                        return h.createAstNode(v, expr(true));   // name=<whole expression>
                    }
                    if (h.getExtensionPoint() != ExtensionPoint.ADD) return v;
                    v = getExtensionHandler(consumeToken()).createAstNode(v, mul(true));
                }
                default -> { return v; }
            }
        }
    }

    @Override protected AstNode mul(boolean required) throws Scanner.ScanException, ParseException {
        AstNode v = filter(required);
        if (v == null) return null;
        while (true) {
            Scanner.Token t = getToken();
            switch (t.getSymbol()) {
                case MUL -> { consumeToken(); v = createAstBinary(v, filter(true), REPEAT_OR_MUL); }
                case DIV -> { consumeToken(); v = createAstBinary(v, filter(true), AstBinary.DIV); }
                case MOD -> { consumeToken(); v = createAstBinary(v, filter(true), PY_MOD); }
                case EXTENSION -> {
                    ExtensionHandler h = getExtensionHandler(t);
                    if (h.getExtensionPoint() != ExtensionPoint.MUL) return v;
                    v = getExtensionHandler(consumeToken()).createAstNode(v, filter(true));
                }
                default -> { return v; }
            }
        }
    }

    @Override protected AstNode value() throws Scanner.ScanException, ParseException {
        boolean lvalue = true;
        AstNode v = nonliteral();
        if (v == null) {
            v = literal();
            if (v == null) return null;
            lvalue = false;
        }
        while (true) {
            Scanner.Symbol s = getToken().getSymbol();
            if (s == DOT) {
                consumeToken();
                String name = consumeToken(IDENTIFIER).getImage();
                var dot = createAstDot(v, name, lvalue);
                v = getToken().getSymbol() == LPAREN && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS)
                    ? createAstMethod(dot, params()) : dot;
            } else if (s == LBRACK) {
                consumeToken();
                AstNode first = getToken().getSymbol() == COLON ? null : expr(false);
                if (getToken().getSymbol() == COLON) {
                    consumeToken();
                    AstNode stop = getToken().getSymbol() == COLON || getToken().getSymbol() == RBRACK ? null : expr(false);
                    AstNode step = null;
                    if (getToken().getSymbol() == COLON) {
                        consumeToken();
                        step = getToken().getSymbol() == RBRACK ? null : expr(false);
                    }
                    consumeToken(RBRACK);
                    v = new Slice(v, first, stop, step);
                } else {
                    consumeToken(RBRACK);
                    var bracket = createAstBracket(v, first, lvalue, !context.isEnabled(Builder.Feature.NULL_PROPERTIES));
                    v = getToken().getSymbol() == LPAREN && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS)
                        ? createAstMethod(bracket, params()) : bracket;
                }
            } else {
                return v;   // natural operator precedence: filters and tests are parsed above this level
            }
        }
    }

    /** {@code *}: string or list repetition when one side is a string or list, else numeric. */
    static final AstBinary.Operator REPEAT_OR_MUL = new AstBinary.SimpleOperator() {
        @Override protected Object apply(TypeConverter converter, Object a, Object b) {
            a = Py.unwrap(a);
            b = Py.unwrap(b);
            if ((a instanceof String || a instanceof List) && Py.isInt(b)) return repeat(a, ((Number) b).longValue());
            if ((b instanceof String || b instanceof List) && Py.isInt(a)) return repeat(b, ((Number) a).longValue());
            return NumberOperations.mul(converter, a, b);
        }

        @Override public String toString() { return "*"; }
    };

    /** {@code %} on numbers as Python: the result takes the divisor's sign. */
    static final AstBinary.Operator PY_MOD = new AstBinary.SimpleOperator() {
        @Override protected Object apply(TypeConverter converter, Object a, Object b) {
            a = Py.unwrap(a);
            b = Py.unwrap(b);
            if ((Py.isInt(a) || a instanceof Boolean) && (Py.isInt(b) || b instanceof Boolean)) {
                long y = Py.toLong(b, "%");
                if (y == 0) throw new ArithmeticException("integer modulo by zero");
                return Math.floorMod(Py.toLong(a, "%"), y);
            }
            if (a instanceof Number x && b instanceof Number y) {
                double d = y.doubleValue();
                if (d == 0) throw new ArithmeticException("float modulo");
                double r = x.doubleValue() % d;
                return r != 0 && (r < 0) != (d < 0) ? r + d : r;
            }
            return NumberOperations.mod(converter, a, b);
        }

        @Override public String toString() { return "%"; }
    };

    private static Object repeat(Object x, long n) {
        if (n <= 0) return x instanceof String ? "" : new ArrayList<>();
        if (x instanceof String s) {
            Budget.string((long) s.length() * n);
            return s.repeat((int) n);
        }
        List<?> l = (List<?>) x;
        Budget.collection((long) l.size() * n);
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < n; i++) out.addAll(l);
        return out;
    }

    /** {@code base[start:stop:step]} with Python's slice semantics on strings (by code point) and lists. */
    static final class Slice extends AstRightValue {
        private final AstNode base, start, stop, step;

        Slice(AstNode base, AstNode start, AstNode stop, AstNode step) {
            this.base = base;
            this.start = start;
            this.stop = stop;
            this.step = step;
        }

        @Override public Object eval(Bindings bindings, ELContext context) {
            Budget.tick();
            Object b = Py.unwrap(base.eval(bindings, context));
            Long st = bound(start, bindings, context), sp = bound(stop, bindings, context), stepv = bound(step, bindings, context);
            long k = stepv == null ? 1 : stepv;
            if (k == 0) throw new IllegalArgumentException("slice step cannot be zero");
            if (b instanceof String s) {
                int[] cps = s.codePoints().toArray();
                StringBuilder sb = new StringBuilder();
                for (int i : indices(cps.length, st, sp, k)) sb.appendCodePoint(cps[i]);
                return sb.toString();
            }
            if (b instanceof Collection<?> c) {
                List<?> l = c instanceof List<?> ll ? ll : new ArrayList<>(c);
                List<Object> out = new ArrayList<>();
                for (int i : indices(l.size(), st, sp, k)) out.add(l.get(i));
                return out;
            }
            if (b == null) return null;
            throw new IllegalArgumentException("'" + Py.typeName(b) + "' object is not subscriptable");
        }

        private static Long bound(AstNode n, Bindings bindings, ELContext context) {
            if (n == null) return null;
            Object v = Py.unwrap(n.eval(bindings, context));
            if (v == null) return null;
            return Py.toLong(v, "slice index");
        }

        /** Python's slice.indices then range(). */
        static List<Integer> indices(int len, Long start, Long stop, long step) {
            long lo, hi;
            if (step > 0) {
                lo = start == null ? 0 : clamp(start < 0 ? start + len : start, 0, len);
                hi = stop == null ? len : clamp(stop < 0 ? stop + len : stop, 0, len);
            } else {
                lo = start == null ? len - 1 : clamp(start < 0 ? start + len : start, -1, len - 1);
                hi = stop == null ? -1 : clamp(stop < 0 ? stop + len : stop, -1, len - 1);
            }
            List<Integer> out = new ArrayList<>();
            for (long i = lo; step > 0 ? i < hi : i > hi; i += step) out.add((int) i);
            return out;
        }

        private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

        @Override public void appendStructure(StringBuilder sb, Bindings bindings) {
            base.appendStructure(sb, bindings);
            sb.append('[');
            if (start != null) start.appendStructure(sb, bindings);
            sb.append(':');
            if (stop != null) stop.appendStructure(sb, bindings);
            sb.append(':');
            if (step != null) step.appendStructure(sb, bindings);
            sb.append(']');
        }

        @Override public String toString() { return "[slice]"; }

        @Override public int getCardinality() { return 4; }

        @Override public Node getChild(int i) {
            return switch (i) { case 0 -> base; case 1 -> start; case 2 -> stop; case 3 -> step; default -> null; };
        }
    }
}
