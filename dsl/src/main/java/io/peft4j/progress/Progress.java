package io.peft4j.progress;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Progress and interruption of the library's long loops (generation, ROUGE scoring, comparisons,
 * evaluations; training has its own {@code TrainingListener}s). A loop opens a {@link Task} and calls
 * {@link Task#advance} at each safe point:
 * <pre>{@code
 * try (Task t = Progress.start("generate", prompts.size())) {
 *     for (...) { t.advance(batch); ... }
 * }
 * }</pre>
 * An interrupted thread then stops at its next safe point with {@link OperationInterruptedException};
 * listeners ({@link #addListener}) see every task start, advance and end.
 */
public final class Progress {
    private static final List<ProgressListener> LISTENERS = new CopyOnWriteArrayList<>();
    private static final ThreadLocal<Deque<Task>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private Progress() {}

    public static void addListener(ProgressListener l) { LISTENERS.add(java.util.Objects.requireNonNull(l, "listener")); }

    public static void removeListener(ProgressListener l) { LISTENERS.remove(l); }

    /** Opens a task of {@code total} units (0 = unknown) nested in this thread's current one; checks for an interrupt first. */
    public static Task start(String name, long total) {
        if (Thread.currentThread().isInterrupted()) throw new OperationInterruptedException(name, 0, total);
        Deque<Task> stack = STACK.get();
        Task t = new Task(name, total, stack.peek());
        stack.push(t);
        for (ProgressListener l : LISTENERS) safely(() -> l.onStart(t));
        return t;
    }

    /** Runs {@code body} as one task, marking it failed when the body throws. */
    public static <T> T run(String name, long total, java.util.function.Function<Task, T> body) {
        try (Task t = start(name, total)) {
            try {
                return body.apply(t);
            } catch (RuntimeException | Error e) {
                if (!(e instanceof OperationInterruptedException)) t.failed();
                throw e;
            }
        }
    }

    /** This thread's innermost open task, or null. */
    public static Task current() { return STACK.get().peek(); }

    /** Throws {@link OperationInterruptedException} when this thread was interrupted (a safe point outside any task). */
    public static void checkInterrupted(String operation) {
        if (Thread.currentThread().isInterrupted()) throw new OperationInterruptedException(operation, 0, 0);
    }

    static void fire(Task t) {
        for (ProgressListener l : LISTENERS) safely(() -> l.onProgress(t));
    }

    static void end(Task t, String outcome) {
        Deque<Task> stack = STACK.get();
        stack.remove(t);
        if (stack.isEmpty()) STACK.remove();
        for (ProgressListener l : LISTENERS) safely(() -> l.onEnd(t, outcome));
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // a listener must never break the work it watches
        }
    }
}
