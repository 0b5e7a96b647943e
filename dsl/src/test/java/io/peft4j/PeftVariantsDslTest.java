package io.peft4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.data.Dataset;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Parameter;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraAdapter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/** DoRA, the weight-derived initialisations and LoRA+ through the DSL: parameters, tables, provenance, saving. */
class PeftVariantsDslTest {
    static Dataset train, test;
    static final TrainOptions FAST = epochs(2).lr(1e-2).batchSize(8).maxLengths(96, 32).progress(false);

    @BeforeAll
    static void data() {
        train = TinyModels.dialogues("train", 16, 1).withPrompt(SUMMARIZE);
        test = TinyModels.dialogues("test", 6, 2).withPrompt(SUMMARIZE);
    }

    private static Map<String, INDArray> snapshot(Model t) {
        Map<String, INDArray> m = new HashMap<>();
        for (Parameter p : t.model().baseParameters().values()) m.put(p.name(), p.value().dup());
        return m;
    }

    private static void assertUnchanged(Map<String, INDArray> before, Model t) {
        for (Parameter p : t.model().baseParameters().values())
            assertEquals(before.get(p.name()), p.value(), "base weight " + p.name() + " changed");
    }

    private static String text(Table t) { return t.print(); }

    @Test
    void doraTrainsMagnitudesCountsThemAndRecordsTheVariant(@TempDir Path dir) throws Exception {
        T5 base = TinyModels.t5(11);
        var before = snapshot(base);
        List<String> baseOut = base.generate(test.sources());
        LoraResult dora = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).dora().train(train, FAST);
        // 6 modules, each r * (in + out) + out = 4 * 32 + 16 (the magnitude vector)
        assertEquals(6 * (4 * 32 + 16), dora.trainableParameters());
        assertEquals(base.parameterCount() + dora.trainableParameters(), dora.totalParameters());
        assertTrue(dora.name().startsWith("DoRA r=4"), dora.name());
        Table params = dora.parameters();
        String p = text(params);
        assertTrue(p.contains("dora r=4") && p.contains("144"), "per-module rows count A, B and the magnitude: " + p);
        assertEquals("DoRA", dora.provenance().method());
        assertTrue(dora.provenance().config().contains("dora"), dora.provenance().config());
        assertTrue(text(dora.toTable()).contains("DoRA"));
        assertUnchanged(before, base);
        assertEquals(baseOut, base.generate(test.sources()), "the base answers as itself");

