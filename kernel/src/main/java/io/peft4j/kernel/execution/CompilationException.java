package io.peft4j.kernel.execution;

import java.util.List;

/** A cell did not compile; the message is the first diagnostic, {@link #lines()} all of them. */
public final class CompilationException extends Exception {
    private final List<String> lines;

    CompilationException(String message, List<String> lines) {
        super(message);
        this.lines = List.copyOf(lines);
    }

    /** Human-readable diagnostics with the offending source line and a caret. */
    public List<String> lines() { return lines; }
}
