package io.peft4j.progress;

import java.util.concurrent.CancellationException;

/**
 * A long operation (generation, ROUGE scoring, a comparison, an evaluation) stopped at a safe point
 * because its thread was interrupted (a notebook's "interrupt kernel", {@code Future.cancel(true)}).
 * The thread's interrupt flag is set again when this is thrown, so callers further up stop too.
 */
public final class OperationInterruptedException extends CancellationException {
    private final String operation;
    private final long done;
    private final long total;

    public OperationInterruptedException(String operation, long done, long total) {
        super(operation + " interrupted after " + done + (total > 0 ? " of " + total : "") + " steps");
        this.operation = operation;
        this.done = done;
        this.total = total;
    }

    public String operation() { return operation; }
    public long done() { return done; }
    public long total() { return total; }
}
