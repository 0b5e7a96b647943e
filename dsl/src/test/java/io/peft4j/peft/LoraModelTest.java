package io.peft4j.peft;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.Table;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** LoRA on tiny T5 models built from configurations: counts, adapters, merging, files, training. */
class LoraModelTest {
    static final Batch BATCH = new Batch(
        new int[][]{{5, 9, 12, 3, 1}, {7, 22, 1, 0, 0}},
        new int[][]{{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}},
        new int[][]{{4, 8, 1}, {6, 1, -100}});

    static T5Model tiny(T5Config c) { return T5Model.fromConfig(c, 5); }

    static Stream<Arguments> countCases() {
        return Stream.of(
            Arguments.of(PeftFixtures.tinyGated(), LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8)),
            Arguments.of(PeftFixtures.tinyGated(), LoraConfig.of("all-linear").withRank(2)),
            Arguments.of(PeftFixtures.tinyRelu(), LoraConfig.of("ffn.wi", "ffn.wo", "cross.o").withRank(3)),
            Arguments.of(PeftFixtures.tinyRelu(), LoraConfig.of("q", "k").withRankPattern(Map.of("EncDecAttention.k", 5)).withLayers(0, 1)),
            Arguments.of(PeftFixtures.tinyGated(), LoraConfig.of(Targets.regex("decoder.*wi_[01]")).withRank(6)));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("countCases")
    void countsFromShapesEqualCountsOfABuiltModel(T5Config c, LoraConfig lc) {
        T5Model m = tiny(c);
        Map<String, ProjectionSlot> slots = m.projections();
        Map<String, long[]> shapes = T5Shapes.linears(c);
        assertEquals(List.copyOf(shapes.keySet()), List.copyOf(slots.keySet()));
        shapes.forEach((k, s) -> assertArrayEquals(s, new long[]{slots.get(k).get().outFeatures(), slots.get(k).get().inFeatures()}, k));
        assertEquals(T5Shapes.baseParameters(c), ParameterCount.of(m).all());
        LoraModel<T5Model> lora = LoraModel.of(m, lc, 1);
        assertEquals(T5Shapes.loraCount(c, lc), lora.trainableParameters());
        Table t = lora.moduleTable();
        assertEquals(lora.trainableParameters().trainable(), t.longColumn("adapter params").sum(), 1e-9);
        assertEquals(lora.trainableParameters().all(), t.longColumn("adapter params").sum() + t.longColumn("base params").sum(), 1e-9);
    }

    @Test
    void onlyAdapterParametersTrainAndNewAdapterIsANoOp() {
        T5Model m = tiny(PeftFixtures.tinyGated());
        INDArray base = m.logits(BATCH);
        LoraModel<T5Model> lora = LoraModel.of(m, LoraConfig.of("attn.q", "attn.v"), 3);
        assertEquals(base, m.logits(BATCH), "B = 0: a fresh adapter leaves outputs unchanged");
        for (Parameter p : m.baseParameters().values()) assertFalse(p.trainable(), p.name());
        for (Parameter p : lora.trainable()) assertTrue(p.name().contains(".lora_"), p.name());
        assertEquals(24, lora.trainable().size());
    }

    @Test
    void mergeUnmergeAndMergeAndUnload() {
        T5Model m = tiny(PeftFixtures.tinyGated());
        Map<String, INDArray> w0 = new HashMap<>();
        m.baseParameters().forEach((k, p) -> w0.put(k, p.value().dup()));
        LoraModel<T5Model> lora = LoraModel.of(m, LoraConfig.of("all-linear").withInit(LoraInit.RANDOM).withAlpha(16), 3);
        INDArray unmerged = m.logits(BATCH);
        assertTrue(unmerged.sub(logitsOfFresh()).amaxNumber().doubleValue() > 1e-3);
        lora.merge();
        assertEquals(0, m.logits(BATCH).sub(unmerged).amaxNumber().doubleValue(), 1e-4);
        lora.merge();   // warns, no-op
        assertEquals(0, m.logits(BATCH).sub(unmerged).amaxNumber().doubleValue(), 1e-4);
        lora.unmerge();
        w0.forEach((k, v) -> {
            double tol = 4 * Math.ulp((float) (v.amaxNumber().doubleValue() + 1));
            assertEquals(0, m.baseParameters().get(k).value().sub(v).amaxNumber().doubleValue(), tol, k);
        });
        try (AdapterScope off = lora.disableAdapters()) {
            assertEquals(logitsOfFresh(), m.logits(BATCH), "disabled: base outputs");
        }
        assertEquals(0, m.logits(BATCH).sub(unmerged).amaxNumber().doubleValue(), 1e-5, "enabled again");
        T5Model plain = lora.mergeAndUnload();
        for (ProjectionSlot s : plain.projections().values()) assertInstanceOf(Linear.class, s.get(), s.name());
        assertEquals(0, plain.logits(BATCH).sub(unmerged).amaxNumber().doubleValue(), 1e-4);
    }

