package io.peft4j.train;

import java.util.List;
import java.util.Map;

/**
 * What a training run did.
 *
 * @param stepLosses      training loss of each optimizer step (mean over its micro-batches), step 1 first
 * @param epochs          one entry per finished epoch
 * @param steps           optimizer steps done (including those of the run a resume continued)
 * @param tokens          tokens processed: non-padding encoder inputs plus counted labels
 * @param wallSeconds     training time, summed over resumed sessions
 * @param tokensPerSecond tokens / wallSeconds
 * @param bestEpoch       1-based epoch with the best value of the watched metric, or 0 without evaluation
 * @param bestMetric      that value (NaN without evaluation)
 * @param outcome         how the run ended
 * @param stepSeconds     wall time of each optimizer step of this session (forward, backward, update), in order
 * @param stepTokens      tokens of each optimizer step of this session (same counting as {@code tokens})
 */
public record TrainingResult(List<Double> stepLosses, List<EpochMetrics> epochs, long steps, long tokens,
                             double wallSeconds, double tokensPerSecond, int bestEpoch, double bestMetric,
                             Outcome outcome, List<Double> stepSeconds, List<Long> stepTokens) {

    /** Without per-step timings. */
    public TrainingResult(List<Double> stepLosses, List<EpochMetrics> epochs, long steps, long tokens,
                          double wallSeconds, double tokensPerSecond, int bestEpoch, double bestMetric, Outcome outcome) {
        this(stepLosses, epochs, steps, tokens, wallSeconds, tokensPerSecond, bestEpoch, bestMetric, outcome, List.of(), List.of());
    }

    public enum Outcome { COMPLETED, INTERRUPTED, EARLY_STOPPED }

    /**
     * @param epoch     1-based epoch number
     * @param trainLoss mean of the step losses of the epoch
     * @param eval      evaluation metrics ("loss" = eval loss, plus the evaluation callback's), empty without evaluation
     * @param seconds   wall time of the epoch's training steps and evaluation in this session
     */
    public record EpochMetrics(int epoch, double trainLoss, Map<String, Double> eval, double seconds) {
        public EpochMetrics { eval = Map.copyOf(eval); }
    }

    public TrainingResult {
        stepLosses = List.copyOf(stepLosses);
        epochs = List.copyOf(epochs);
        stepSeconds = List.copyOf(stepSeconds);
        stepTokens = List.copyOf(stepTokens);
        if (stepSeconds.size() != stepTokens.size())
            throw new IllegalArgumentException("stepSeconds (" + stepSeconds.size() + ") and stepTokens (" + stepTokens.size() + ") must have one entry per step");
    }

    /**
     * Steady-state throughput: tokens of the timed steps after the first {@code warmupSteps} steps of
     * this session divided by their wall time (JIT and allocator warm-up excluded). NaN when no step
     * is left after the warm-up.
     */
    public double steadyTokensPerSecond(int warmupSteps) {
        if (warmupSteps < 0) throw new IllegalArgumentException("warmupSteps = " + warmupSteps + " is invalid: allowed >= 0");
        double secs = 0;
        long toks = 0;
        for (int i = warmupSteps; i < stepSeconds.size(); i++) { secs += stepSeconds.get(i); toks += stepTokens.get(i); }
        return secs > 0 ? toks / secs : Double.NaN;
    }

    /** Wall time of the first {@code warmupSteps} steps of this session (the warm-up reported separately). */
    public double warmupSeconds(int warmupSteps) {
        if (warmupSteps < 0) throw new IllegalArgumentException("warmupSteps = " + warmupSteps + " is invalid: allowed >= 0");
        double secs = 0;
        for (int i = 0; i < Math.min(warmupSteps, stepSeconds.size()); i++) secs += stepSeconds.get(i);
        return secs;
    }

    /** Loss of the last step, NaN when no step was taken. */
    public double finalLoss() { return stepLosses.isEmpty() ? Double.NaN : stepLosses.get(stepLosses.size() - 1); }
}
