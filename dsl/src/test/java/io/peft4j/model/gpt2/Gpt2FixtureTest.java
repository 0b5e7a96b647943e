package io.peft4j.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraLinear;
import io.peft4j.peft.LoraModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GPT-2 engine against transformers 5.18 + peft 0.21 on the project's own GPT-2 fixtures
 * ({@link Gpt2Fixtures}): loss, logits checksums, argmax, greedy and beam search of the base model,
 * of two PEFT LoRA adapters with {@code fan_in_fan_out} (unmerged and merged) and of a variant with
 * an untied head, n_inner, inverse-layer attention scaling and BF16 storage.
 */
class Gpt2FixtureTest {
    static final String TINY = "tiny_gpt2", VARIANT = "tiny_gpt2_variant";

    static GenerationConfig generation(LanguageModel m, String model, int beams) {
        return GenerationConfig.forModel(Gpt2Fixtures.dir(model), m).withMaxNewTokens(12).withNumBeams(beams);
    }

    @Test
    void loadsThroughModelFamiliesAsGpt2() {
        LanguageModel m = ModelFamilies.load(Gpt2Fixtures.dir(TINY));
        assertInstanceOf(Gpt2Model.class, m);
        assertEquals("gpt2", m.family());
        assertFalse(m.encoderDecoder());
        assertEquals("gpt2", ModelFamilies.detect(Gpt2Fixtures.dir(TINY)));
        JsonNode exp = Gpt2Fixtures.expected(TINY);
        GenerationConfig g = GenerationConfig.forModel(Gpt2Fixtures.dir(TINY), m);
        assertEquals(exp.get("eos_token_id").asInt(), g.eosTokenId());
        assertEquals(exp.get("pad_token_id_for_generation").asInt(), g.padTokenId(), "no pad_token_id: pads with eos as transformers");
        assertEquals(java.util.List.of("transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc",
            "transformer.h.0.mlp.c_proj", "transformer.h.1.attn.c_attn", "transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_fc",
            "transformer.h.1.mlp.c_proj", "lm_head"), java.util.List.copyOf(m.projections().keySet()));
    }

    @Test
    void baseOutputsMatchTransformers() {
        JsonNode exp = Gpt2Fixtures.expected(TINY);
        Gpt2Model m = Gpt2Model.load(Gpt2Fixtures.dir(TINY));
        double worst = 0;
        for (int i = 0; i < exp.get("batches").size(); i++) {
            Batch b = Gpt2Fixtures.batch(exp.get("batches").get(i));
            double loss = m.forwardLoss(b, ForwardContext.inference());
            worst = Math.max(worst, Gpt2Fixtures.checkForward("base batch " + i, loss, m.lastLogits(), b, exp.get("base").get(i)));
            assertEquals(m.lastLogits(), m.logits(b), "logits(batch) equals forwardLoss's logits");
        }
        System.out.println("GPT-2 base: largest first16 logit deviation " + worst + "; " + Gpt2Fixtures.deviations());
    }

