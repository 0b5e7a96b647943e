package io.peft4j.kernel.execution;

/** Carries a {@link Error} (not an {@link Exception}) thrown by cell code, e.g. AssertionError. */
public final class CellError extends Exception {
    CellError(Throwable cause) { super(cause.toString(), cause); }
}
