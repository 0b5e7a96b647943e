package io.peft4j.kernel.execution;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.logging.Logger;

/**
 * JShell execution engine that runs cell code in the kernel's own JVM, on the thread that calls
 * {@code JShell.eval} (the kernel's single cell thread), with classes from a {@link CellClassLoader}.
 *
 * <p>Unlike JShell's stock engines it keeps the last returned object itself (not only its
 * string form), so the kernel can render tables and charts. Its {@link #stop()} is cooperative:
 * it interrupts the cell thread (training, generation, ROUGE and comparisons stop at their next
 * safe point, {@code Thread.sleep} and blocking calls throw) and raises the cell's own flag
 * ({@link CellInterrupts}: loops compiled from cells stop at their next iteration). While the cell
 * runs on, the interrupt is repeated every {@link #REINTERRUPT_MS} ms (code that swallowed one
 * still meets the next); after {@link #STOP_GRACE_MS} ms without an end the cell is told it ignores
 * interrupts. {@code Thread.stop} is never used (it throws on JDK 20 and later).
 */
final class InProcessExecutionControl extends DirectExecutionControl {

    static final long STOP_GRACE_MS = 3_000;
    static final long REINTERRUPT_MS = 200;
    private static final Logger LOG = Logger.getLogger(InProcessExecutionControl.class.getName());

    private final CellClassLoader loader;
    /** Thread currently running client code, or null. */
    private volatile Thread running;
    /** Incremented on every client-code entry; lets a late escalation see that the cell moved on. */
    private volatile long invocation;
    private volatile Object lastValue;
    private volatile Throwable lastThrown;
    private volatile boolean stopRequested;
    /** True while a cell is being evaluated (compiling or running): an interrupt then applies to it. */
    private volatile boolean cellActive;

    InProcessExecutionControl(CellClassLoader loader) {
        super(loader.delegate());
        this.loader = loader;
    }

    CellClassLoader loader() { return loader; }

    /** A cell starts: earlier interrupts are forgotten. */
    void beginCell() {
        stopRequested = false;
        CellInterrupts.clear();
        cellActive = true;
    }

    void endCell() {
        cellActive = false;
        CellInterrupts.clear();
    }

    /** Clears the captured value/exception before a snippet is evaluated. */
    void resetCapture() {
        lastValue = null;
        lastThrown = null;
    }

    Object lastValue() { return lastValue; }

    Throwable lastThrown() { return lastThrown; }

    boolean stopRequested() { return stopRequested; }

    @Override protected String invoke(Method doitMethod) throws Exception {
        Object value = doitMethod.invoke(null);
        lastValue = value;
        return valueString(value);
    }

    @Override protected String throwConvertedInvocationException(Throwable cause)
            throws RunException, InternalException {
        lastThrown = cause;
        return super.throwConvertedInvocationException(cause);
    }

    @Override protected String throwConvertedOtherException(Throwable ex)
            throws RunException, InternalException {
        lastThrown = ex;
        return super.throwConvertedOtherException(ex);
    }

    @Override protected void clientCodeEnter() {
        invocation++;
        running = Thread.currentThread();
        if (stopRequested) interruptAndWatch(running); // interrupt arrived while the cell compiled
    }

    @Override protected void clientCodeLeave() {
        running = null;
    }

    @Override public void stop() {
        if (!cellActive) return;
        stopRequested = true;
        Thread t = running;
        if (t != null) interruptAndWatch(t);
    }

    private void interruptAndWatch(Thread t) {
        long inv = invocation;
        CellInterrupts.requestStop(t);
        t.interrupt();
        Thread watchdog = new Thread(() -> keepInterrupting(t, inv), "peft4j-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private void keepInterrupting(Thread t, long inv) {
        long start = System.currentTimeMillis();
        boolean warned = false;
        while (running == t && invocation == inv && stopRequested) {
            try { Thread.sleep(REINTERRUPT_MS); } catch (InterruptedException e) { return; }
            if (running != t || invocation != inv || !stopRequested) return;
            t.interrupt();
            if (!warned && System.currentTimeMillis() - start >= STOP_GRACE_MS) {
                warned = true;
                LOG.warning("cell ignored the interrupt for " + STOP_GRACE_MS + " ms");
                System.err.println("peft4j kernel: the cell has ignored the interrupt for " + STOP_GRACE_MS / 1000
                    + " s: it runs code with no safe point (a library loop that never checks Thread.interrupted()). "
                    + "It is interrupted again every " + REINTERRUPT_MS + " ms; restart the kernel to end it now.");
            }
        }
    }

    /** Hands this (already built) engine to JShell. */
    ExecutionControlProvider provider() {
        InProcessExecutionControl self = this;
        return new ExecutionControlProvider() {
            @Override public String name() { return "peft4j-inprocess"; }
            @Override public ExecutionControl generate(ExecutionEnv env, Map<String, String> params) {
                return self;
            }
        };
    }
}
