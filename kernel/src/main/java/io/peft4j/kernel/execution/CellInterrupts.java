package io.peft4j.kernel.execution;

/**
 * The safe point compiled into cell code: {@link CellClassLoader} inserts a call to {@link #poll()}
 * before every backward jump (each loop iteration) of the classes JShell compiles from cells, so a
 * cell's own loop stops at its next iteration after "interrupt kernel" even when it never looks at
 * {@link Thread#isInterrupted()}. Library code (training, generation, ROUGE, comparisons) has safe
 * points of its own that answer the thread interrupt. No {@code Thread.stop} (gone in JDK 20+).
 */
public final class CellInterrupts {
    /** The thread whose cell must stop, or null. */
    private static volatile Thread stopping;

    private CellInterrupts() {}

    /** Called by instrumented cell code at every loop back-edge: throws when this thread's cell must stop. */
    public static void poll() {
        if (stopping == Thread.currentThread()) throw new CellStop();
    }

    static void requestStop(Thread t) { stopping = t; }

    static void clear() { stopping = null; }

    /**
     * Thrown by {@link #poll()}: an {@link Error}, so that a cell's {@code catch (Exception e)} does not
     * swallow it and loop on.
     */
    public static final class CellStop extends Error {
        CellStop() { super("cell interrupted", null, false, false); }
    }
}