        Path out = dora.adapter().save(dir.resolve("dora"));
        JsonNode cfg = new ObjectMapper().readTree(out.resolve(AdapterIO.CONFIG).toFile());
        assertTrue(cfg.get("use_dora").asBoolean());
        assertEquals(6 * 3, SafeTensors.read(out.resolve(AdapterIO.WEIGHTS)).size(), "A, B and lora_magnitude_vector per module");
        List<String> expected = dora.generate(test.sources());
        FineTuned loaded = base.copy().withAdapter(out);
        assertEquals(expected, loaded.generate(test.sources()));
        assertEquals(dora.trainableParameters(), loaded.trainableParameters());
        assertTrue(loaded.provenance().method().startsWith("DoRA (loaded from"), loaded.provenance().method());
    }

    @Test
    void pissaTrainsOnACopySoTheBaseNeverChangesAndSavesAConvertedAdapter(@TempDir Path dir) throws Exception {
        T5 base = TinyModels.t5(12);
        var before = snapshot(base);
        List<String> baseOut = base.generate(test.sources());
        LoraResult pissa = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).init(PISSA).train(train, FAST);
        assertUnchanged(before, base);
        assertEquals(baseOut, base.generate(test.sources()));
        assertNotSame(base, pissa.model(), "trained on a copy");
        assertFalse(base.hasAdapters());
        assertEquals(6 * 4 * 32, pissa.trainableParameters());
        assertTrue(pissa.name().contains("pissa"), pissa.name());
        assertEquals("LoRA (init pissa)", pissa.provenance().method());

        // saved converted (rank 2r, init true): loads onto the untouched base like any LoRA adapter
        Path out = pissa.adapter().save(dir.resolve("pissa"));
        JsonNode cfg = new ObjectMapper().readTree(out.resolve(AdapterIO.CONFIG).toFile());
        assertEquals(8, cfg.get("r").asInt());
        assertEquals(16, cfg.get("lora_alpha").asInt());
        assertTrue(cfg.get("init_lora_weights").asBoolean());
        List<String> expected = pissa.generate(test.sources());
        FineTuned converted = base.withAdapter(out);
        assertSame(base, converted.model(), "a converted adapter sits on the shared base");
        assertEquals(expected, converted.generate(test.sources()));
        assertUnchanged(before, base);

        // saved unconverted (PEFT's plain save_pretrained): loads onto a copy, recomputing the residual
        Path raw = dir.resolve("pissa-raw");
        AdapterIO.save(pissa.model().adapters(), pissa.adapterName(), raw, SafeTensors.Dtype.F32, "tiny");
        FineTuned unconverted = base.withAdapter(raw);
        assertNotSame(base, unconverted.model());
        assertEquals(expected, unconverted.generate(test.sources()));
        assertUnchanged(before, base);
    }

    @Test
    void oloraAndPissaNiterTrainThroughTheDsl() {
        T5 base = TinyModels.t5(13);
        var before = snapshot(base);
        LoraResult olora = lora(base).on("attn.v").rank(2).init(OLORA).train(train, FAST.epochs(1));
        LoraResult fast = lora(base).on("attn.v").rank(2).init(pissaNiter(3)).train(train, FAST.epochs(1));
        assertEquals("LoRA (init olora)", olora.provenance().method());
        assertEquals("LoRA (init pissa_niter_3)", fast.provenance().method());
        assertTrue(olora.training().stepLosses().stream().allMatch(Double::isFinite));
        assertTrue(fast.training().stepLosses().stream().allMatch(Double::isFinite));
        assertUnchanged(before, base);
    }

    @Test
    void loraPlusTrainsBAtTheRatioTimesTheRateAndIsRecorded() {
        T5 plainBase = TinyModels.t5(14), plusBase = TinyModels.t5(14);
        TrainOptions o = FAST.epochs(1).lr(1e-3);
        LoraResult plain = lora(plainBase).on("attn.q", "attn.v").rank(4).train(train, o);
        LoraResult plus = lora(plusBase).on("attn.q", "attn.v").rank(4).loraPlus(16).train(train, o);
        assertEquals("LoRA (LoRA+ ratio 16)", plus.provenance().method());
        assertTrue(plus.provenance().training().contains("loraPlusLrRatio=16.0"), plus.provenance().training());
        assertTrue(plus.name().endsWith("LoRA+"), plus.name());
        // B starts at zero; Adam moves each entry by about the rate per step, so LoRA+'s B is far larger
        double bPlain = bNorm(plain), bPlus = bNorm(plus);
        assertTrue(bPlus > 4 * bPlain, "B norm with LoRA+ " + bPlus + " vs plain " + bPlain);
    }

    private static double bNorm(LoraResult r) {
        double s = 0;
        for (var layer : r.model().adapters().layers().values()) {
            LoraAdapter a = layer.adapter(r.adapterName());
            double n = a.b().value().norm2Number().doubleValue();
            s += n * n;
        }
        return Math.sqrt(s);
    }

    @Test
    void variantOptionsAreValidated() {
        T5 base = TinyModels.t5(15);
        Throwable e = assertThrows(IllegalArgumentException.class, () -> lora(base).on("attn.q").loraPlus(0));
        assertTrue(e.getMessage().contains("loraPlus = 0.0") && e.getMessage().contains("> 0"), e.getMessage());
        e = assertThrows(NullPointerException.class, () -> lora(base).on("attn.q").init(null));
        assertTrue(e.getMessage().contains("PISSA"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> pissaNiter(-1));
        assertTrue(e.getMessage().contains("pissa_niter_-1"), e.getMessage());
        // r above what the decomposition offers: q is 16 x 16 here
        e = assertThrows(IllegalArgumentException.class, () -> lora(base).on("attn.q").rank(17).init(PISSA).train(train, FAST.epochs(1)));
        assertTrue(e.getMessage().contains("r = 17") && e.getMessage().contains("r <= 16"), e.getMessage());
        assertFalse(base.hasAdapters(), "failed runs leave no adapter behind");
    }
}
