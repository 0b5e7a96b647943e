package io.peft4j.train;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.Batch;
import io.peft4j.model.TrainableModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    static final int V = 12, D = 8, H = 16;
    static final List<Batch> TRAIN = TinyModel.copyTask(6, 3, 5, V, 1);
    static final List<Batch> EVAL = TinyModel.copyTask(2, 3, 5, V, 2);

    static TrainingConfig.Builder base() {
        return TrainingConfig.builder().epochs(3).lr(0.05).warmupSteps(2).schedule(Schedule.COSINE)
            .maxGradNorm(1.0).gradientAccumulation(2).seed(7);
    }

    @Test void lossGoesDownAndFrozenParametersStayBitIdentical() {
        TinyModel m = new TinyModel(V, D, H, 0.1, 3);
        m.b2.setTrainable(false);
        m.w1.setTrainable(false);
        float[] b2 = m.b2.value().data().asFloat(), w1 = m.w1.value().data().asFloat();
        float[] embBefore = m.emb.value().data().asFloat();
        TrainingResult r = new Trainer(m, base().epochs(15).build()).train(TRAIN, EVAL);
        assertEquals(TrainingResult.Outcome.COMPLETED, r.outcome());
        assertEquals(15 * 3, r.steps());
        assertEquals(r.steps(), r.stepLosses().size());
        assertEquals(15, r.epochs().size());
        double first = r.epochs().get(0).eval().get("loss"), last = r.epochs().get(14).eval().get("loss");
        assertTrue(last < 0.5 * first, "eval loss " + first + " -> " + last);
        assertArrayEquals(b2, m.b2.value().data().asFloat());
        assertArrayEquals(w1, m.w1.value().data().asFloat());
        assertFalse(Arrays.equals(embBefore, m.emb.value().data().asFloat()), "trainable parameter did not move");
        assertTrue(r.tokens() > 0 && r.tokensPerSecond() > 0 && r.wallSeconds() > 0);
        assertEquals(2, new Trainer(m, base().build()).trainableParameters().size());
    }

    @Test void interruptedRunResumesBitIdentically(@TempDir Path tmp) {
        TrainingConfig.Builder cfg = base().epochs(4).checkpointEvery(3).keepCheckpoints(2);
        // uninterrupted
        TinyModel a = new TinyModel(V, D, H, 0.2, 5);
        TrainingResult ra = new Trainer(a, cfg.checkpointDir(tmp.resolve("a")).build()).train(TRAIN, EVAL);
        // interrupted at step 7 (checkpoints at 3 and 6), then resumed by a new trainer on a differently initialised model
        TinyModel b = new TinyModel(V, D, H, 0.2, 5);
        Path dirB = tmp.resolve("b");
        Trainer tb = new Trainer(b, cfg.checkpointDir(dirB).build());
        Map<String, float[]> atStep7 = new HashMap<>();
        tb.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) {
                if (e.step() == 7) { atStep7.putAll(b.snapshot()); Thread.currentThread().interrupt(); }
            }
        });
        TrainingResult rb = tb.train(TRAIN, EVAL);
        assertEquals(TrainingResult.Outcome.INTERRUPTED, rb.outcome());
        assertEquals(7, rb.steps());
        assertFalse(Thread.currentThread().isInterrupted());
        for (Parameter p : b.parameters()) assertArrayEquals(atStep7.get(p.name()), p.value().data().asFloat(), "consistent " + p.name());
        for (Parameter p : b.parameters()) assertEquals(0.0, p.grad().sumNumber().doubleValue(), "gradients zeroed");
        assertEquals(Path.of("checkpoint-6"), Checkpoints.latest(dirB).orElseThrow().getFileName());
        assertEquals(List.of(dirB.resolve("checkpoint-6"), dirB.resolve("checkpoint-3")), Checkpoints.complete(dirB));

        TinyModel c = new TinyModel(V, D, H, 0.2, 99);
        TrainingResult rc = new Trainer(c, cfg.checkpointDir(dirB).build()).resume(dirB, TRAIN, EVAL);
        assertEquals(TrainingResult.Outcome.COMPLETED, rc.outcome());
        assertEquals(ra.steps(), rc.steps());
        assertEquals(ra.stepLosses(), rc.stepLosses());
        assertEquals(ra.epochs().stream().map(TrainingResult.EpochMetrics::eval).toList(),
            rc.epochs().stream().map(TrainingResult.EpochMetrics::eval).toList());
        for (int i = 0; i < a.parameters().size(); i++)
            assertArrayEquals(a.parameters().get(i).value().data().asFloat(), c.parameters().get(i).value().data().asFloat(),
                "bit-identical " + a.parameters().get(i).name());
        // rotation kept only the newest two complete checkpoints (the final one at step 12 included)
        assertEquals(2, Checkpoints.complete(dirB).size());
        assertEquals(12, Checkpoints.step(Checkpoints.latest(dirB).orElseThrow()));
    }

    @Test void interruptBetweenMicroBatchesLeavesLastStepState() {
        TinyModel inner = new TinyModel(V, D, H, 0.0, 4);
        int[] forwards = {0};
        TrainableModel m = new TrainableModel() {
            public List<Parameter> parameters() { return inner.parameters(); }
            public Map<String, ProjectionSlot> projections() { return Map.of(); }
            public double forwardLoss(Batch b, ForwardContext ctx) {
                if (ctx.training() && ++forwards[0] == 5) Thread.currentThread().interrupt(); // first micro-batch of step 3
                return inner.forwardLoss(b, ctx);
            }
            public void backward() { inner.backward(); }
        };
        Map<String, float[]> after2 = new HashMap<>();
        Trainer t = new Trainer(m, base().build());
        t.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) { after2.clear(); after2.putAll(inner.snapshot()); }
        });
        TrainingResult r = t.train(TRAIN, EVAL);
        assertEquals(TrainingResult.Outcome.INTERRUPTED, r.outcome());
        assertEquals(2, r.steps());
        assertEquals(2, t.optimizer().stepCount());
        for (Parameter p : inner.parameters()) {
            assertArrayEquals(after2.get(p.name()), p.value().data().asFloat(), p.name());
            assertEquals(0.0, p.grad().sumNumber().doubleValue(), "gradient of " + p.name() + " zeroed");
        }
    }

    @Test void hugeLearningRateDivergesWithStepAndParameterAndKeepsLastGoodState() {
        TinyModel m = new TinyModel(V, D, H, 0.0, 6);
        AtomicReference<Map<String, float[]>> lastGood = new AtomicReference<>(m.snapshot());
        long[] lastStep = {0};
        Trainer t = new Trainer(m, base().lr(1e20).warmupSteps(0).maxGradNorm(0).gradientAccumulation(1).build());
        t.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) { lastGood.set(m.snapshot()); lastStep[0] = e.step(); }
        });
        String[] ended = {null};
        t.addListener(new TrainingListener() { @Override public void onEnd(String o) { ended[0] = o; } });
        TrainingDivergedException ex = assertThrows(TrainingDivergedException.class, () -> t.train(TRAIN, EVAL));
        assertEquals(lastStep[0] + 1, ex.step());
        assertNotNull(ex.parameter());
        assertTrue(m.parameters().stream().anyMatch(p -> p.name().equals(ex.parameter())));
        assertTrue(ex.getMessage().contains("step " + ex.step()) && ex.getMessage().contains(ex.parameter()), ex.getMessage());
        assertEquals("DIVERGED", ended[0]);
        for (Parameter p : m.parameters()) assertArrayEquals(lastGood.get().get(p.name()), p.value().data().asFloat(), p.name());
        System.out.println("divergence: " + ex.getMessage());
    }

    @Test void gradientAccumulationEqualsOneBigBatch() {
        // two micro-batches with the same number of label tokens == one batch holding both rows
        List<Batch> small = List.of(row(new int[] {2, 3, 4}), row(new int[] {5, 6, 7}));
        List<Batch> big = List.of(new Batch(
            new int[][] {{2, 3, 4}, {5, 6, 7}}, new int[][] {{1, 1, 1}, {1, 1, 1}}, new int[][] {{2, 3, 4}, {5, 6, 7}}));
        TinyModel a = new TinyModel(V, D, H, 0.0, 8), b = new TinyModel(V, D, H, 0.0, 8);
        TrainingConfig.Builder c = TrainingConfig.builder().lr(0.01).maxSteps(1).shuffle(false).evalEveryEpoch(false).schedule(Schedule.CONSTANT);
        new Trainer(a, c.gradientAccumulation(2).build()).train(small, null);
        new Trainer(b, c.gradientAccumulation(1).build()).train(big, null);
        for (int i = 0; i < a.parameters().size(); i++) {
            float[] x = a.parameters().get(i).value().data().asFloat(), y = b.parameters().get(i).value().data().asFloat();
            for (int j = 0; j < x.length; j++) assertEquals(y[j], x[j], 2e-6, a.parameters().get(i).name());
        }
    }

    private static Batch row(int[] ids) {
        return new Batch(new int[][] {ids}, new int[][] {{1, 1, 1}}, new int[][] {ids.clone()});
    }

    @Test void shuffleIsSeededPerEpochPermutation() {
        Trainer t = new Trainer(new TinyModel(V, D, H, 0, 1), base().build());
        int[] e0 = t.order(0, 20), e0again = t.order(0, 20), e1 = t.order(1, 20);
        assertArrayEquals(e0, e0again);
        assertFalse(Arrays.equals(e0, e1));
        int[] sorted = e0.clone(); Arrays.sort(sorted);
        for (int i = 0; i < 20; i++) assertEquals(i, sorted[i]);
        Trainer other = new Trainer(new TinyModel(V, D, H, 0, 1), base().seed(8).build());
        assertFalse(Arrays.equals(e0, other.order(0, 20)));
        Trainer plain = new Trainer(new TinyModel(V, D, H, 0, 1), base().shuffle(false).build());
        for (int i = 0; i < 20; i++) assertEquals(i, plain.order(3, 20)[i]);
    }

    @Test void earlyStoppingOnCallbackMetricAndBestKept() {
        TinyModel m = new TinyModel(V, D, H, 0.0, 9);
        double[] scores = {0.2, 0.5, 0.4, 0.3, 0.45, 0.9}; // best at epoch 2, then 2 without improvement
        int[] calls = {0};
        List<Map<String, float[]>> perEpoch = new ArrayList<>();
        Trainer t = new Trainer(m, base().epochs(6).earlyStopping("rougeL", 2, true).keepBest(true).build())
            .evaluator(model -> Map.of("rougeL", scores[calls[0]++]));
        List<Map<String, Double>> seen = new ArrayList<>();
        t.addListener(new TrainingListener() {
            @Override public void onEvaluation(EvalEvent e) { seen.add(e.metrics()); perEpoch.add(m.snapshot()); }
        });
        TrainingResult r = t.train(TRAIN, EVAL);
        assertEquals(TrainingResult.Outcome.EARLY_STOPPED, r.outcome());
        assertEquals(4, r.epochs().size());
        assertEquals(2, r.bestEpoch());
        assertEquals(0.5, r.bestMetric());
        assertEquals(4, seen.size());
        assertTrue(seen.get(0).containsKey("loss") && seen.get(0).containsKey("rougeL"));
        for (Parameter p : m.parameters()) assertArrayEquals(perEpoch.get(1).get(p.name()), p.value().data().asFloat(), "best restored: " + p.name());
    }

    @Test void watchedMetricMissingIsAnErrorNamingTheMetrics() {
        TinyModel m = new TinyModel(V, D, H, 0.0, 9);
        Trainer t = new Trainer(m, base().earlyStopping("rouge1", 1, true).build());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.train(TRAIN, EVAL));
        assertTrue(e.getMessage().contains("rouge1") && e.getMessage().contains("loss"), e.getMessage());
    }

    @Test void maxStepsOverridesEpochs() {
        TrainingResult r = new Trainer(new TinyModel(V, D, H, 0, 1), base().epochs(1).maxSteps(7).build()).train(TRAIN, null);
        assertEquals(7, r.steps());
        assertEquals(3, r.epochs().size()); // 3 steps per epoch: 3 + 3 + 1
        assertTrue(r.epochs().get(0).eval().isEmpty());
    }

    @Test void resumeRefusesOtherSettingsOrData(@TempDir Path tmp) {
        TrainingConfig cfg = base().maxSteps(2).checkpointEvery(1).checkpointDir(tmp).build();
        new Trainer(new TinyModel(V, D, H, 0, 1), cfg).train(TRAIN, EVAL);
        CheckpointException e1 = assertThrows(CheckpointException.class, () ->
            new Trainer(new TinyModel(V, D, H, 0, 1), cfg.toBuilder().lr(0.07).build()).resume(tmp, TRAIN, EVAL));
        assertTrue(e1.getMessage().contains("learningRate") && e1.getMessage().contains("0.05") && e1.getMessage().contains("0.07"), e1.getMessage());
        CheckpointException e2 = assertThrows(CheckpointException.class, () ->
            new Trainer(new TinyModel(V, D, H, 0, 1), cfg).resume(tmp, TRAIN.subList(0, 5), EVAL));
        assertTrue(e2.getMessage().contains("training data differ"), e2.getMessage());
        CheckpointException e3 = assertThrows(CheckpointException.class, () ->
            new Trainer(new TinyModel(V, D, H, 0, 1), cfg).resume(tmp.resolve("nothing"), TRAIN, EVAL));
        assertTrue(e3.getMessage().contains("nothing"), e3.getMessage());
    }

    @Test void damagedOrIncompleteCheckpointsAreSkipped(@TempDir Path tmp) throws Exception {
        TrainingConfig cfg = base().maxSteps(3).checkpointEvery(1).keepCheckpoints(3).checkpointDir(tmp).evalEveryEpoch(false).build();
        new Trainer(new TinyModel(V, D, H, 0, 1), cfg).train(TRAIN, null);
        assertEquals(3, Checkpoints.step(Checkpoints.latest(tmp).orElseThrow()));
        // newest damaged: truncated model file
        Path m3 = tmp.resolve("checkpoint-3").resolve(Checkpoints.MODEL);
        Files.write(m3, Arrays.copyOf(Files.readAllBytes(m3), 20));
        assertEquals(2, Checkpoints.step(Checkpoints.latest(tmp).orElseThrow()));
        // an incomplete newer folder (no trainer_state.json) is ignored
        Files.createDirectories(tmp.resolve("checkpoint-9"));
        Files.copy(tmp.resolve("checkpoint-2").resolve(Checkpoints.MODEL), tmp.resolve("checkpoint-9").resolve(Checkpoints.MODEL));
        assertEquals(2, Checkpoints.step(Checkpoints.latest(tmp).orElseThrow()));
        TrainingResult r = new Trainer(new TinyModel(V, D, H, 0, 1), cfg).resume(tmp, TRAIN, null);
        assertEquals(3, r.steps());
        assertEquals(TrainingResult.Outcome.COMPLETED, r.outcome());
    }

    @Test void noTrainableParameterIsAnError() {
        TinyModel m = new TinyModel(V, D, H, 0, 1);
        for (Parameter p : m.parameters()) p.setTrainable(false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(m, base().build()));
        assertTrue(e.getMessage().contains("trainable"));
    }
}
