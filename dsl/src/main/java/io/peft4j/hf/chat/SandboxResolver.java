package io.peft4j.hf.chat;

import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.util.ForLoop;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.MethodNotFoundException;
import jinjava.javax.el.PropertyNotWritableException;
import java.beans.FeatureDescriptor;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The only way a template reaches into values: dict keys, list and string indices, the loop
 * variable's attributes, and the Python {@code str}/{@code dict}/{@code list} methods of
 * {@link Py}. No Java bean property or method of any object is reachable (no {@code getClass},
 * no reflection); the engine's own filter and test objects are the only Java methods invoked.
 * Every access counts against the render's {@link Budget}.
 */
final class SandboxResolver extends ELResolver {
    /** Only for the engine's filter/test/loop objects. */
    private final ELResolver engine = new JinjavaBeanELResolver(true);

    @Override public Object getValue(ELContext ctx, Object base, Object property) {
        if (base == null) return null;
        Budget.tick();
        ctx.setPropertyResolved(true);
        base = Py.unwrap(base);
        property = Py.unwrap(property);
        if (base instanceof Map<?, ?> m) {
            Object v = m.get(property);
            if (v == null && property instanceof Number n && !m.containsKey(property)) {
                for (Map.Entry<?, ?> e : m.entrySet()) if (e.getKey() instanceof Number k && k.doubleValue() == n.doubleValue()) return e.getValue();
            }
            return v;
        }
        if (base instanceof List<?> l) {
            Integer idx = index(property);
            if (idx == null) return null;
            int i = idx;
            if (i < 0) i += l.size();
            return i >= 0 && i < l.size() ? l.get(i) : null;
        }
        if (base instanceof String s) {
            Integer idx = index(property);
            if (idx == null) return null;
            int len = s.codePointCount(0, s.length());
            int i = idx;
            if (i < 0) i += len;
            if (i < 0 || i >= len) return null;
            int at = s.offsetByCodePoints(0, i);
            return new String(Character.toChars(s.codePointAt(at)));
        }
        if (base instanceof ForLoop loop) return loopAttribute(loop, String.valueOf(property));
        return null;
    }

    /** An integer index, given as a number or (as jinjava passes it) its decimal string; null otherwise. */
    private static Integer index(Object property) {
        if (property instanceof Long || property instanceof Integer) return ((Number) property).intValue();
        if (property instanceof String s && s.matches("-?\\d{1,9}")) return Integer.parseInt(s);
        return null;
    }

    private static Object loopAttribute(ForLoop loop, String name) {
        return switch (name) {
            case "index" -> (long) loop.getIndex();
            case "index0" -> (long) loop.getIndex0();
            case "revindex" -> (long) loop.getRevindex();
            case "revindex0" -> (long) loop.getRevindex0();
            case "first" -> loop.isFirst();
            case "last" -> loop.isLast();
            case "length" -> (long) loop.getLength();
            case "depth" -> (long) loop.getDepth();
            case "depth0" -> (long) loop.getDepth0();
            default -> null;
        };
    }

    @Override public Object invoke(ELContext ctx, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) return null;
        Budget.tick();
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        if ((base instanceof Filter && name.equals("filter"))
            || (base instanceof ExpTest && (name.equals("evaluate") || name.equals("evaluateNegated")))
            || (base instanceof ForLoop && name.equals("cycle"))) {
            return engine.invoke(ctx, base, method, paramTypes, params);
        }
        Object b = Py.unwrap(base);
        Object result;
        if (b instanceof String s) result = Py.strMethod(s, name, unwrapAll(args));
        else if (b instanceof Map<?, ?> m) result = Py.dictMethod(m, name, unwrapAll(args));
        else if (b instanceof List<?> l) result = Py.listMethod(l, name, unwrapAll(args));
        else throw new MethodNotFoundException("'" + Py.typeName(b) + "' object has no method '" + name + "'");
        ctx.setPropertyResolved(true);
        return result;
    }

    private static Object[] unwrapAll(Object[] a) {
        Object[] out = new Object[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Py.unwrap(a[i]);
        return out;
    }

    @Override public Class<?> getType(ELContext ctx, Object base, Object property) {
        if (base == null) return null;
        ctx.setPropertyResolved(true);
        return Object.class;
    }

    @Override public void setValue(ELContext ctx, Object base, Object property, Object value) {
        if (base == null) return;
        throw new PropertyNotWritableException("templates cannot change their inputs");
    }

    @Override public boolean isReadOnly(ELContext ctx, Object base, Object property) {
        if (base != null) ctx.setPropertyResolved(true);
        return true;
    }

    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext ctx, Object base) {
        return Collections.emptyIterator();
    }

    @Override public Class<?> getCommonPropertyType(ELContext ctx, Object base) { return Object.class; }
}
