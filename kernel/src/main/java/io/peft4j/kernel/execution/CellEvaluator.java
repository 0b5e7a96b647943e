package io.peft4j.kernel.execution;

import io.peft4j.kernel.magics.Magics;
import io.peft4j.kernel.KernelClasspath;
import io.peft4j.kernel.magics.MavenResolver;
import io.peft4j.kernel.magics.TimeMagic;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Evaluates notebook cells with the jdk.jshell API on one dedicated thread ("peft4j-cell"),
 * in-process (see {@link InProcessExecutionControl}), so cells share the kernel's classes and
 * returned objects keep their identity. Completion, inspection and completeness checks use JShell's
 * {@link SourceCodeAnalysis} and also run on the cell thread, so JShell is only ever touched by one
 * thread (apart from {@link #interrupt()}).
 */
public final class CellEvaluator implements AutoCloseable {

    /** Imports the kernel adds to peft4j's shared startup list ({@link io.peft4j.cli.StartupImports}). */
    public static final List<String> KERNEL_IMPORTS = List.of("import static io.peft4j.kernel.display.Display.*;");
    private static final Logger LOG = Logger.getLogger(CellEvaluator.class.getName());

    /** What a cell produced: its last expression's value, if the last snippet was an expression. */
    public record Result(boolean hasValue, Object value) {
        static final Result NONE = new Result(false, null);
    }

    private final ExecutorService cellThread;
    private final InProcessExecutionControl control;
    private final JShell jshell;
    private final Magics magics;
    private final List<String> skippedStartup = new ArrayList<>();
    private volatile Thread cellThreadRef;

    public CellEvaluator() throws Exception {
        this.cellThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "peft4j-cell");
            t.setDaemon(true);
            cellThreadRef = t;
            return t;
        });
        this.control = new InProcessExecutionControl(new CellClassLoader(CellEvaluator.class.getClassLoader()));
        this.jshell = onCellThread(() -> {
            JShell js = JShell.builder().executionEngine(control.provider(), java.util.Map.of()).build();
            for (String entry : KernelClasspath.entries()) js.addToClasspath(entry);
            return js;
        });
        this.magics = new Magics(jshell::addToClasspath, MavenResolver.fromSystemProperties(), KernelClasspath.entries());
        onCellThread(() -> { runStartup(); return null; });
    }

    /** Startup imports that did not resolve (e.g. the DSL before it lands). */
    public List<String> skippedStartup() { return List.copyOf(skippedStartup); }

    /** peft4j's startup imports plus {@link #KERNEL_IMPORTS}, in order. */
    public static List<String> startupImports() {
        List<String> all = new ArrayList<>(io.peft4j.cli.StartupImports.lines());
        all.addAll(KERNEL_IMPORTS);
        return all;
    }

    private void runStartup() {
        for (String src : startupImports()) {
            List<SnippetEvent> events = jshell.eval(src);
            boolean ok = !events.isEmpty() && events.stream().allMatch(e -> e.status() != Snippet.Status.REJECTED);
            if (!ok) {
                skippedStartup.add(src);
                String why = events.isEmpty() ? "no snippet" : jshell.diagnostics(events.get(0).snippet())
                        .map(d -> d.getMessage(Locale.ROOT)).findFirst().orElse("rejected");
                LOG.warning("startup: skipped '" + src + "' (" + why + ")");
            }
        }
    }

    /** Evaluates a whole cell; blocks the caller until the cell thread has finished it. */
    public Result eval(String code) throws Exception {
        return onCellThread(() -> evalHere(code));
    }

    private Result evalHere(String code) throws Exception {
        Thread.interrupted(); // a stale interrupt must not hit the next cell
        control.beginCell();
        TimeMagic timer = null;
        try {
            Magics.Prepared cell = magics.prepare(code);
            if (cell.timed()) timer = new TimeMagic();
            Result last = Result.NONE;
            for (String src : splitSnippets(cell.java())) {
                if (control.stopRequested()) throw new CellInterruptedException("cell interrupted");
                last = evalSnippet(src);
            }
            return last;
        } finally {
            control.endCell();
            Thread.interrupted();
            if (timer != null) System.out.println(timer.report());
        }
    }

    private Result evalSnippet(String src) throws Exception {
        control.resetCapture();
        List<SnippetEvent> events;
        try {
            events = jshell.eval(src);
        } catch (CellInterrupts.CellStop stop) {
            throw new CellInterruptedException("cell interrupted");
        }
        Result result = Result.NONE;
        for (SnippetEvent e : events) {
            if (e.causeSnippet() != null) continue; // side effects on other snippets
            Snippet s = e.snippet();
            if (e.status() == Snippet.Status.REJECTED) {
                throw compileError(s);
            }
            if (e.exception() != null) {
                throw cellException(e.exception());
            }
            if (control.stopRequested()) {
                throw new CellInterruptedException("cell interrupted");
            }
            if (e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED && s instanceof VarSnippet v) {
                throw new CompilationException("cannot find symbol for variable " + v.name(),
                        List.of("variable " + v.name() + " needs: " +
                                jshell.unresolvedDependencies(v).collect(Collectors.joining(", "))));
            }
            if (s instanceof ExpressionSnippet
                    || (s instanceof VarSnippet && s.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND)) {
                result = new Result(true, control.lastValue());
            }
        }
        if (control.stopRequested()) throw new CellInterruptedException("cell interrupted");
        return result;
    }

    private Exception cellException(jdk.jshell.JShellException jex) {
        Throwable t = control.lastThrown();
        // after an interrupt request whatever ended the cell is the interrupt's doing: a loop's safe
        // point (CellStop), the library's (OperationInterruptedException), a blocking call's InterruptedException
        if (t instanceof CellInterrupts.CellStop || t instanceof io.peft4j.progress.OperationInterruptedException
                || (control.stopRequested() && t != null)) {
            return new CellInterruptedException("cell interrupted"
                    + (t instanceof CellInterrupts.CellStop ? "" : " (" + t + ")"));
        }
        if (t instanceof Exception ex) return ex;
        if (t != null) return new CellError(t);
        if (jex instanceof UnresolvedReferenceException ure) {
            return new CompilationException("unresolved reference in " + ure.getSnippet().source().strip(),
                    List.of(String.valueOf(ure.getMessage())));
        }
        if (jex instanceof EvalException ee) {
            return new CellError(new RuntimeException(ee.getExceptionClassName() + ": " + ee.getMessage()));
        }
        return jex;
    }

    private CompilationException compileError(Snippet s) {
        List<String> lines = new ArrayList<>();
        String first = null;
        String src = s.source();
        for (Diag d : jshell.diagnostics(s).collect(Collectors.toList())) {
            String msg = d.getMessage(Locale.ROOT);
            if (first == null) first = msg;
            int pos = (int) Math.max(0, Math.min(src.length(), d.getStartPosition()));
            int lineStart = src.lastIndexOf('\n', pos - 1) + 1;
            int lineEnd = src.indexOf('\n', pos);
            if (lineEnd < 0) lineEnd = src.length();
            int lineNo = (int) src.substring(0, lineStart).chars().filter(c -> c == '\n').count() + 1;
            lines.add((d.isError() ? "error" : "warning") + " (snippet line " + lineNo + "): " + msg);
            lines.add("    " + src.substring(lineStart, lineEnd));
            lines.add("    " + " ".repeat(Math.max(0, pos - lineStart)) + "^");
        }
        if (first == null) first = "snippet rejected: " + src.strip();
        return new CompilationException(first, lines);
    }

    /** Splits a cell into JShell snippets (JShell evaluates one snippet at a time). */
    List<String> splitSnippets(String code) {
        SourceCodeAnalysis sca = jshell.sourceCodeAnalysis();
        List<String> out = new ArrayList<>();
        String rest = code;
        while (!rest.isBlank()) {
            SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
            if (ci.completeness() == Completeness.EMPTY) break;
            if (!ci.completeness().isComplete()) { out.add(rest); break; }
            out.add(ci.source());
            rest = ci.remaining();
        }
        return out;
    }

    /** [start, end) of the snippet containing {@code cursor}. */
    private int[] snippetAt(String code, int cursor) {
        SourceCodeAnalysis sca = jshell.sourceCodeAnalysis();
        int start = 0;
        while (start < code.length()) {
            SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(code.substring(start));
            if (!ci.completeness().isComplete() || ci.completeness() == Completeness.EMPTY) break;
            int end = code.length() - ci.remaining().length();
            if (end <= start || cursor <= end) return new int[]{start, end};
            start = end;
        }
        return new int[]{start, code.length()};
    }

    /** Completion candidates at {@code cursor}: (replacements, replaceStart, replaceEnd). */
    public record Completions(List<String> options, int start, int end) {}

    public Completions complete(String code, int cursor) throws Exception {
        Objects.requireNonNull(code, "code");
        int c = Math.max(0, Math.min(cursor, code.length()));
        return onCellThread(() -> {
            int[] span = snippetAt(code, c);
            String snippet = code.substring(span[0], c);
            int[] anchor = new int[1];
            List<SourceCodeAnalysis.Suggestion> suggestions =
                    jshell.sourceCodeAnalysis().completionSuggestions(snippet, snippet.length(), anchor);
            Set<String> options = new LinkedHashSet<>();
            suggestions.stream().filter(SourceCodeAnalysis.Suggestion::matchesType)
                    .forEach(s -> options.add(s.continuation()));
            suggestions.forEach(s -> options.add(s.continuation()));
            return new Completions(new ArrayList<>(options), span[0] + anchor[0], c);
        });
    }

    /** Signatures (and javadoc, when asked and available) of the element at {@code cursor}. */
    public List<String> inspect(String code, int cursor, boolean detail) throws Exception {
        int c = Math.max(0, Math.min(cursor, code.length()));
        return onCellThread(() -> {
            int[] span = snippetAt(code, c);
            String snippet = code.substring(span[0], Math.max(c, span[0]));
            // documentation() wants the cursor inside or right after an identifier or call
            List<SourceCodeAnalysis.Documentation> docs =
                    jshell.sourceCodeAnalysis().documentation(snippet, snippet.length(), detail);
            List<String> out = new ArrayList<>();
            for (SourceCodeAnalysis.Documentation d : docs) {
                out.add(d.signature());
                if (detail && d.javadoc() != null && !d.javadoc().isBlank()) out.add(d.javadoc());
            }
            return out;
        });
    }

    /** Jupyter's is_complete: "complete", "incomplete", "invalid". */
    public String isComplete(String code) throws Exception {
        return onCellThread(() -> {
            SourceCodeAnalysis sca = jshell.sourceCodeAnalysis();
            String rest = code;
            while (true) {
                if (rest.isBlank()) return "complete";
                SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
                switch (ci.completeness()) {
                    case EMPTY: return "complete";
                    case DEFINITELY_INCOMPLETE:
                    case CONSIDERED_INCOMPLETE: return "incomplete";
                    case UNKNOWN: return "invalid";
                    default: rest = ci.remaining();
                }
            }
        });
    }

    /** Stops the running cell cooperatively (see {@link InProcessExecutionControl#stop()}). */
    public void interrupt() {
        control.stop(); // JShell.stop() would do the same through the engine
    }

    /** The cell thread, for diagnostics and tests. */
    public Thread cellThread() { return cellThreadRef; }

    private <T> T onCellThread(Callable<T> task) throws Exception {
        Future<T> f = cellThread.submit(task);
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof CellInterrupts.CellStop) throw new CellInterruptedException("cell interrupted");
            if (c instanceof Exception ex) throw ex;
            throw new CellError(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw e;
        }
    }

    @Override public void close() {
        try {
            control.stop();
            cellThread.submit(jshell::close);
        } catch (RuntimeException ignored) {
            // already closing
        }
        cellThread.shutdown();
    }
}
