package io.peft4j.train;

import java.util.Map;

/**
 * Receives training progress. The trainer calls these on its own thread; implementations must be
 * quick (the terminal progress bar and the notebook kernel's live display are listeners).
 */
public interface TrainingListener {

    /** After each optimizer step. */
    record StepEvent(long step, long totalSteps, int epoch, double loss, double learningRate,
                     double tokensPerSecond, double etaSeconds) {}

    /** After each epoch: mean training loss over the epoch. */
    record EpochEvent(int epoch, int totalEpochs, long step, double meanLoss, double seconds) {}

    /** After an evaluation: metric name -> value (e.g. "loss", "rougeL"). */
    record EvalEvent(int epoch, long step, Map<String, Double> metrics) {}

    default void onStep(StepEvent e) {}
    default void onEpoch(EpochEvent e) {}
    default void onEvaluation(EvalEvent e) {}
    /** Training ended (normally, interrupted, or failed). */
    default void onEnd(String outcome) {}
}
