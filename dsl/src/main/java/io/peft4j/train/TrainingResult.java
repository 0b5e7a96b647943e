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
 */
public record TrainingResult(List<Double> stepLosses, List<EpochMetrics> epochs, long steps, long tokens,
                             double wallSeconds, double tokensPerSecond, int bestEpoch, double bestMetric,
                             Outcome outcome) {

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
    }

    /** Loss of the last step, NaN when no step was taken. */
    public double finalLoss() { return stepLosses.isEmpty() ? Double.NaN : stepLosses.get(stepLosses.size() - 1); }
}