    private static INDArray logitsOfFresh() { return tiny(PeftFixtures.tinyGated()).logits(BATCH); }

    @Test
    void namedAdaptersAndMixedBatch(@TempDir Path tmp) {
        T5Model m = tiny(PeftFixtures.tinyGated());
        LoraModel<T5Model> lora = LoraModel.of(m, LoraConfig.of("attn.q", "attn.v").withInit(LoraInit.RANDOM), 1);
        lora.addAdapter("other", LoraConfig.of("ffn.wo").withInit(LoraInit.RANDOM).withRank(2), 2);
        assertEquals("default", lora.active());
        INDArray def = m.logits(BATCH);
        lora.setActive("other");
        INDArray oth = m.logits(BATCH);
        assertNotEquals(def, oth);
        assertEquals(4 * 2 * (24 + 16), lora.trainableParameters().trainable(), "only 'other' (4 wo modules [16, 24], r=2) trains");
        try (AdapterScope rows = lora.rowAdapters("default", "other")) {
            INDArray mixed = m.logits(BATCH);
            assertEquals(0, mixed.slice(0).sub(def.slice(0)).amaxNumber().doubleValue(), 1e-5, "row 0 uses 'default'");
            assertEquals(0, mixed.slice(1).sub(oth.slice(1)).amaxNumber().doubleValue(), 1e-5, "row 1 uses 'other'");
        }
        AdapterIO.save(lora, tmp);
        assertTrue(Files.isRegularFile(tmp.resolve("adapter_config.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("other/adapter_model.safetensors")), "non-default adapters in sub-folders, as PEFT");
        LoraModel<T5Model> again = AdapterIO.loadLora(tiny(PeftFixtures.tinyGated()), tmp.resolve("other"));
        assertEquals(oth, again.model().logits(BATCH));
        lora.deleteAdapter("other");
        assertEquals("default", lora.active());
        assertEquals(def, m.logits(BATCH));
        assertInstanceOf(Linear.class, m.projections().get("encoder.block.0.layer.1.DenseReluDense.wo").get(), "deleted adapter's layers restored");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("saveCases")
    void saveLoadRoundTrip(SafeTensors.Dtype dtype, LoraConfig lc, @TempDir Path tmp) throws Exception {
        T5Model m = tiny(PeftFixtures.tinyGated());
        LoraModel<T5Model> lora = LoraModel.of(m, lc.withInit(LoraInit.RANDOM), 4);
        INDArray before = m.logits(BATCH);
        AdapterIO.save(lora, tmp, dtype, "tiny");
        var h = SafeTensors.header(tmp.resolve("adapter_model.safetensors"));
        assertEquals(Map.of("format", "pt"), h.metadata());
        String firstKey = h.entries().keySet().iterator().next();
        assertTrue(firstKey.startsWith("base_model.model.") && firstKey.endsWith(".lora_A.weight"), firstKey);
        assertEquals(2 * lora.targetedModules("default").size(), h.entries().size());
        assertEquals(dtype, h.entries().values().iterator().next().dtype());
        var json = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        var fixtureKeys = new ObjectMapper().readTree(io.peft4j.testutil.Shared.require("fixtures/t5/tiny_flan/lora_adapter/adapter_config.json").toFile());
        assertEquals(iterToList(fixtureKeys.fieldNames()), iterToList(json.fieldNames()), "PEFT 0.21's key set, sorted");
        LoraModel<T5Model> loaded = AdapterIO.loadLora(tiny(PeftFixtures.tinyGated()), tmp);
        assertEquals(lc.withInit(LoraInit.RANDOM).withTargets(new TargetResolver(m.projections().keySet()).toPeft(lc.targets())),
            loaded.config("default").withInit(LoraInit.RANDOM));
        INDArray after = loaded.model().logits(BATCH);
        if (dtype == SafeTensors.Dtype.F32) assertEquals(before, after, "bit-identical");
        else assertEquals(0, before.sub(after).amaxNumber().doubleValue(), 0.05, "rounded to " + dtype);
    }

    static Stream<Arguments> saveCases() {
        return Stream.of(
            Arguments.of(SafeTensors.Dtype.F32, LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8)),
            Arguments.of(SafeTensors.Dtype.F32, LoraConfig.of("all-linear").withRslora(true).withRank(3).withAlpha(5.5).withDropout(0.1)),
            Arguments.of(SafeTensors.Dtype.F32, LoraConfig.of("q").withLayers(List.of(1), List.of("block"))
                .withRankPattern(new LinkedHashMap<>(Map.of("EncDecAttention.q", 2))).withAlphaPattern(Map.of("SelfAttention.q", 3.0))),
            Arguments.of(SafeTensors.Dtype.F32, LoraConfig.of(Targets.regex(".*decoder.*\\.(k|o)")).withInit(LoraInit.GAUSSIAN)),
            Arguments.of(SafeTensors.Dtype.F16, LoraConfig.of("self.v", "ffn.wi")),
            Arguments.of(SafeTensors.Dtype.BF16, LoraConfig.of("cross.q")));
    }

    private static List<String> iterToList(java.util.Iterator<String> it) {
        List<String> l = new java.util.ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void loadErrorsNameTheProblem(@TempDir Path tmp) throws Exception {
        T5Model m = tiny(PeftFixtures.tinyGated());
        LoraModel<T5Model> lora = LoraModel.of(m, LoraConfig.of("q", "v").withRank(2), 4);
        AdapterIO.save(lora, tmp);
        Path wf = tmp.resolve("adapter_model.safetensors");
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.read(wf));
        String qa = "base_model.model.encoder.block.0.layer.0.SelfAttention.q.lora_A.weight";
        // missing tensor
        Map<String, INDArray> missing = new LinkedHashMap<>(t); missing.remove(qa);
        SafeTensors.write(wf, missing, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        var e1 = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(tiny(PeftFixtures.tinyGated()), tmp));
        assertTrue(e1.getMessage().contains("missing tensors [" + qa + "]"), e1.getMessage());
        // unexpected tensor
        Map<String, INDArray> extra = new LinkedHashMap<>(t); extra.put("base_model.model.lm_head.lora_A.weight", t.get(qa));
        SafeTensors.write(wf, extra, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        var e2 = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(tiny(PeftFixtures.tinyGated()), tmp));
        assertTrue(e2.getMessage().contains("unexpected tensors [base_model.model.lm_head.lora_A.weight]"), e2.getMessage());
        // shape mismatch: adapter made for another base (d_model 16 vs 24)
        T5Config wide = new T5Config(40, 24, 8, 24, 2, 2, 2, 8, 20, 0.0, 1e-6, "gated-gelu", "gelu_new", true, false, 0, 1, 0, 1.0);
        SafeTensors.write(wf, t, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        var e3 = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(tiny(wide), tmp));
        assertTrue(e3.getMessage().contains("module encoder.block.0.layer.0.SelfAttention.q"), e3.getMessage());
        assertTrue(e3.getMessage().contains("[2, 16]") && e3.getMessage().contains("[2, 24]"), e3.getMessage());
        // unknown config key tolerated, listed; unsupported feature refused naming the key
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        cfg.put("some_future_key", 3);
        Files.writeString(tmp.resolve("adapter_config.json"), cfg.toString());
        assertEquals(List.of("some_future_key"), AdapterIO.readLoraConfig(tmp).unknownKeys());
        assertEquals(m.logits(BATCH), AdapterIO.loadLora(tiny(PeftFixtures.tinyGated()), tmp).model().logits(BATCH));
        cfg.put("use_qalora", true);
        Files.writeString(tmp.resolve("adapter_config.json"), cfg.toString());
        var e4 = assertThrows(FileFormatException.class, () -> AdapterIO.readLoraConfig(tmp));
        assertTrue(e4.getMessage().contains("'use_qalora' = true"), e4.getMessage());
        cfg.put("use_qalora", false); cfg.put("r", 0);
        Files.writeString(tmp.resolve("adapter_config.json"), cfg.toString());
        var e5 = assertThrows(FileFormatException.class, () -> AdapterIO.readLoraConfig(tmp));
        assertTrue(e5.getMessage().contains("r = 0"), e5.getMessage());
        Files.writeString(tmp.resolve("adapter_config.json"), "{not json");
        assertThrows(FileFormatException.class, () -> AdapterIO.readLoraConfig(tmp));
    }

    @Test
    void sgdStepsLowerTheLossAndLeaveFrozenWeightsBitIdentical() {
        T5Model m = tiny(PeftFixtures.tinyGated());
        Map<String, INDArray> frozen = new HashMap<>();
        m.baseParameters().forEach((k, p) -> frozen.put(k, p.value().dup()));
        LoraModel<T5Model> lora = LoraModel.of(m, LoraConfig.of("attn.q", "attn.v", "ffn.wo").withRank(4).withAlpha(8).withDropout(0.05), 7);
        double first = 0, last = 0;
        for (int step = 0; step < 6; step++) {
            for (Parameter p : lora.trainable()) p.zeroGrad();
            double loss = m.forwardLoss(BATCH, ForwardContext.training(1, step));
            m.backward();
            for (Parameter p : lora.trainable()) p.value().subi(p.grad().mul(0.5));
            if (step == 0) first = loss;
            last = loss;
        }
        assertTrue(last < first - 0.2, "loss " + first + " -> " + last);
        frozen.forEach((k, v) -> {
            assertEquals(v, m.baseParameters().get(k).value(), k + " changed");
            assertFalse(m.baseParameters().get(k).hasGrad(), k + " has a gradient buffer");
        });
    }
}
