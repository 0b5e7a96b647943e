package io.peft4j.progress;

import java.util.Locale;

/**
 * One long operation in progress, opened with {@link Progress#start} and closed with try-with-resources.
 * {@link #advance} and {@link #tick} are its safe points: each first checks the thread's interrupt
 * flag and throws {@link OperationInterruptedException} when it is set, then tells the listeners.
 * Tasks nest per thread (a comparison's generation, then its scoring): {@link #parent()}.
 */
public final class Task implements AutoCloseable {
    private final String name;
    private final long total;
    private final Task parent;
    private final long startNanos = System.nanoTime();
    private final Thread thread = Thread.currentThread();
    private volatile long done;
    private volatile String detail = "";
    private volatile boolean closed;
    private String outcome = "done";

    Task(String name, long total, Task parent) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("task name must be non-empty");
        if (total < 0) throw new IllegalArgumentException("task '" + name + "': total must be >= 0 (0 = unknown), got " + total);
        this.name = name;
        this.total = total;
        this.parent = parent;
    }

    public String name() { return name; }
    /** Units of work in all (0 when unknown). */
    public long total() { return total; }
    public long done() { return done; }
    /** A short note about the current unit (e.g. the model being evaluated), or "". */
    public String detail() { return detail; }
    public Task parent() { return parent; }
    public int depth() { return parent == null ? 0 : parent.depth() + 1; }
    public Thread thread() { return thread; }
    public double elapsedSeconds() { return (System.nanoTime() - startNanos) / 1e9; }
    public boolean isClosed() { return closed; }

    /** Checks for an interrupt, then adds {@code units} to {@link #done()} and tells the listeners. */
    public void advance(long units) {
        checkInterrupted();
        done = Math.min(total > 0 ? total : Long.MAX_VALUE, done + units);
        Progress.fire(this);
    }

    public void advance() { advance(1); }

    /** Checks for an interrupt and lets the listeners refresh (time passed, {@link #done()} unchanged). */
    public void tick() {
        checkInterrupted();
        Progress.fire(this);
    }

    /** Sets the note shown next to the counts. */
    public Task detail(String text) {
        this.detail = text == null ? "" : text;
        return this;
    }

    /** Throws {@link OperationInterruptedException} (interrupt flag kept) when this thread was interrupted. */
    public void checkInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            outcome = "interrupted";
            throw new OperationInterruptedException(name, done, total);
        }
    }

    /** Marks the task failed (closing it then reports {@code failed} unless it was interrupted). */
    void failed() { if (outcome.equals("done")) outcome = "failed"; }

    /** "generate: 32/100 (32%) 4.1 s, ETA 8.7 s [LoRA r=8]". */
    public String line() {
        double s = elapsedSeconds();
        StringBuilder b = new StringBuilder(name).append(": ").append(done);
        if (total > 0) {
            b.append('/').append(total).append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * done / total));
        }
        b.append(String.format(Locale.ROOT, " %.1f s", s));
        if (total > 0 && done > 0 && done < total) b.append(String.format(Locale.ROOT, ", ETA %.1f s", s / done * (total - done)));
        if (!detail.isEmpty()) b.append(" [").append(detail).append(']');
        return b.toString();
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        // an interrupt seen by code below this task (a safe point of its own, not advance/tick) still
        // unwinds through here with the flag kept: report it as such, not as "done"
        if (outcome.equals("done") && Thread.currentThread() == thread && thread.isInterrupted()) outcome = "interrupted";
        Progress.end(this, outcome);
    }

    @Override public String toString() { return line(); }
}
