package io.peft4j.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

class ConfigAndProgressTest {

    private static void rejects(Supplier<TrainingConfig> build, String field, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
        assertTrue(e.getMessage().contains(field) && e.getMessage().contains(value) && e.getMessage().contains("allowed"), e.getMessage());
    }

    @Test void invalidSettingsNameFieldValueAndRange() {
        rejects(() -> TrainingConfig.builder().epochs(0).build(), "epochs", "0");
        rejects(() -> TrainingConfig.builder().lr(-1e-3).build(), "learningRate", "-0.001");
        rejects(() -> TrainingConfig.builder().lr(Double.NaN).build(), "learningRate", "NaN");
        rejects(() -> TrainingConfig.builder().batchSize(0).build(), "batchSize", "0");
        rejects(() -> TrainingConfig.builder().warmupSteps(-2).build(), "warmupSteps", "-2");
        rejects(() -> TrainingConfig.builder().weightDecay(-0.1).build(), "weightDecay", "-0.1");
        rejects(() -> TrainingConfig.builder().betas(1.0, 0.999).build(), "beta1", "1.0");
        rejects(() -> TrainingConfig.builder().maxGradNorm(-1).build(), "maxGradNorm", "-1");
        rejects(() -> TrainingConfig.builder().gradientAccumulation(0).build(), "gradientAccumulation", "0");
        rejects(() -> TrainingConfig.builder().earlyStopping("loss", -1, false).build(), "earlyStoppingPatience", "-1");
        rejects(() -> TrainingConfig.builder().checkpointEvery(10).build(), "checkpointDir", "null");
        rejects(() -> TrainingConfig.builder().keepCheckpoints(0).build(), "keepCheckpoints", "0");
        rejects(() -> TrainingConfig.builder().schedule(null).build(), "schedule", "null");
        rejects(() -> TrainingConfig.builder().evalEveryEpoch(false).keepBest(true).build(), "keepBest", "true");
        TrainingConfig ok = TrainingConfig.builder().build();
        assertEquals(0.0, ok.weightDecay(), "Hugging Face Trainer default");
        assertEquals(ok, ok.toBuilder().build());
        assertEquals(0.01, AdamW.Options.torchDefaults().weightDecay(), "torch default");
    }

    @Test void progressBarIsThrottledAndRewritesInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long[] now = {0};
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 200, () -> now[0]);
        for (int s = 1; s <= 100; s++) {
            now[0] += 10_000_000L; // 10 ms per step
            bar.onStep(new TrainingListener.StepEvent(s, 100, 1, 2.5, 1e-3, 1234, (100 - s) * 0.01));
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        long redraws = out.chars().filter(ch -> ch == '\r').count();
        // 1 s of steps at >= 200 ms apart: first + 4 more + the forced last = 6 (never 100)
        assertTrue(redraws >= 5 && redraws <= 7, "redraws " + redraws + ": " + out);
        assertTrue(out.contains("100/100") && out.contains("loss 2.5000") && out.contains("lr 1.00e-03"), out);
        bar.onEvaluation(new TrainingListener.EvalEvent(1, 100, Map.of("loss", 1.25, "rougeL", 0.3)));
        bar.onEnd("COMPLETED");
        out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("eval epoch 1: loss 1.2500 rougeL 0.3000"), out);
        assertTrue(out.endsWith("training completed" + System.lineSeparator()), out);
        assertEquals("1m05s", ProgressBar.duration(65));
        assertEquals("2h03m", ProgressBar.duration(7380));
        assertEquals("?", ProgressBar.duration(Double.NaN));
    }
}
