package io.peft4j.kernel.display;

import io.peft4j.train.TrainingListener;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The listener the kernel registers once with {@code Peft.onTraining(...)}: each training run gets
 * its own live {@link ProgressDisplay} (a new output in the cell that trains), created at the
 * run's first event and dropped at its end, so a later run never rewrites an earlier cell's bar.
 */
public final class RunProgress implements TrainingListener {
    private final Supplier<TrainingListener> perRun;
    private TrainingListener current;

    public RunProgress(Supplier<TrainingListener> perRun) { this.perRun = Objects.requireNonNull(perRun, "perRun"); }

    private synchronized TrainingListener current() {
        if (current == null) current = perRun.get();
        return current;
    }

    @Override public void onStep(StepEvent e) { current().onStep(e); }
    @Override public void onEpoch(EpochEvent e) { current().onEpoch(e); }
    @Override public void onEvaluation(EvalEvent e) { current().onEvaluation(e); }

    @Override public void onEnd(String outcome) {
        TrainingListener l;
        synchronized (this) { l = current(); current = null; }
        l.onEnd(outcome);
    }
}