    @Test
    void greedyAndBeamSearchMatchTransformers() {
        JsonNode exp = Gpt2Fixtures.expected(TINY);
        Gpt2Model m = Gpt2Model.load(Gpt2Fixtures.dir(TINY));
        JsonNode gb = exp.get("batches").get(1);
        int[][] ids = Gpt2Fixtures.ints(gb.get("input_ids")), mask = Gpt2Fixtures.ints(gb.get("attention_mask"));
        assertArrayEquals(Gpt2Fixtures.ints(exp.get("base_greedy")), Generator.generate(m, ids, mask, generation(m, TINY, 1)), "greedy");
        assertArrayEquals(Gpt2Fixtures.ints(exp.get("base_beam3")), Generator.generate(m, ids, mask, generation(m, TINY, 3)), "beam 3");
        assertArrayEquals(Gpt2Fixtures.ints(exp.get("base_beam3_first_row")),
            Generator.generate(m, new int[][]{ids[0]}, new int[][]{mask[0]}, generation(m, TINY, 3)), "beam 3, one row");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lora_c_attn", "lora_all_linear"})
    void peftAdaptersMatchUnmergedAndMerged(String name) {
        JsonNode exp = Gpt2Fixtures.expected(TINY), ad = exp.get("adapters").get(name);
        assertTrue(ad.get("saved_fan_in_fan_out").asBoolean(), "PEFT saved fan_in_fan_out = true");
        Path dir = Gpt2Fixtures.dir(TINY).resolve(ad.get("dir").asText());
        LoraModel<Gpt2Model> lora = AdapterIO.loadLora(Gpt2Model.load(Gpt2Fixtures.dir(TINY)), dir);
        Gpt2Model m = lora.model();
        JsonNode batches = exp.get("batches");
        double worst = 0;
        for (int i = 0; i < batches.size(); i++) {
            Batch b = Gpt2Fixtures.batch(batches.get(i));
            double loss = m.forwardLoss(b, ForwardContext.inference());
            worst = Math.max(worst, Gpt2Fixtures.checkForward(name + " batch " + i, loss, m.lastLogits(), b, ad.get("unmerged").get(i)));
        }
        JsonNode gb = batches.get(1);
        int[][] ids = Gpt2Fixtures.ints(gb.get("input_ids")), mask = Gpt2Fixtures.ints(gb.get("attention_mask"));
        assertArrayEquals(Gpt2Fixtures.ints(ad.get("greedy")), Generator.generate(m, ids, mask, generation(m, TINY, 1)), name + " greedy");
        assertArrayEquals(Gpt2Fixtures.ints(ad.get("beam3")), Generator.generate(m, ids, mask, generation(m, TINY, 3)), name + " beam 3");
        lora.merge();
        for (int i = 0; i < batches.size(); i++) {
            Batch b = Gpt2Fixtures.batch(batches.get(i));
            double loss = m.forwardLoss(b, ForwardContext.inference());
            worst = Math.max(worst, Gpt2Fixtures.checkForward(name + " merged batch " + i, loss, m.lastLogits(), b, ad.get("merged").get(i)));
        }
        assertArrayEquals(Gpt2Fixtures.ints(ad.get("merged_greedy")), Generator.generate(m, ids, mask, generation(m, TINY, 1)), name + " merged greedy");
        System.out.println("GPT-2 " + name + ": largest first16 logit deviation " + worst + "; " + Gpt2Fixtures.deviations());
    }

    @Test
    void peftIa3AdapterMatchesUnmergedAndMerged(@org.junit.jupiter.api.io.TempDir Path tmp) {
        JsonNode exp = Gpt2Fixtures.expected(TINY), ad = exp.get("ia3"), batches = exp.get("batches");
        assertTrue(ad.get("saved_fan_in_fan_out").asBoolean(), "PEFT corrected fan_in_fan_out to true for Conv1D");
        io.peft4j.peft.Ia3Model<Gpt2Model> ia3 = io.peft4j.peft.OtherAdapterIO.loadIa3(Gpt2Model.load(Gpt2Fixtures.dir(TINY)),
            Gpt2Fixtures.dir(TINY).resolve(ad.get("dir").asText()));
        Gpt2Model m = ia3.model();
        double worst = 0;
        for (int i = 0; i < batches.size(); i++) {
            Batch b = Gpt2Fixtures.batch(batches.get(i));
            double loss = m.forwardLoss(b, ForwardContext.inference());
            worst = Math.max(worst, Gpt2Fixtures.checkForward("ia3 batch " + i, loss, m.lastLogits(), b, ad.get("unmerged").get(i)));
        }
        JsonNode gb = batches.get(1);
        int[][] ids = Gpt2Fixtures.ints(gb.get("input_ids")), mask = Gpt2Fixtures.ints(gb.get("attention_mask"));
        assertArrayEquals(Gpt2Fixtures.ints(ad.get("greedy")), Generator.generate(m, ids, mask, generation(m, TINY, 1)), "ia3 greedy");
        // saved by peft4j: fan_in_fan_out true and CAUSAL_LM, as PEFT writes them; reloads to the same outputs
        io.peft4j.peft.OtherAdapterIO.saveIa3(ia3, tmp, io.peft4j.hf.SafeTensors.Dtype.F32, TINY);
        try {
            JsonNode cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve(AdapterIO.CONFIG).toFile());
            assertTrue(cfg.get("fan_in_fan_out").asBoolean());
            assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        } catch (java.io.IOException e) { throw new RuntimeException(e); }
        Batch b0 = Gpt2Fixtures.batch(batches.get(0));
        assertEquals(m.logits(b0), io.peft4j.peft.OtherAdapterIO.loadIa3(Gpt2Model.load(Gpt2Fixtures.dir(TINY)), tmp).model().logits(b0));
        Gpt2Model merged = ia3.mergeAndUnload();
        for (int i = 0; i < batches.size(); i++) {
            Batch b = Gpt2Fixtures.batch(batches.get(i));
            double loss = merged.forwardLoss(b, ForwardContext.inference());
            worst = Math.max(worst, Gpt2Fixtures.checkForward("ia3 merged batch " + i, loss, merged.lastLogits(), b, ad.get("merged").get(i)));
        }
        System.out.println("GPT-2 ia3: largest first16 logit deviation " + worst + "; " + Gpt2Fixtures.deviations());
    }

