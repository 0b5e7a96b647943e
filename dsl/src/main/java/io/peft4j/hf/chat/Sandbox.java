package io.peft4j.hf.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.expression.ExpressionStrategy;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceLocator;
import com.hubspot.jinjava.mode.ExecutionMode;
import com.hubspot.jinjava.tree.output.RenderedOutputNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;

import java.io.IOException;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * jinjava (com.hubspot.jinjava) configured as transformers configures Jinja2 for chat templates,
 * and closed off.
 *
 * <h2>Jinja2 compatibility</h2>
 * {@code trim_blocks} and {@code lstrip_blocks} on, one trailing newline of the template dropped and
 * line endings normalized (Jinja2's defaults), no re-rendering of values that contain
 * {@code {{ }}} (jinjava's "nested interpretation" is off), Python operator precedence, Python
 * formatting of printed values ({@code True}, {@code [1, 2]}, {@code {'a': 1}}), Jinja2's filters and
 * tests with Python semantics ({@link PyFilters}, {@link PyBuiltins}), the str/dict/list methods of
 * Jinja2's sandbox ({@link Py}), transformers' globals {@code raise_exception} and
 * {@code strftime_now}, and its {@code {% generation %}} tag.
 *
 * <h2>Sandbox</h2>
 * <ul>
 *   <li>No Java reachable: the {@link SandboxResolver} replaces jinjava's bean resolver, so no
 *       property or method of a Java object (getClass, reflection) can be named.</li>
 *   <li>No files or network: {@code include}, {@code import}, {@code from}, {@code extends} and
 *       jinjava's extra tags, filters and functions (file sizes, dates, YAML, IP addresses,
 *       re-rendering) are refused; the resource locator refuses every name.</li>
 *   <li>Bounded: each render runs on its own thread with a deadline checked at every value
 *       access, filter, function, loop step over ranges and inputs, and output; output, string,
 *       list and range sizes are capped ({@link ChatTemplate.Limits}); exceeding a bound ends the
 *       render with a {@link ChatTemplateException}.</li>
 * </ul>
 */
final class Sandbox {
    private static final Map<ChatTemplate.Limits, Sandbox> CACHE = new ConcurrentHashMap<>();

    /** Jinjava filters Jinja2 does not have, or that could reach files, parse YAML, re-render or allocate without bound. */
    private static final List<String> REFUSED_FILTERS = List.of("add", "allow_snake_case", "b64decode", "b64encode", "batch",
        "between_times", "bool", "cut", "date", "datetimeformat", "difference", "divide", "divisible", "escape_jinjava",
        "escapejs", "escapejson", "filesizeformat", "format_date", "format_datetime", "format_number", "format_time",
        "fromjson", "fromyaml", "intersect", "ipaddr", "ipv4", "ipv6", "log", "md5", "minus_time", "multiply", "plus_time",
        "pprint", "random", "regex_replace", "render", "root", "shuffle", "slice", "split", "strtodate", "strtotime",
        "symmetric_difference", "toyaml", "truncatehtml", "unescape_html", "union", "unixtimestamp", "urldecode", "urlize",
        "wordwrap", "xmlattr");
    private static final List<String> REFUSED_TESTS = List.of("containing", "containingall", "string_containing",
        "string_startingwith", "within");
    private static final List<String> REFUSED_FUNCTIONS = List.of("datetimeformat", "format_date", "format_datetime",
        "format_time", "strtodate", "strtotime", "super", "today", "truncate", "type", "unixtimestamp");
    private static final List<String> REFUSED_BLOCK_TAGS = List.of("block", "ifchanged", "unless", "do");
    private static final List<String> REFUSED_TAGS = List.of("include", "import", "from", "extends", "cycle", "print");

    private final Jinjava jinjava;
    private final ChatTemplate.Limits limits;

    private Sandbox(ChatTemplate.Limits limits) {
        this.limits = limits;
        JinjavaConfig config = JinjavaConfig.newBuilder()
            .withTrimBlocks(false)       // Jinja2's trim_blocks and lstrip_blocks: Jinja2Whitespace
            .withLstripBlocks(false)
            .withNestedInterpretationEnabled(false)
            .withFailOnUnknownTokens(false)
            .withElResolver(new SandboxResolver())
            .withMaxOutputSize(limits.maxOutputChars() * 4L)
            .withMaxStringLength(limits.maxStringChars())
            .withMaxListSize(limits.maxCollection())
            .withMaxMapSize(limits.maxCollection())
            .withRangeLimit(limits.rangeLimit())
            .withMaxRenderDepth(limits.maxDepth())
            .withEnableRecursiveMacroCalls(true)
            .withMaxMacroRecursionDepth(limits.maxDepth())
            .withExecutionMode(new PythonOutput())
            .withLegacyOverrides(LegacyOverrides.newBuilder()
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withKeepNullableLoopValues(true)
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withUsePyishObjectMapper(true)
                .build())
            .build();
        jinjava = new PyParser.PyJinjava(config);
        jinjava.setResourceLocator(new NoResources());
        Context g = jinjava.getGlobalContext();
        for (String f : REFUSED_FILTERS) g.registerFilter(new PyFilters.Named(f, (v, a, kw) -> {
            throw Budget.fail(new Budget.Abort(ChatTemplateException.Kind.ERROR, "the filter '" + f + "' is not available to chat templates"));
        }));
        for (Filter f : PyFilters.all()) g.registerFilter(f);
        for (String t : REFUSED_TESTS) g.registerExpTest(new PyBuiltins.Test(t, (v, a) -> {
            throw Budget.fail(new Budget.Abort(ChatTemplateException.Kind.ERROR, "the test '" + t + "' is not available to chat templates"));
        }));
        PyBuiltins.tests().forEach(g::registerExpTest);
        for (String fn : REFUSED_FUNCTIONS)
            g.registerFunction(new ELFunctionDefinition("", fn, PyBuiltins.class, "refused", Object[].class));
        for (String fn : List.of("immutable_list", "list", "map_entry"))
            g.registerFunction(new ELFunctionDefinition("fn", fn, PyBuiltins.class, "refused", Object[].class));
        g.registerFunction(new ELFunctionDefinition("", "range", PyBuiltins.class, "range", Object.class, Object[].class));
        g.registerFunction(new ELFunctionDefinition("", "raise_exception", PyBuiltins.class, "raiseException", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "strftime_now", PyBuiltins.class, "strftimeNow", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "dict", PyBuiltins.class, "dict", Object[].class));
        for (String t : REFUSED_BLOCK_TAGS) g.registerTag(new PyBuiltins.RefusedTag(t, true));
        for (String t : REFUSED_TAGS) g.registerTag(new PyBuiltins.RefusedTag(t, false));
        g.registerTag(new PyBuiltins.GenerationTag());
    }

    static Sandbox of(ChatTemplate.Limits limits) { return CACHE.computeIfAbsent(limits, Sandbox::new); }

    /** Jinja2's source handling: line endings (every one str.splitlines knows) become \n, one trailing newline goes. */
    static String jinjaSource(String source) {
        return String.join("\n", Py.splitlines(source, false).stream().map(o -> (String) o).toList());
    }

    /**
     * Renders {@code source} with {@code variables} on a fresh thread within the limits.
     *
     * @throws ChatTemplateException for every failure (template error, raise_exception, timeout, size)
     */
    String render(String source, Map<String, Object> variables) {
        String src = Jinja2Whitespace.apply(source);
        checkNames(source);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            Budget.start(limits);
            try {
                RenderResult rr = jinjava.renderForResult(src, variables);
                Budget.Abort pending = Budget.current().pending;
                if (pending != null) throw pending;
                result.set(rr);
            } catch (Budget.Abort a) {
                result.set(new ChatTemplateException(a.kind, a.kind == ChatTemplateException.Kind.RAISED
                    ? "template raised: " + a.getMessage() : a.getMessage()));
            } catch (StackOverflowError e) {
                result.set(new ChatTemplateException(ChatTemplateException.Kind.TOO_BIG, "template recursion too deep"));
            } catch (OutOfMemoryError e) {
                result.set(new ChatTemplateException(ChatTemplateException.Kind.TOO_BIG, "template needed more memory than available"));
            } catch (RuntimeException e) {
                result.set(new ChatTemplateException(ChatTemplateException.Kind.ERROR, "template failed: " + e, e));
            } finally {
                Budget.end();
            }
        }, "chat-template");
        worker.setDaemon(true);
        worker.start();
        long waitMs = limits.timeout().toMillis() + 1000;
        try {
            worker.join(waitMs);
        } catch (InterruptedException e) {
            worker.interrupt();
            Thread.currentThread().interrupt();
            throw new ChatTemplateException(ChatTemplateException.Kind.TIMEOUT, "interrupted while rendering");
        }
        if (worker.isAlive()) {
            worker.interrupt();
            throw new ChatTemplateException(ChatTemplateException.Kind.TIMEOUT, "rendering took longer than " + limits.timeout().toMillis() + " ms");
        }
        Object r = result.get();
        if (r instanceof ChatTemplateException e) throw e;
        RenderResult rr = (RenderResult) r;
        for (TemplateError e : rr.getErrors()) {
            if (e.getCategory() == com.hubspot.jinjava.interpret.errorcategory.BasicTemplateErrorCategory.CYCLE_DETECTED)
                throw new ChatTemplateException(ChatTemplateException.Kind.TOO_BIG, "template recursion too deep: " + e.getMessage());
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            ChatTemplateException.Kind kind = e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR
                || e.getReason() == TemplateError.ErrorReason.UNKNOWN ? ChatTemplateException.Kind.SYNTAX
                : e.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG || e.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG
                ? ChatTemplateException.Kind.TOO_BIG : ChatTemplateException.Kind.ERROR;
            throw new ChatTemplateException(kind, "template error" + (e.getLineno() > 0 ? " on line " + e.getLineno() : "") + ": " + e.getMessage());
        }
        String out = rr.getOutput();
        if (out.length() > limits.maxOutputChars())
            throw new ChatTemplateException(ChatTemplateException.Kind.TOO_BIG, "the output is longer than " + limits.maxOutputChars() + " characters");
        return out;
    }

    /** Jinja2 refuses unknown filters and tests when it compiles a template (jinjava would ignore them). */
    private void checkNames(String source) {
        List<Set<String>> ft = Jinja2Whitespace.filtersAndTests(source);
        Context g = jinjava.getGlobalContext();
        for (String f : ft.get(0))
            if (g.getFilter(f) == null) throw new ChatTemplateException(ChatTemplateException.Kind.SYNTAX, "template error: no filter named '" + f + "'");
        for (String t : ft.get(1))
            if (!t.equals("not") && g.getExpTest(t) == null) throw new ChatTemplateException(ChatTemplateException.Kind.SYNTAX, "template error: no test named '" + t + "'");
    }

    /** Prints values as Python's str() does, and counts them against the output budget. */
    static final class PythonOutput implements ExecutionMode {
        @Override public void prepareContext(Context context) { context.setExpressionStrategy(new PyExpressions()); }
    }

    static final class PyExpressions implements ExpressionStrategy {
        private static final long serialVersionUID = 1L;

        @Override public RenderedOutputNode interpretOutput(ExpressionToken master, JinjavaInterpreter interpreter) {
            Object v = interpreter.resolveELExpression(master.getExpr(), master.getLineNumber());
            String s = Py.str(v);
            Budget.output(s.length());
            return new RenderedOutputNode(s);
        }
    }

    /** Refuses every template name: no include, import or extends reaches a file. */
    static final class NoResources implements ResourceLocator {
        @Override public String getString(String fullName, Charset encoding, JinjavaInterpreter interpreter) throws IOException {
            throw new IOException("chat templates cannot load other templates (" + fullName + ")");
        }
    }
}
