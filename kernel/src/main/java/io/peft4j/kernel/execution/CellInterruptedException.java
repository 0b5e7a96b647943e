package io.peft4j.kernel.execution;

/** The running cell was stopped by an interrupt request (Jupyter's "interrupt kernel"). */
public final class CellInterruptedException extends Exception {
    CellInterruptedException(String message) { super(message); }
}