    /** The fixture model with every dropout rate 0 (training-mode passes then compute what eval mode does). */
    static Gpt2Model loadNoDropout(String model) {
        Path dir = Gpt2Fixtures.dir(model);
        Gpt2Model loaded = Gpt2Model.load(dir);
        Gpt2Model m = Gpt2Model.fromConfig(Gpt2Config.fromJson(dir.resolve("config.json")).withDropout(0), 1);
        for (var p : m.baseParameters().values()) p.value().assign(loaded.baseParameters().get(p.name()).value());
        return m;
    }

    /** The adapter folder with lora_dropout set to 0 (the reference gradients are taken in eval mode). */
    static Path noLoraDropout(Path adapter, Path tmp) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(adapter.resolve(AdapterIO.CONFIG).toFile());
        cfg.put("lora_dropout", 0.0);
        java.nio.file.Files.writeString(tmp.resolve(AdapterIO.CONFIG), cfg.toString());
        java.nio.file.Files.copy(adapter.resolve(AdapterIO.WEIGHTS), tmp.resolve(AdapterIO.WEIGHTS));
        return tmp;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lora_c_attn", "lora_all_linear"})
    void loraGradientsMatchPeft(String name, @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        JsonNode exp = Gpt2Fixtures.expected(TINY), g = exp.get("adapters").get(name).get("gradient_check");
        LoraModel<Gpt2Model> lora = AdapterIO.loadLora(loadNoDropout(TINY), noLoraDropout(Gpt2Fixtures.dir(TINY).resolve(name), tmp));
        Gpt2Model m = lora.model();
        Batch b = Gpt2Fixtures.batch(exp.get("batches").get(g.get("batch_index").asInt()));
        double loss = m.forwardLoss(b, ForwardContext.training(0, 0));
        assertEquals(g.get("loss").asDouble(), loss, Gpt2Fixtures.LOSS_TOL, name + " loss");
        m.backward();
        LoraLinear layer = lora.layers().get(g.get("module").asText());
        assertNotNull(layer, "module " + g.get("module").asText());
        checkGrad(name + " lora_A grad", layer.adapter("default").a().grad(), g.get("lora_A_grad"));
        checkGrad(name + " lora_B grad", layer.adapter("default").b().grad(), g.get("lora_B_grad"));
        for (var p : m.baseParameters().values()) assertFalse(p.hasGrad(), "frozen " + p.name() + " got a gradient buffer");
    }

    private static void checkGrad(String what, INDArray grad, JsonNode ref) {
        double fro = grad.norm2Number().doubleValue(), want = ref.get("frobenius").asDouble();
        assertEquals(want, fro, 1e-4 * want, what + " frobenius");
        System.out.println("GPT-2 " + what + ": frobenius relative deviation " + Math.abs(fro - want) / want);
        double[] v = grad.dup('c').data().asDouble();
        JsonNode f = ref.get("first16");
        for (int i = 0; i < f.size(); i++) assertEquals(f.get(i).asDouble(), v[i], 1e-4 * want + 1e-7, what + " [" + i + "]");
    }

    @Test
    void variantUntiedBf16InverseLayerScaling() {
        JsonNode exp = Gpt2Fixtures.expected(VARIANT);
        Gpt2Model m = Gpt2Model.load(Gpt2Fixtures.dir(VARIANT));
        Gpt2Config c = m.config();
        assertFalse(c.tieWordEmbeddings());
        assertTrue(c.scaleAttnByInverseLayerIdx());
        assertEquals(40, c.innerDim());
        assertTrue(m.baseParameters().containsKey("lm_head.weight"));
        double worst = 0;
        for (int i = 0; i < exp.get("batches").size(); i++) {
            Batch b = Gpt2Fixtures.batch(exp.get("batches").get(i));
            double loss = m.forwardLoss(b, ForwardContext.inference());
            worst = Math.max(worst, Gpt2Fixtures.checkForward("variant batch " + i, loss, m.lastLogits(), b, exp.get("base").get(i)));
        }
        JsonNode gb = exp.get("batches").get(1);
        assertArrayEquals(Gpt2Fixtures.ints(exp.get("base_greedy")), Generator.generate(m, Gpt2Fixtures.ints(gb.get("input_ids")),
            Gpt2Fixtures.ints(gb.get("attention_mask")), generation(m, VARIANT, 1)), "variant greedy");
        System.out.println("GPT-2 variant: largest first16 logit deviation " + worst + "; " + Gpt2Fixtures.deviations());
    }
}
