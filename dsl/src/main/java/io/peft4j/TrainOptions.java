package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.train.Schedule;
import io.peft4j.train.TrainingConfig;

import java.nio.file.Path;

/**
 * How to train, for every method of the DSL: {@code epochs(3).lr(1e-3).batchSize(8)}. Immutable;
 * each {@code with}-style method returns a new value, and every value is checked on construction
 * (the message names the option, the value and what is allowed). Defaults follow Hugging Face's
 * Trainer (linear decay, no warmup, weight decay 0, gradient clipping at 1.0).
 *
 * @param epochs          passes over the training data (>= 1)
 * @param lr              peak learning rate (> 0)
 * @param batchSize       examples per batch (>= 1, at most the training set's size)
 * @param maxSourceLength source tokens kept per example (>= 2; longer inputs are truncated, keeping {@code </s>})
 * @param maxTargetLength target tokens kept per example (>= 2)
 * @param warmupSteps     linear warmup steps (>= 0)
 * @param schedule        learning-rate decay after warmup
 * @param weightDecay     AdamW decoupled weight decay (>= 0)
 * @param maxGradNorm     global gradient-norm clipping (> 0), 0 for none
 * @param maxSteps        stop after this many optimizer steps (0 = run all epochs)
 * @param seed            seeds initialisation of adapters, shuffling and dropout
 * @param eval            data to evaluate (loss) after each epoch, or null
 * @param patience        early stopping after this many epochs without eval-loss improvement (0 = off; needs eval)
 * @param checkpointDir   where checkpoints go (null = none)
 * @param checkpointEvery checkpoint every this many steps (0 = none; needs checkpointDir)
 * @param progress        show a progress bar on the terminal
 */
public record TrainOptions(int epochs, double lr, int batchSize, int maxSourceLength, int maxTargetLength,
                           long warmupSteps, Schedule schedule, double weightDecay, double maxGradNorm, long maxSteps,
                           long seed, Dataset eval, int patience, Path checkpointDir, int checkpointEvery,
                           boolean progress) {

    public TrainOptions {
        if (epochs < 1) throw bad("epochs", epochs, ">= 1");
        if (!(lr > 0) || Double.isInfinite(lr)) throw bad("lr", lr, "a finite number > 0 (e.g. 1e-3 for LoRA, 1e-4 for full fine-tuning)");
        if (batchSize < 1) throw bad("batchSize", batchSize, ">= 1");
        if (maxSourceLength < 2) throw bad("maxSourceLength", maxSourceLength, ">= 2");
        if (maxTargetLength < 2) throw bad("maxTargetLength", maxTargetLength, ">= 2");
        if (warmupSteps < 0) throw bad("warmupSteps", warmupSteps, ">= 0");
        if (schedule == null) throw bad("schedule", null, "one of CONSTANT, LINEAR, COSINE");
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw bad("weightDecay", weightDecay, "a finite number >= 0");
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) throw bad("maxGradNorm", maxGradNorm, "> 0, or 0 for no clipping");
        if (maxSteps < 0) throw bad("maxSteps", maxSteps, ">= 0 (0 = all epochs)");
        if (patience < 0) throw bad("patience", patience, ">= 0 (0 = no early stopping)");
        if (patience > 0 && eval == null) throw bad("patience", patience, "0 unless evaluation data is set with eval(...)");
        if (checkpointEvery < 0) throw bad("checkpointEvery", checkpointEvery, ">= 0");
        if (checkpointEvery > 0 && checkpointDir == null) throw bad("checkpointDir", null, "a folder when checkpointEvery > 0");
    }

    private static IllegalArgumentException bad(String field, Object value, String allowed) {
        return new IllegalArgumentException("TrainOptions." + field + " = " + value + " is invalid: allowed " + allowed);
    }

    /** One epoch, lr 1e-3, batch 8, sources up to 512 and targets up to 128 tokens. */
    public static TrainOptions defaults() {
        return new TrainOptions(1, 1e-3, 8, 512, 128, 0, Schedule.LINEAR, 0.0, 1.0, 0, 42, null, 0, null, 0, true);
    }

    public TrainOptions epochs(int n) { return new TrainOptions(n, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions lr(double v) { return new TrainOptions(epochs, v, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions batchSize(int v) { return new TrainOptions(epochs, lr, v, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions maxLengths(int source, int target) { return new TrainOptions(epochs, lr, batchSize, source, target, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions warmup(long steps) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, steps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions schedule(Schedule s) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, s, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions weightDecay(double v) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, v, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions maxGradNorm(double v) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, v, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions maxSteps(long v) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, v, seed, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions seed(long v) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, v, eval, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions eval(Dataset d) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, d, patience, checkpointDir, checkpointEvery, progress); }
    public TrainOptions earlyStopping(int p) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, p, checkpointDir, checkpointEvery, progress); }
    public TrainOptions checkpoints(Path dir, int every) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, dir, every, progress); }
    public TrainOptions progress(boolean on) { return new TrainOptions(epochs, lr, batchSize, maxSourceLength, maxTargetLength, warmupSteps, schedule, weightDecay, maxGradNorm, maxSteps, seed, eval, patience, checkpointDir, checkpointEvery, on); }

    /** The trainer's configuration for these options. */
    TrainingConfig toTrainingConfig() {
        return TrainingConfig.builder().epochs(epochs).maxSteps(maxSteps).learningRate(lr).batchSize(batchSize)
            .warmupSteps(warmupSteps).schedule(schedule).weightDecay(weightDecay).maxGradNorm(maxGradNorm)
            .seed(seed).shuffle(true).evalEveryEpoch(eval != null).earlyStopping("loss", patience, false)
            .checkpointEvery(checkpointEvery).checkpointDir(checkpointDir).keepBest(patience > 0).build();
    }

    /** A short description for provenance tables. */
    public String describe() {
        return "epochs=" + epochs + ", lr=" + lr + ", batchSize=" + batchSize + ", maxLengths=" + maxSourceLength + "/" + maxTargetLength
            + ", warmup=" + warmupSteps + ", schedule=" + schedule + ", weightDecay=" + weightDecay + ", maxGradNorm=" + maxGradNorm
            + (maxSteps > 0 ? ", maxSteps=" + maxSteps : "") + ", seed=" + seed;
    }
}
