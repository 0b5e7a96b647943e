package io.peft4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's position, everything besides tensors that a checkpoint must hold to continue a run
 * bit-identically. Serialized as {@code trainer_state.json} (public fields, read and written by Jackson).
 */
final class TrainerState {
    public int formatVersion = 1;
    /** Optimizer steps done. */
    public long step;
    /** 0-based current epoch. */
    public int epoch;
    /** Micro-batches of the current epoch already consumed (== batches when only the epoch end is pending). */
    public int position;
    /** Micro-batches consumed since the start of the run (dropout stream index). */
    public long microBatches;
    /** Batch order of the current epoch (a permutation of 0..batches-1). */
    public int[] order;
    public long tokens;
    public double wallSeconds;
    public List<Double> stepLosses = new ArrayList<>();
    public List<TrainingResult.EpochMetrics> epochMetrics = new ArrayList<>();
    public double epochLossSum;
    public int epochLossCount;
    /** Best watched metric so far and its 1-based epoch (0 = none yet). */
    public double bestMetric = Double.NaN;
    public int bestEpoch;
    /** Evaluations in a row without improvement. */
    public int evalsWithoutImprovement;
    public boolean earlyStopped;
    /** Scheduler position: learning rate of the last step, total steps and warmup (for inspection and checks). */
    public double lastLearningRate;
    public long totalSteps;
    /** Identity of the training data: number of batches and a content hash. */
    public int batches;
    public long dataFingerprint;
    /** Settings that decide the trajectory (see {@link TrainingConfig#trajectorySettings()}). */
    public Map<String, Object> config = new LinkedHashMap<>();
    /** Files of the checkpoint besides this one (name -> size in bytes), checked on load. */
    public Map<String, Long> files = new LinkedHashMap<>();
}
