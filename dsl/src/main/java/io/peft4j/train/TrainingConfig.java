package io.peft4j.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides a training run, validated on construction (each error names the field,
 * the value and the allowed range). Build one with {@link #builder()}:
 * <pre>{@code
 * TrainingConfig c = TrainingConfig.builder().epochs(3).learningRate(1e-3).warmupSteps(10)
 *     .schedule(Schedule.LINEAR).checkpointEvery(100).checkpointDir(Path.of("runs/x")).build();
 * }</pre>
 *
 * <p>Defaults follow Hugging Face's Trainer where it has one: weight decay 0.0 (torch's AdamW
 * default would be 0.01; the course lab's Trainer uses 0.0), betas (0.9, 0.999), eps 1e-8, linear
 * schedule, max gradient norm 1.0, no warmup, no accumulation.
 *
 * @param epochs                number of passes over the training batches (>= 1); ignored when maxSteps > 0
 * @param maxSteps              total optimizer steps when > 0 (running as many epochs as needed), 0 to use epochs
 * @param learningRate          peak learning rate (> 0, finite)
 * @param batchSize             examples per batch, for callers that batch examples (the trainer takes ready batches)
 * @param warmupSteps           linear warmup length in optimizer steps (>= 0)
 * @param schedule              learning-rate decay after warmup
 * @param weightDecay           AdamW decoupled weight decay (>= 0)
 * @param beta1                 AdamW beta1 in [0, 1)
 * @param beta2                 AdamW beta2 in [0, 1)
 * @param eps                   AdamW epsilon (>= 0)
 * @param maxGradNorm           global gradient-norm clipping threshold (> 0), 0 for no clipping
 * @param gradientAccumulation  micro-batches per optimizer step (>= 1); gradients are averaged over them
 * @param seed                  seeds batch shuffling and dropout
 * @param shuffle               shuffle the batch order each epoch (seeded by seed and epoch)
 * @param evalEveryEpoch        evaluate (eval loss and the evaluation callback) after each epoch
 * @param earlyStoppingPatience stop after this many evaluations without improvement (0 = never)
 * @param earlyStoppingMetric   metric watched for early stopping and best-checkpoint keeping ("loss" = eval loss)
 * @param higherIsBetter        true for metrics like ROUGE, false for loss
 * @param checkpointEvery       write a checkpoint every this many optimizer steps (0 = never)
 * @param checkpointDir         folder holding {@code checkpoint-<step>} folders (required when checkpointEvery > 0)
 * @param keepCheckpoints       complete checkpoints kept on disk (>= 1); older ones are deleted
 * @param keepBest              keep a copy of the trainable values at the best evaluation and restore them at the end
 * @param loraPlusLrRatio       LoRA+: when > 0, AdamW gets PEFT's {@code create_loraplus_optimizer} groups (see
 *                              {@link LoraPlus}): LoRA B matrices and 1-D parameters train at this many times the
 *                              learning rate; {@code weightDecay} is then PEFT's {@code loraplus_weight_decay}; 0 = off
 */
