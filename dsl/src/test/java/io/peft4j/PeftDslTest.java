package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.model.Parameter;
import io.peft4j.peft.NoMatchingTargetException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.Table;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/** Every DSL entry point on a tiny model, and every validation error. */
class PeftDslTest {
    static Dataset train, test;
    static final TrainOptions FAST = epochs(2).lr(1e-2).batchSize(8).maxLengths(96, 32).progress(false);

    @BeforeAll
    static void data() {
        train = TinyModels.dialogues("train", 16, 1).withPrompt(SUMMARIZE);
        test = TinyModels.dialogues("test", 6, 2).withPrompt(SUMMARIZE);
    }

    private static Map<String, INDArray> snapshot(T5 t) {
        Map<String, INDArray> m = new HashMap<>();
        for (Parameter p : t.model().baseParameters().values()) m.put(p.name(), p.value().dup());
        return m;
    }

    private static void assertUnchanged(Map<String, INDArray> before, T5 t) {
        for (Parameter p : t.model().baseParameters().values())
            assertEquals(before.get(p.name()), p.value(), "base weight " + p.name() + " changed");
    }

    @Test
    void loraTrainsOnlyTheAdapterAndLeavesTheBaseAnswering() {
        T5 base = TinyModels.t5(1);
        var before = snapshot(base);
        List<String> baseOut = base.generate(test.sources());
        FineTuned lora = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).dropout(0.05).train(train, FAST);
        // 6 modules (encoder self, decoder self, decoder cross; q and v), each r * (in + out) = 4 * (16 + 16)
        assertEquals(6 * 4 * 32, lora.trainableParameters());
        assertEquals(base.parameterCount() + lora.trainableParameters(), lora.totalParameters());
        assertEquals(6, lora.trainedModules().size());
        assertTrue(lora.training().finalLoss() < lora.training().stepLosses().get(0), "loss went down: " + lora.training().stepLosses());
        assertUnchanged(before, base);
        assertEquals(baseOut, base.generate(test.sources()), "the base model still answers as itself");
        assertTrue(lora.parameterLine().startsWith("trainable params: 768 || all params: "), lora.parameterLine());
        Table params = lora.parameters();
        assertTrue(params.rowCount() >= 6, params.print());
        Table prov = lora.toTable();
        String text = prov.print();
        assertTrue(text.contains("tiny-t5") && text.contains(train.fingerprint()) && text.contains("LoRA"), text);
        assertTrue(text.contains("encoder.block.0.layer.0.SelfAttention.q"), text);
    }

    @Test
    void adapterSavedInPeftFormatReloadsOntoTheSameBaseAndGivesTheSameSummaries(@TempDir Path dir) throws Exception {
        T5 base = TinyModels.t5(2);
        FineTuned lora = lora(base).on("attn.q", "attn.v").rank(4).train(train, FAST.epochs(1));
        Path out = lora.adapter().save(dir.resolve("dialogsum"));
        assertTrue(Files.exists(out.resolve("adapter_config.json")) && Files.exists(out.resolve("adapter_model.safetensors")));
        String cfg = Files.readString(out.resolve("adapter_config.json"));
        assertTrue(cfg.contains("\"peft_type\"") && cfg.contains("LORA") && cfg.contains("tiny-t5"), cfg);
        List<String> expected = lora.generate(test.sources());
        // a fresh base of the same weights, adapter loaded from disk
        T5 other = base.copy();
        FineTuned loaded = other.withAdapter(out);
        assertEquals(expected, loaded.generate(test.sources()));
        // and side by side on the first base: swapping adapters needs no reload
        FineTuned second = base.withAdapter(out);
        assertEquals(expected, second.generate(test.sources()));
        assertEquals(expected, lora.generate(test.sources()));
    }

    @Test
    void otherMethodsTrainCopiesAndLeaveTheBaseAlone(@TempDir Path dir) {
        T5 base = TinyModels.t5(3);
        var before = snapshot(base);
        FineTuned full = fullFineTune(base).train(train, FAST.epochs(1).lr(1e-3));
        assertEquals(full.totalParameters(), full.trainableParameters());
        assertEquals(base.parameterCount(), full.totalParameters());
        FineTuned ia3 = ia3(base).train(train, FAST.epochs(1));
        // k and v of 3 attentions (inner 16 each) + wo input (d_ff 32) of 2 FFNs
        assertEquals(6 * 16 + 2 * 32, ia3.trainableParameters());
        ia3.adapter().save(dir.resolve("ia3"));
        FineTuned pt = promptTuning(base).virtualTokens(5).train(train, FAST.epochs(1));
        assertEquals(5 * 16, pt.trainableParameters());
        pt.adapter().save(dir.resolve("prompt"));
        FineTuned ln = selective(base).layerNorms().train(train, FAST.epochs(1));
        assertEquals(7 * 16, ln.trainableParameters(), "encoder 2 + final, decoder 3 + final layer norms of d_model 16: " + ln.trainedModules());
        FineTuned last = selective(base).lastLayers(1).train(train, FAST.epochs(1));
        assertTrue(last.trainableParameters() > 0);
        assertThrows(UnsupportedOperationException.class, full::adapter);
        assertUnchanged(before, base);
    }

    @Test
    void compareBuildsTheCourseLabTableWithDeltas() {
        T5 base = TinyModels.t5(4);
        FineTuned full = fullFineTune(base).train(train, FAST.epochs(1).lr(1e-3));
        FineTuned lora = lora(base).on("attn.q", "attn.v").rank(2).train(train, FAST.epochs(1));
        Comparison c = compare(base, full, lora);
        Table t = c.rouge(test);
        assertEquals(3, t.rowCount(), t.print());
        assertTrue(t.columnNames().stream().anyMatch(n -> n.contains("ROUGE-1")), t.columnNames().toString());
        assertTrue(t.columnNames().stream().anyMatch(n -> n.toLowerCase().contains("base")), "delta vs base: " + t.columnNames());
        assertEquals(3, c.predictions().size());
        assertEquals(test.size(), c.samples(100).rowCount());
        assertThrows(IllegalArgumentException.class, () -> compare(base, "not a model"));
    }

    @Test
    void rankSweepTrainsOneAdapterPerRank() {
        T5 base = TinyModels.t5(5);
        RankSweep.Result r = rankSweep(base).on("attn.q", "attn.v").ranks(2, 4).train(train, FAST.epochs(1));
        Table t = r.rouge(test);
        assertEquals(2, t.rowCount());
        assertEquals(6 * 2 * 32, t.longColumn("trainable params").get(0));
        assertEquals(6 * 4 * 32, t.longColumn("trainable params").get(1));
        assertNotNull(r.chart());
    }

    @Test
    void engineWarmUpLeavesTheBaseUntouchedAndRejectsBadSteps() {
        T5 base = TinyModels.t5(11);
        Map<String, INDArray> before = snapshot(base);
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        io.peft4j.train.TrainingListener l = new io.peft4j.train.TrainingListener() {
            @Override public void onStep(io.peft4j.train.TrainingListener.StepEvent e) { told.incrementAndGet(); }
        };
        onTraining(l);
        try {
            double s = warmUpEngine(base, train, FAST, 2);
            assertTrue(s > 0, "seconds spent: " + s);
        } finally {
            removeTrainingListener(l);
        }
        assertUnchanged(before, base);
        assertEquals(0, told.get(), "the warm-up tells no training listener");
        assertFalse(base.toString().contains("adapters"), "no adapter left on the base: " + base);
        assertMessage(() -> warmUpEngine(base, train, FAST, 0), "steps = 0", ">= 1");
    }

    private static void assertMessage(Executable e, String... parts) {
        Throwable t = assertThrows(RuntimeException.class, e::run);
        for (String p : parts) assertTrue(t.getMessage().contains(p), "'" + t.getMessage() + "' should mention " + p);
    }

    @FunctionalInterface interface Executable { void run() throws Exception; }

    @Test
    void everyValidationErrorNamesTheFieldTheValueAndWhatIsAllowed() {
        T5 base = TinyModels.t5(6);
        assertMessage(() -> lora(base).on("attn.q").rank(0), "r = 0", "positive");
        assertMessage(() -> lora(base).on("attn.q").rank(-3), "r = -3");
        assertMessage(() -> lora(base).on("attn.q").alpha(0), "lora_alpha = 0.0", "> 0");
        assertMessage(() -> lora(base).on("attn.q").alpha(-1), "lora_alpha = -1.0");
        assertMessage(() -> lora(base).on("attn.q").dropout(1.0), "lora_dropout = 1.0", "[0, 1)");
        assertMessage(() -> lora(base).on("attn.q").dropout(-0.1), "lora_dropout = -0.1");
        assertMessage(() -> epochs(0), "TrainOptions.epochs = 0", ">= 1");
        assertMessage(() -> epochs(1).lr(0), "TrainOptions.lr = 0.0", "> 0");
        assertMessage(() -> epochs(1).lr(-1e-3), "TrainOptions.lr = -0.001");
        assertMessage(() -> epochs(1).batchSize(0), "TrainOptions.batchSize = 0");
        assertMessage(() -> lora(base).on(), "targets are empty");
        assertMessage(() -> lora(base).on("attn.qq"), "attn.qq", "attn.q", "aliases");
        NoMatchingTargetException nm = assertThrows(NoMatchingTargetException.class, () -> lora(base).on("qq"));
        assertTrue(nm.getMessage().contains("qq"), nm.getMessage());
        assertTrue(nm.getMessage().contains("closest real module names: [q"), "closest real names listed: " + nm.getMessage());
        Dataset empty = train.head(0);
        assertMessage(() -> lora(base).on("attn.q").train(empty, FAST), "empty");
        assertMessage(() -> lora(base).on("attn.q").train(train, FAST.batchSize(17)), "batchSize = 17", "<= 16");
        assertFalse(base.hasAdapters(), "failed runs leave no adapter behind");
        assertMessage(() -> promptTuning(base).virtualTokens(0), "virtualTokens = 0");
        assertMessage(() -> rankSweep(base).on("attn.q").ranks(4, 0), "rank 0");
    }
}
