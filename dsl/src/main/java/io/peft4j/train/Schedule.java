package io.peft4j.train;

/**
 * Learning-rate schedules, as multipliers of the base learning rate, with the formulas of Hugging
 * Face transformers' {@code get_constant_schedule_with_warmup}, {@code get_linear_schedule_with_warmup}
 * and {@code get_cosine_schedule_with_warmup} (num_cycles 0.5). The multiplier for optimizer step
 * {@code k} (1-based) is the lambda at {@code k - 1}, as {@code LambdaLR} gives it when the Trainer
 * calls {@code scheduler.step()} after each {@code optimizer.step()}: with warmup the first update uses
 * learning rate 0, exactly as in transformers.
 */
public enum Schedule {
    /** Linear warmup to the base rate, then constant. */
    CONSTANT,
    /** Linear warmup, then linear decay to 0 at the last step. */
    LINEAR,
    /** Linear warmup, then half-cosine decay to 0 at the last step. */
    COSINE;

    /**
     * @param current     LambdaLR's counter: number of optimizer steps already taken (0 for the first)
     * @param warmupSteps warmup length
     * @param totalSteps  number of optimizer steps of the run
     */
    public double multiplier(long current, long warmupSteps, long totalSteps) {
        if (current < warmupSteps) return (double) current / (double) Math.max(1, warmupSteps);
        return switch (this) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - current) / (double) Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (current - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }

    /** The learning rate of optimizer step {@code step} (1-based). */
    public double learningRate(double baseLr, long step, long warmupSteps, long totalSteps) {
        return baseLr * multiplier(step - 1, warmupSteps, totalSteps);
    }
}
