package io.peft4j.train;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.Batch;
import io.peft4j.model.TrainableModel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Trains the trainable parameters of a {@link TrainableModel} with {@link AdamW}.
 *
 * <p>One optimizer step: for each of up to {@code gradientAccumulation} micro-batches (consecutive
 * in the epoch's seeded batch order) forward with dropout seeded by {@code (seed, micro-batch index)},
 * backward accumulating into the gradient buffers; the gradients are then divided by the number of
 * micro-batches (each micro-batch's loss scaled by 1/k), checked for NaN/Inf, clipped to the global
 * norm, and AdamW applies the scheduled learning rate. After each epoch the trainer evaluates
 * (token-weighted mean loss over the evaluation batches, plus the caller's evaluation callback),
 * tracks the best value of the watched metric and stops early when it has not improved for
 * {@code earlyStoppingPatience} evaluations.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Interrupts: {@link Thread#interrupted()} is checked before each step and between
 *       micro-batches; the run then returns with outcome INTERRUPTED, parameters and optimizer at a
 *       step boundary (never half-updated), gradients zeroed, checkpoints untouched. The interrupt
 *       flag is consumed (the result reports it).</li>
 *   <li>Divergence: a NaN/Inf loss, gradient or updated value throws
 *       {@link TrainingDivergedException} naming the step and the first offending parameter, before
 *       any parameter is written: the model keeps its values from before that step.</li>
 *   <li>Checkpoints (see {@link Checkpoints}) every {@code checkpointEvery} steps and at the end;
 *       {@link #resume} continues bit-identically to an uninterrupted run (same data, same thread count).</li>
 * </ul>
 * A trainer runs on the calling thread; listeners are called on it.
 */
public final class Trainer {
    private final TrainableModel model;
    private final TrainingConfig config;
    private final List<TrainingListener> listeners = new CopyOnWriteArrayList<>();
    private Function<TrainableModel, Map<String, Double>> evaluator;
    private final List<Parameter> trainable;
    private AdamW optimizer;

    public Trainer(TrainableModel model, TrainingConfig config) {
        this.model = Objects.requireNonNull(model, "model");
        this.config = Objects.requireNonNull(config, "config");
        List<Parameter> t = new ArrayList<>();
        for (Parameter p : model.parameters()) if (p.trainable()) t.add(p);
        if (t.isEmpty()) throw new IllegalArgumentException("the model has no trainable parameter: mark some trainable (e.g. add a LoRA adapter) before training");
        this.trainable = List.copyOf(t);
    }

    public Trainer addListener(TrainingListener l) { listeners.add(Objects.requireNonNull(l)); return this; }

    /**
     * Sets the per-epoch evaluation callback (e.g. ROUGE of generated summaries); its metrics are
     * merged with the eval loss ("loss") and can be watched by early stopping.
     */
    public Trainer evaluator(Function<TrainableModel, Map<String, Double>> fn) { this.evaluator = fn; return this; }

    public TrainingConfig config() { return config; }
    /** The optimizer of the last run (null before). */
    public AdamW optimizer() { return optimizer; }
    public List<Parameter> trainableParameters() { return trainable; }

    /** Trains from the model's current parameter values. {@code eval} may be null or empty. */
    public TrainingResult train(List<Batch> train, List<Batch> eval) {
        checkData(train);
        optimizer = newOptimizer();
        TrainerState s = new TrainerState();
        s.batches = train.size();
        s.dataFingerprint = fingerprint(train);
        s.config = config.trajectorySettings();
        s.totalSteps = totalSteps(train.size());
        s.order = order(0, train.size());
        return run(s, train, eval, null);
    }

    /**
     * Continues a run from a checkpoint: {@code checkpoint} is a {@code checkpoint-<step>} folder, or
     * the run's checkpoint folder (then its newest complete checkpoint is used). The training data and
     * the trajectory settings must be those of the checkpointed run (an error names any difference).
     */
    public TrainingResult resume(Path checkpoint, List<Batch> train, List<Batch> eval) {
        checkData(train);
        Path dir = checkpoint;
        if (!Files.isRegularFile(dir.resolve(Checkpoints.STATE))) {
            dir = Checkpoints.latest(checkpoint).orElseThrow(() ->
                new CheckpointException(checkpoint, "neither a checkpoint (no " + Checkpoints.STATE + ") nor a folder holding a complete checkpoint-<step>"));
        }
        Checkpoints.Loaded c = Checkpoints.load(dir);
        TrainerState s = c.state();
        Map<String, Object> now = config.trajectorySettings();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(now.keySet());
        if (s.config.containsKey("loraPlusLrRatio")) keys.add("loraPlusLrRatio");   // written only when on
        for (String k : keys) {
            Object was = s.config.get(k), is = now.get(k);
            if (!String.valueOf(is).equals(String.valueOf(was)))
                throw new CheckpointException(dir, "setting " + k + " was " + was + " in the checkpointed run, now " + is
                    + " (resume needs the same settings)");
        }
        if (s.batches != train.size() || s.dataFingerprint != fingerprint(train))
            throw new CheckpointException(dir, "the training data differ from the checkpointed run's (" + s.batches
                + " batches, fingerprint " + s.dataFingerprint + "; now " + train.size() + " batches, fingerprint " + fingerprint(train) + ")");
        if (s.order == null || s.order.length != train.size())
            throw new CheckpointException(dir, "batch order has " + (s.order == null ? "no" : s.order.length) + " entries, expected " + train.size());
        for (Parameter p : trainable) {
            INDArray v = c.model().get(p.name());
            if (v == null) throw new CheckpointException(dir, "model.safetensors has no tensor for trainable parameter " + p.name());
            if (!Arrays.equals(v.shape(), p.value().shape()))
                throw new CheckpointException(dir, "parameter " + p.name() + " has shape " + Arrays.toString(v.shape())
                    + " in the checkpoint, " + Arrays.toString(p.value().shape()) + " in the model");
        }
        for (Parameter p : trainable) p.value().assign(c.model().get(p.name()).castTo(p.value().dataType()));
        optimizer = newOptimizer();
        long optStep = Long.parseLong(io.peft4j.hf.SafeTensors.header(dir.resolve(Checkpoints.OPTIMIZER)).metadata().getOrDefault("step", "-1"));
        optimizer.load(c.optimizer(), optStep);
        Map<String, INDArray> best = c.best() == null ? null : new LinkedHashMap<>(c.best());
        return run(s, train, eval, best);
    }

    /** Plain AdamW over the trainable parameters, or with LoRA+ the groups of PEFT's create_loraplus_optimizer. */
    private AdamW newOptimizer() {
        if (config.loraPlusLrRatio() > 0)
            return AdamW.withGroups(LoraPlus.groups(model.parameters(), config.learningRate(), config.loraPlusLrRatio(), config.weightDecay()),
                config.adamW());
        return new AdamW(trainable, config.adamW());
    }

    // ------------------------------------------------------------------------------------------

    private TrainingResult run(TrainerState s, List<Batch> train, List<Batch> eval, Map<String, INDArray> best) {
        final int nb = train.size();
        final int accum = config.gradientAccumulation();
        final long total = s.totalSteps;
        final int totalEpochs = (int) Math.min(Integer.MAX_VALUE, ceilDiv(total, stepsPerEpoch(nb)));
        final long sessionStart = System.nanoTime();
        final double wallBefore = s.wallSeconds;
        long sessionSteps = 0, sessionTokens = 0;
        List<Double> stepSeconds = new java.util.ArrayList<>();
        List<Long> stepTokens = new java.util.ArrayList<>();
        long stepStart = System.nanoTime();
        long epochStart = System.nanoTime();
        long lastCheckpoint = s.step;
        TrainingResult.Outcome outcome = s.earlyStopped ? TrainingResult.Outcome.EARLY_STOPPED : TrainingResult.Outcome.COMPLETED;
        for (Parameter p : trainable) p.zeroGrad();
        try {
            outer:
            while (!s.earlyStopped && (s.step < total || s.position > 0)) {
                while (s.position < nb && s.step < total) {
                    if (Thread.interrupted()) { outcome = TrainingResult.Outcome.INTERRUPTED; break outer; }
                    stepStart = System.nanoTime();
                    int groupEnd = Math.min(nb, (s.position / accum) * accum + accum);
                    double lossSum = 0;
                    int k = 0;
                    long tokens = 0;
                    long stepNo = s.step + 1;
                    for (int i = s.position; i < groupEnd; i++) {
                        if (i > s.position && Thread.interrupted()) {
                            for (Parameter p : trainable) p.zeroGrad();
                            outcome = TrainingResult.Outcome.INTERRUPTED;
                            break outer;
                        }
                        Batch b = train.get(s.order[i]);
                        double loss = model.forwardLoss(b, ForwardContext.training(config.seed(), s.microBatches + k));
                        model.backward();
                        if (!Double.isFinite(loss)) {
                            String bad = firstNonFiniteGrad();
                            for (Parameter p : trainable) p.zeroGrad();
                            throw new TrainingDivergedException(stepNo, bad, "loss is " + loss
                                + (bad != null ? " and the gradient of " + bad + " is not finite" : ""));
                        }
                        lossSum += loss;
                        k++;
                        tokens += tokens(b);
                    }
                    if (k > 1) for (Parameter p : trainable) if (p.hasGrad()) Finite.scale(p.grad(), 1.0 / k);
                    String bad = firstNonFiniteGrad();
                    if (bad != null) {
                        String kind = Finite.describe(findParameter(bad).grad());
                        for (Parameter p : trainable) p.zeroGrad();
                        throw new TrainingDivergedException(stepNo, bad, "its gradient is " + kind + " (loss " + lossSum / k + ")");
                    }
                    if (config.maxGradNorm() > 0) GradientClipping.clip(trainable, config.maxGradNorm());
                    double lr = config.schedule().learningRate(config.learningRate(), stepNo, config.warmupSteps(), total);
                    try {
                        optimizer.step(lr);
                    } catch (TrainingDivergedException e) {
                        for (Parameter p : trainable) p.zeroGrad();
                        throw e.atStep(stepNo);
                    }
                    for (Parameter p : trainable) p.zeroGrad();
                    double stepLoss = lossSum / k;
                    s.step = stepNo;
                    s.position = groupEnd;
                    s.microBatches += k;
                    s.tokens += tokens;
                    s.stepLosses.add(stepLoss);
                    s.epochLossSum += stepLoss;
                    s.epochLossCount++;
                    s.lastLearningRate = lr;
                    sessionSteps++;
                    sessionTokens += tokens;
                    long now = System.nanoTime();
                    stepSeconds.add((now - stepStart) / 1e9);
                    stepTokens.add(tokens);
                    double secs = (System.nanoTime() - sessionStart) / 1e9;
                    s.wallSeconds = wallBefore + secs;
                    double tps = secs > 0 ? sessionTokens / secs : 0;
                    double eta = (total - s.step) * (secs / sessionSteps);
                    fire(l -> l.onStep(new TrainingListener.StepEvent(s.step, total, s.epoch + 1, stepLoss, lr, tps, eta)));
                    if (config.checkpointEvery() > 0 && s.step % config.checkpointEvery() == 0) {
                        save(s, best);
                        lastCheckpoint = s.step;
                    }
                }
                // epoch end (also when maxSteps stopped the run inside an epoch)
                Map<String, Double> metrics = new LinkedHashMap<>();
                if (config.evalEveryEpoch()) {
                    Map<String, Double> m = evaluate(eval);
                    if (m == null) { outcome = TrainingResult.Outcome.INTERRUPTED; break; }
                    metrics.putAll(m);
                }
                double meanLoss = s.epochLossCount > 0 ? s.epochLossSum / s.epochLossCount : Double.NaN;
                double epochSecs = (System.nanoTime() - epochStart) / 1e9;
                int epochNo = s.epoch + 1;
                s.epochMetrics.add(new TrainingResult.EpochMetrics(epochNo, meanLoss, metrics, epochSecs));
                fire(l -> l.onEpoch(new TrainingListener.EpochEvent(epochNo, totalEpochs, s.step, meanLoss, epochSecs)));
                if (!metrics.isEmpty()) {
                    Map<String, Double> copy = Map.copyOf(metrics);
                    fire(l -> l.onEvaluation(new TrainingListener.EvalEvent(epochNo, s.step, copy)));
                    best = track(s, metrics, epochNo, best);
                }
                s.epoch++;
                s.position = 0;
                s.epochLossSum = 0;
                s.epochLossCount = 0;
                s.order = order(s.epoch, nb);
                epochStart = System.nanoTime();
                if (s.earlyStopped) outcome = TrainingResult.Outcome.EARLY_STOPPED;
            }
            s.wallSeconds = wallBefore + (System.nanoTime() - sessionStart) / 1e9;
            if (outcome != TrainingResult.Outcome.INTERRUPTED && config.checkpointEvery() > 0 && s.step != lastCheckpoint)
                save(s, best);
            if (outcome != TrainingResult.Outcome.INTERRUPTED && config.keepBest() && best != null) {
                for (Parameter p : trainable) p.value().assign(best.get(p.name()));
            }
        } catch (RuntimeException | Error e) {
            String what = e instanceof TrainingDivergedException ? "DIVERGED" : "FAILED";
            fire(l -> l.onEnd(what));
            throw e;
        }
        String out = outcome.name();
        fire(l -> l.onEnd(out));
        double tps = s.wallSeconds > 0 ? s.tokens / s.wallSeconds : 0;
        return new TrainingResult(s.stepLosses, s.epochMetrics, s.step, s.tokens, s.wallSeconds, tps, s.bestEpoch,
            s.bestEpoch > 0 ? s.bestMetric : Double.NaN, outcome, stepSeconds, stepTokens);
    }

    /** Updates best tracking and early stopping; returns the (possibly new) best copy. */
    private Map<String, INDArray> track(TrainerState s, Map<String, Double> metrics, int epochNo, Map<String, INDArray> best) {
        boolean watching = config.keepBest() || config.earlyStoppingPatience() > 0 || metrics.containsKey(config.earlyStoppingMetric());
        if (!watching) return best;
        Double v = metrics.get(config.earlyStoppingMetric());
        if (v == null) {
            if (config.keepBest() || config.earlyStoppingPatience() > 0)
                throw new IllegalStateException("metric '" + config.earlyStoppingMetric() + "' watched for early stopping / best keeping is not among the evaluation's metrics " + metrics.keySet()
                    + (config.earlyStoppingMetric().equals("loss") ? " (pass evaluation batches for the eval loss)" : ""));
            return best;
        }
        boolean better = s.bestEpoch == 0 || (config.higherIsBetter() ? v > s.bestMetric : v < s.bestMetric);
        if (better) {
            s.bestMetric = v;
            s.bestEpoch = epochNo;
            s.evalsWithoutImprovement = 0;
            if (config.keepBest()) {
                Map<String, INDArray> copy = new LinkedHashMap<>();
                for (Parameter p : trainable) copy.put(p.name(), p.value().dup());
                best = copy;
            }
        } else {
            s.evalsWithoutImprovement++;
            if (config.earlyStoppingPatience() > 0 && s.evalsWithoutImprovement >= config.earlyStoppingPatience()) s.earlyStopped = true;
        }
        return best;
    }

    /** Eval loss and the callback's metrics; null when interrupted. */
    private Map<String, Double> evaluate(List<Batch> eval) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (eval != null && !eval.isEmpty()) {
            double sum = 0;
            long n = 0;
            for (Batch b : eval) {
                if (Thread.interrupted()) return null;
                long t = b.targetTokens();
                if (t == 0) continue;
                double loss = model.forwardLoss(b, ForwardContext.inference());
                sum += loss * t;
                n += t;
            }
            if (n > 0) m.put("loss", sum / n);
        }
        if (evaluator != null) {
            if (Thread.interrupted()) return null;
            Map<String, Double> extra = evaluator.apply(model);
            if (extra != null) m.putAll(extra);
        }
        return m;
    }

    private void save(TrainerState s, Map<String, INDArray> best) {
        Map<String, INDArray> values = new LinkedHashMap<>();
        for (Parameter p : trainable) values.put(p.name(), p.value());
        Checkpoints.save(config.checkpointDir(), s, values, optimizer.state(), optimizer.stepCount(), best, config.keepCheckpoints());
    }

    private String firstNonFiniteGrad() {
        for (Parameter p : trainable) if (p.hasGrad() && !Finite.isFinite(p.grad())) return p.name();
        return null;
    }

    private Parameter findParameter(String name) {
        for (Parameter p : trainable) if (p.name().equals(name)) return p;
        throw new IllegalStateException(name);
    }

    private void fire(java.util.function.Consumer<TrainingListener> call) {
        for (TrainingListener l : listeners) call.accept(l);
    }

    private long stepsPerEpoch(int batches) { return ceilDiv(batches, config.gradientAccumulation()); }

    private long totalSteps(int batches) {
        return config.maxSteps() > 0 ? config.maxSteps() : config.epochs() * stepsPerEpoch(batches);
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /** The batch order of an epoch: a Fisher-Yates shuffle seeded by (seed, epoch), or identity. */
    int[] order(int epoch, int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        if (!config.shuffle()) return o;
        SplittableRandom r = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + 1);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i]; o[i] = o[j]; o[j] = t;
        }
        return o;
    }

    private static long tokens(Batch b) {
        long n = b.targetTokens();
        for (int[] row : b.attentionMask()) for (int v : row) if (v != 0) n++;
        return n;
    }

    private static void checkData(List<Batch> train) {
        if (train == null || train.isEmpty()) throw new IllegalArgumentException("training batches are empty: pass at least one Batch");
        for (int i = 0; i < train.size(); i++)
            if (train.get(i) == null) throw new IllegalArgumentException("training batch " + i + " is null");
    }

    /** A content hash of the training batches (order-sensitive). */
    static long fingerprint(List<Batch> train) {
        long h = 1125899906842597L;
        for (Batch b : train) {
            h = 31 * h + Arrays.deepHashCode(b.inputIds());
            h = 31 * h + Arrays.deepHashCode(b.attentionMask());
            h = 31 * h + Arrays.deepHashCode(b.labels());
        }
        return h;
    }
}
