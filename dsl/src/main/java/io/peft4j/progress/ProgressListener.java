package io.peft4j.progress;

/**
 * Hears about every {@link Task} (generation, ROUGE scoring, comparisons, evaluations) on any thread,
 * e.g. the Jupyter kernel's live progress display. Called on the task's thread, often (up to once per
 * generated token): throttle expensive work, and never throw.
 */
public interface ProgressListener {
    void onStart(Task task);

    /** The task advanced ({@link Task#done()} changed) or ticked (time passed within a step). */
    void onProgress(Task task);

    /** The task ended: {@code outcome} is {@code done}, {@code interrupted} or {@code failed}. */
    void onEnd(Task task, String outcome);
}