public record TrainingConfig(
    int epochs, long maxSteps, double learningRate, int batchSize, long warmupSteps, Schedule schedule,
    double weightDecay, double beta1, double beta2, double eps, double maxGradNorm, int gradientAccumulation,
    long seed, boolean shuffle, boolean evalEveryEpoch, int earlyStoppingPatience, String earlyStoppingMetric,
    boolean higherIsBetter, int checkpointEvery, Path checkpointDir, int keepCheckpoints, boolean keepBest,
    double loraPlusLrRatio) {

    /** A configuration without LoRA+ (the constructor before {@code loraPlusLrRatio} existed). */
    public TrainingConfig(
        int epochs, long maxSteps, double learningRate, int batchSize, long warmupSteps, Schedule schedule,
        double weightDecay, double beta1, double beta2, double eps, double maxGradNorm, int gradientAccumulation,
        long seed, boolean shuffle, boolean evalEveryEpoch, int earlyStoppingPatience, String earlyStoppingMetric,
        boolean higherIsBetter, int checkpointEvery, Path checkpointDir, int keepCheckpoints, boolean keepBest) {
        this(epochs, maxSteps, learningRate, batchSize, warmupSteps, schedule, weightDecay, beta1, beta2, eps, maxGradNorm,
            gradientAccumulation, seed, shuffle, evalEveryEpoch, earlyStoppingPatience, earlyStoppingMetric, higherIsBetter,
            checkpointEvery, checkpointDir, keepCheckpoints, keepBest, 0.0);
    }

    public TrainingConfig {
        if (epochs < 1) throw bad("epochs", epochs, ">= 1");
        if (maxSteps < 0) throw bad("maxSteps", maxSteps, ">= 0 (0 = derive from epochs)");
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) throw bad("learningRate", learningRate, "finite and > 0");
        if (batchSize < 1) throw bad("batchSize", batchSize, ">= 1");
        if (warmupSteps < 0) throw bad("warmupSteps", warmupSteps, ">= 0");
        if (schedule == null) throw bad("schedule", null, "one of CONSTANT, LINEAR, COSINE");
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw bad("weightDecay", weightDecay, "finite and >= 0");
        if (!(beta1 >= 0 && beta1 < 1)) throw bad("beta1", beta1, "[0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw bad("beta2", beta2, "[0, 1)");
        if (!(eps >= 0) || Double.isInfinite(eps)) throw bad("eps", eps, "finite and >= 0");
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) throw bad("maxGradNorm", maxGradNorm, "finite and > 0, or 0 for no clipping");
        if (gradientAccumulation < 1) throw bad("gradientAccumulation", gradientAccumulation, ">= 1");
        if (earlyStoppingPatience < 0) throw bad("earlyStoppingPatience", earlyStoppingPatience, ">= 0 (0 = no early stopping)");
        if (earlyStoppingMetric == null || earlyStoppingMetric.isBlank()) throw bad("earlyStoppingMetric", earlyStoppingMetric, "a metric name such as \"loss\" or \"rougeL\"");
        if (earlyStoppingPatience > 0 && !evalEveryEpoch) throw bad("earlyStoppingPatience", earlyStoppingPatience, "0 when evalEveryEpoch is false (early stopping needs evaluations)");
        if (keepBest && !evalEveryEpoch) throw bad("keepBest", true, "false when evalEveryEpoch is false (the best is chosen by evaluation)");
        if (checkpointEvery < 0) throw bad("checkpointEvery", checkpointEvery, ">= 0 (0 = no checkpoints)");
        if (checkpointEvery > 0 && checkpointDir == null) throw bad("checkpointDir", null, "a folder when checkpointEvery > 0");
        if (keepCheckpoints < 1) throw bad("keepCheckpoints", keepCheckpoints, ">= 1");
        if (!(loraPlusLrRatio >= 0) || Double.isInfinite(loraPlusLrRatio))
            throw bad("loraPlusLrRatio", loraPlusLrRatio, "a finite number > 0 (LoRA+'s ratio of B's learning rate to A's, e.g. 16), or 0 for off");
    }

    private static IllegalArgumentException bad(String field, Object value, String allowed) {
        return new IllegalArgumentException("TrainingConfig." + field + " = " + value + " is invalid: allowed " + allowed);
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs; b.maxSteps = maxSteps; b.learningRate = learningRate; b.batchSize = batchSize;
        b.warmupSteps = warmupSteps; b.schedule = schedule; b.weightDecay = weightDecay; b.beta1 = beta1;
        b.beta2 = beta2; b.eps = eps; b.maxGradNorm = maxGradNorm; b.gradientAccumulation = gradientAccumulation;
        b.seed = seed; b.shuffle = shuffle; b.evalEveryEpoch = evalEveryEpoch; b.earlyStoppingPatience = earlyStoppingPatience;
        b.earlyStoppingMetric = earlyStoppingMetric; b.higherIsBetter = higherIsBetter; b.checkpointEvery = checkpointEvery;
        b.checkpointDir = checkpointDir; b.keepCheckpoints = keepCheckpoints; b.keepBest = keepBest;
        b.loraPlusLrRatio = loraPlusLrRatio;
        return b;
    }

    /** The AdamW hyper-parameters of this configuration. */
    public AdamW.Options adamW() { return new AdamW.Options(beta1, beta2, eps, weightDecay); }

    /**
     * The settings that decide the trajectory of parameters (everything but where and how often
     * checkpoints go and how many are kept): a resumed run must agree on all of them.
     */
    public Map<String, Object> trajectorySettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epochs", epochs); m.put("maxSteps", maxSteps); m.put("learningRate", learningRate);
        m.put("batchSize", batchSize); m.put("warmupSteps", warmupSteps); m.put("schedule", schedule.name());
        m.put("weightDecay", weightDecay); m.put("beta1", beta1); m.put("beta2", beta2); m.put("eps", eps);
        m.put("maxGradNorm", maxGradNorm); m.put("gradientAccumulation", gradientAccumulation); m.put("seed", seed);
        m.put("shuffle", shuffle); m.put("evalEveryEpoch", evalEveryEpoch); m.put("earlyStoppingPatience", earlyStoppingPatience);
        m.put("earlyStoppingMetric", earlyStoppingMetric); m.put("higherIsBetter", higherIsBetter); m.put("keepBest", keepBest);
        if (loraPlusLrRatio > 0) m.put("loraPlusLrRatio", loraPlusLrRatio);   // absent when off: older checkpoints stay resumable
        return m;
    }

    /** Mutable builder with the defaults described on {@link TrainingConfig}. */
    public static final class Builder {
        private int epochs = 1;
        private long maxSteps = 0;
        private double learningRate = 5e-5;
        private int batchSize = 8;
        private long warmupSteps = 0;
        private Schedule schedule = Schedule.LINEAR;
        private double weightDecay = 0.0;
        private double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        private double maxGradNorm = 1.0;
        private int gradientAccumulation = 1;
        private long seed = 42;
        private boolean shuffle = true;
        private boolean evalEveryEpoch = true;
        private int earlyStoppingPatience = 0;
        private String earlyStoppingMetric = "loss";
        private boolean higherIsBetter = false;
        private int checkpointEvery = 0;
        private Path checkpointDir = null;
        private int keepCheckpoints = 2;
        private boolean keepBest = false;
        private double loraPlusLrRatio = 0.0;

        public Builder epochs(int v) { epochs = v; return this; }
        public Builder maxSteps(long v) { maxSteps = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder lr(double v) { return learningRate(v); }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder warmupSteps(long v) { warmupSteps = v; return this; }
        public Builder schedule(Schedule v) { schedule = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder gradientAccumulation(int v) { gradientAccumulation = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder evalEveryEpoch(boolean v) { evalEveryEpoch = v; return this; }
        public Builder earlyStopping(String metric, int patience, boolean higherIsBetter) {
            earlyStoppingMetric = metric; earlyStoppingPatience = patience; this.higherIsBetter = higherIsBetter; return this;
        }
        public Builder metric(String metric, boolean higherIsBetter) { earlyStoppingMetric = metric; this.higherIsBetter = higherIsBetter; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder checkpointDir(Path v) { checkpointDir = v; return this; }
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }
        public Builder keepBest(boolean v) { keepBest = v; return this; }
        /** LoRA+: B's learning rate is {@code ratio} times A's (PEFT's {@code loraplus_lr_ratio}); 0 = off. */
        public Builder loraPlusLrRatio(double ratio) { loraPlusLrRatio = ratio; return this; }

        public TrainingConfig build() {
            return new TrainingConfig(epochs, maxSteps, learningRate, batchSize, warmupSteps, schedule, weightDecay,
                beta1, beta2, eps, maxGradNorm, gradientAccumulation, seed, shuffle, evalEveryEpoch, earlyStoppingPatience,
                earlyStoppingMetric, higherIsBetter, checkpointEvery, checkpointDir, keepCheckpoints, keepBest, loraPlusLrRatio);
        }
    }
}
