package io.peft4j.kernel.display;

import io.peft4j.progress.ProgressListener;
import io.peft4j.progress.Task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Live progress of the library's long operations (generation, ROUGE scoring, comparisons; see
 * {@code io.peft4j.progress}) in the cell that runs them: one output per top-level task, shown once
 * the task has run {@link #SHOW_AFTER_NANOS} (quick calls print nothing), updated at most every
 * {@code minIntervalNanos} with one line per nested task ({@code compare: 1/3 [LoRA r=8]},
 * {@code generate: 32/100 ...}), and finished with the outcome.
 */
public final class TaskProgressDisplay implements ProgressListener {
    public static final long SHOW_AFTER_NANOS = 500_000_000L;

    private final DisplaySink sink;
    private final LongSupplier clock;
    private final long minIntervalNanos;
    private final Map<Task, State> roots = Collections.synchronizedMap(new LinkedHashMap<>());

    private static final class State {
        final String id = UUID.randomUUID().toString();
        final long start;
        boolean shown;
        long last;
        State(long start) { this.start = start; }
    }

    public TaskProgressDisplay(DisplaySink sink, LongSupplier nanoClock, long minIntervalNanos) {
        this.sink = java.util.Objects.requireNonNull(sink, "sink");
        this.clock = java.util.Objects.requireNonNull(nanoClock, "nanoClock");
        this.minIntervalNanos = minIntervalNanos;
    }

    private static Task root(Task t) {
        Task r = t;
        while (r.parent() != null) r = r.parent();
        return r;
    }

    @Override public void onStart(Task task) {
        if (task.parent() == null) roots.put(task, new State(clock.getAsLong()));
        else onProgress(task);
    }

    @Override public void onProgress(Task task) {
        State s = roots.get(root(task));
        if (s == null) return;
        long now = clock.getAsLong();
        synchronized (s) {
            if (!s.shown) {
                if (now - s.start < SHOW_AFTER_NANOS) return;
                sink.display(s.id, bundle(lines(task), null));
                s.shown = true;
                s.last = now;
            } else if (now - s.last >= minIntervalNanos) {
                sink.update(s.id, bundle(lines(task), null));
                s.last = now;
            }
        }
    }

    @Override public void onEnd(Task task, String outcome) {
        if (task.parent() != null) { onProgress(task.parent()); return; }
        State s = roots.remove(task);
        if (s == null) return;
        synchronized (s) {
            if (s.shown) sink.update(s.id, bundle(List.of(task.line()), outcome));
        }
    }

    /** The task and its open ancestors, outermost first. */
    static List<String> lines(Task t) {
        List<String> out = new ArrayList<>();
        for (Task x = t; x != null; x = x.parent()) if (!x.isClosed()) out.add(0, x.line());
        return out;
    }

    static Map<String, String> bundle(List<String> lines, String outcome) {
        List<String> all = new ArrayList<>(lines);
        if (outcome != null) all.add(outcome);
        String text = String.join("\n", all);
        StringBuilder html = new StringBuilder("<div class=\"peft4j-progress\">");
        for (String l : all) html.append("<div>").append(io.peft4j.report.Tables.escape(l)).append("</div>");
        html.append("</div>");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", html.toString());
        b.put("text/plain", text);
        return b;
    }
}
