package io.peft4j.kernel;

import io.peft4j.kernel.execution.CellError;
import io.peft4j.kernel.execution.CellEvaluator;
import io.peft4j.kernel.execution.CellInterruptedException;
import io.peft4j.kernel.execution.CompilationException;
import io.peft4j.kernel.magics.MagicException;
import io.peft4j.kernel.display.KernelDisplaySink;
import io.peft4j.kernel.display.MimeRenderer;

import io.github.spencerpark.jupyter.kernel.BaseKernel;
import io.github.spencerpark.jupyter.kernel.LanguageInfo;
import io.github.spencerpark.jupyter.kernel.ReplacementOptions;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.kernel.history.HistoryManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The peft4j Jupyter kernel: basekernel's protocol handling with cells evaluated by a
 * {@link CellEvaluator} and values rendered by {@link MimeRenderer}. Errors reach the client as
 * error replies: ename is the exception's simple class name ({@code CompilationException},
 * {@code ArithmeticException}, {@code CellInterruptedException}, ...), evalue its message and
 * the traceback the cell-relevant lines only.
 */
public final class PeftKernel extends BaseKernel {
    private final CellEvaluator evaluator;
    private final CellHistory history = new CellHistory();
    private final LanguageInfo languageInfo = new LanguageInfo("java", System.getProperty("java.version"),
            "text/x-java-source", ".java", "java", "java", "script");

    public PeftKernel(CellEvaluator evaluator) {
        this.evaluator = evaluator;
    }

    @Override public LanguageInfo getLanguageInfo() { return languageInfo; }

    @Override public String getBanner() {
        return "peft4j " + io.peft4j.Version.VERSION + " - Java " + System.getProperty("java.version")
                + " (JShell, in-process)";
    }

    @Override public HistoryManager getHistoryManager() { return history; }

    @Override public DisplayData eval(String code) throws Exception {
        history.add(code);
        CellEvaluator.Result r = evaluator.eval(code);
        if (!r.hasValue()) return null;
        return toDisplayData(MimeRenderer.render(r.value()));
    }

    static DisplayData toDisplayData(Map<String, String> bundle) { return KernelDisplaySink.toDisplayData(bundle); }

    @Override public DisplayData inspect(String code, int at, boolean extraDetail) throws Exception {
        List<String> lines = evaluator.inspect(code, at, extraDetail);
        if (lines.isEmpty()) return null;
        return new DisplayData(String.join("\n", lines));
    }

    @Override public ReplacementOptions complete(String code, int at) throws Exception {
        CellEvaluator.Completions c = evaluator.complete(code, at);
        return new ReplacementOptions(c.options(), c.start(), c.end());
    }

    @Override public String isComplete(String code) {
        try {
            String s = evaluator.isComplete(code);
            return switch (s) {
                case "complete" -> IS_COMPLETE_YES;
                case "invalid" -> IS_COMPLETE_BAD;
                default -> "";
            };
        } catch (Exception e) {
            return IS_COMPLETE_MAYBE;
        }
    }

    @Override public void interrupt() { evaluator.interrupt(); }

    @Override public void onShutdown(boolean isRestarting) { evaluator.close(); }

    @Override public List<String> formatError(Exception e) {
        if (e instanceof CompilationException ce) {
            List<String> lines = new ArrayList<>();
            lines.add("CompilationException: " + ce.getMessage());
            lines.addAll(ce.lines());
            return lines;
        }
        if (e instanceof CellInterruptedException || e instanceof MagicException) {
            return List.of(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return cellTrace(e instanceof CellError && e.getCause() != null ? e.getCause() : e);
    }

    /** The stack trace down to the cell's own frames (reflection and kernel frames cut). */
    static List<String> cellTrace(Throwable t) {
        List<String> lines = new ArrayList<>();
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        String prefix = "";
        while (t != null && seen.add(t)) {
            lines.add(prefix + t);
            for (StackTraceElement el : t.getStackTrace()) {
                String cls = el.getClassName();
                if (cls.startsWith("jdk.internal.reflect") || cls.startsWith("java.lang.reflect")
                        || cls.startsWith("jdk.jshell") || cls.startsWith("io.peft4j.kernel.")) break;
                String where = cls.startsWith("REPL.") ? "cell" : cls;
                lines.add("    at " + where + "." + el.getMethodName()
                        + (el.getLineNumber() > 0 ? " (line " + el.getLineNumber() + ")" : ""));
            }
            t = t.getCause();
            prefix = "Caused by: ";
        }
        return lines;
    }
}
