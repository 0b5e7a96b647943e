package io.peft4j.train;

/**
 * Training produced a NaN or infinite loss, gradient or parameter value. The trainer throws it
 * before writing the offending update, so the model's parameters hold their values from before
 * {@link #step()} (the last good state).
 */
public final class TrainingDivergedException extends RuntimeException {
    private final long step;
    private final String parameter;
    private final String what;

    /**
     * @param step      1-based optimizer step that failed (-1 when not known to the thrower)
     * @param parameter name of the first offending parameter, or null when none could be named
     * @param what      what was found, e.g. "loss is NaN"
     */
    public TrainingDivergedException(long step, String parameter, String what) {
        super(message(step, parameter, what));
        this.step = step;
        this.parameter = parameter;
        this.what = what;
    }

    private static String message(long step, String parameter, String what) {
        return "training diverged" + (step >= 0 ? " at step " + step : "")
            + (parameter != null ? " in parameter '" + parameter + "'" : "") + ": " + what
            + "; parameters were left at their values before this step (lower the learning rate, or enable gradient clipping)";
    }

    /** The same failure, with the step filled in. */
    TrainingDivergedException atStep(long s) {
        return new TrainingDivergedException(s, parameter, what);
    }

    public long step() { return step; }
    /** The first offending parameter, or null (e.g. a non-finite loss whose gradients stayed finite). */
    public String parameter() { return parameter; }
    /** What was found, e.g. "loss is NaN". */
    public String what() { return what; }
}
