package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.peft.Adapters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The project's own Llama-shaped checkpoints made by transformers 5.18 (dsl/src/test/python/make_causal_fixtures.py):
 * Mistral with head_dim != hidden/heads and a sliding window shorter than the sequences (4.x-style config, LoRA
 * on all-linear), Llama with one key/value head and q/k/v/o bias, Llama tied with llama3 rope scaling stored as
 * BF16 with two eos ids, Llama with linear rope scaling in safetensors shards. Forward numbers, greedy and
 * 3-beam generation must equal transformers'.
 */
class LlamaVariantsTest {
    static final List<String> VARIANTS = List.of("mistral_head_dim", "llama_one_kv", "llama3_tied_bf16", "llama_sharded");

    @AfterAll static void report() { System.out.println("variant fixture deviations (max): " + CausalFixtures.WORST); }

    static Path dir(String name) {
        try {
            return Path.of(LlamaVariantsTest.class.getResource(name).toURI());
        } catch (Exception e) { throw new RuntimeException(e); }
    }

    static void checkAll(String what, LanguageModel m, Path dir, JsonNode batches, JsonNode refs) {
        for (int i = 0; i < batches.size(); i++) {
            Batch b = CausalFixtures.batch(batches.get(i));
            JsonNode ref = refs.get(i);
            CausalFixtures.checkForward(what + " batch " + i, m, b, ref);
            if (ref.has("greedy_sequences")) CausalFixtures.checkGreedy(what + " batch " + i, m, dir, b, ref.get("greedy_sequences"));
            if (ref.has("beam_sequences")) {
                GenerationConfig g = GenerationConfig.forModel(dir, m).withMaxNewTokens(6).withNumBeams(3);
                assertArrayEquals(CausalFixtures.ints(ref.get("beam_sequences")), Generator.generate(m, b.inputIds(), b.attentionMask(), g),
                    what + " batch " + i + " beam sequences (3 beams)");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mistral_head_dim", "llama_one_kv", "llama3_tied_bf16", "llama_sharded"})
    void baseModelMatchesTransformers(String name) {
        Path dir = dir(name);
        JsonNode exp = CausalFixtures.json(dir.resolve("expected.json"));
        LanguageModel m = ModelFamilies.load(dir);
        assertEquals(exp.get("family").asText(), m.family());
        checkAll(name, m, dir, exp.get("batches"), exp.get("base"));
    }

    @Test
    void configsAreReadAsTransformersReadsThem() {
        LlamaConfig mistral = ((LlamaModel) ModelFamilies.load(dir("mistral_head_dim"))).config();
        assertEquals(16, mistral.headDim());
        assertEquals(64, mistral.qDim(), "4 heads x head_dim 16, not hidden_size 32");
        assertEquals(6, mistral.windowOf(0));
        assertEquals(10000.0, mistral.rope().theta());
        LlamaConfig mqa = ((LlamaModel) ModelFamilies.load(dir("llama_one_kv"))).config();
        assertEquals(1, mqa.numKeyValueHeads());
        assertTrue(mqa.qkvBias() && mqa.oBias());
        LlamaConfig l3 = ((LlamaModel) ModelFamilies.load(dir("llama3_tied_bf16"))).config();
        assertEquals("llama3", l3.rope().type());
        assertEquals(64, l3.rope().originalMaxPositionEmbeddings());
        assertTrue(l3.tieWordEmbeddings());
        assertEquals("bfloat16", l3.torchDtype());
        GenerationConfig g = GenerationConfig.forModel(dir("llama3_tied_bf16"), ModelFamilies.load(dir("llama3_tied_bf16")));
        assertEquals(2, g.eosTokenId());
        assertEquals(2, g.eosTokenIds().size(), "two eos ids in generation_config.json");
        assertTrue(g.isEos(g.eosTokenIds().get(1)));
        assertEquals("linear", ((LlamaModel) ModelFamilies.load(dir("llama_sharded"))).config().rope().type());
    }

    @Test
    void loraOnExplicitHeadDimMatchesPeftUnmergedAndMerged() {
        Path dir = dir("mistral_head_dim");
        JsonNode exp = CausalFixtures.json(dir.resolve("expected.json"));
        JsonNode ad = exp.get("adapters").get("lora_all_linear");
        for (boolean merge : new boolean[]{false, true}) {
            LanguageModel m = Adapters.apply(ModelFamilies.load(dir), dir.resolve("lora_all_linear"), merge).model();
            checkAll("mistral_head_dim/lora_all_linear" + (merge ? " merged" : ""), m, dir, exp.get("batches"), ad.get(merge ? "merged" : "unmerged"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama_one_kv", "llama3_tied_bf16"})
    void saveAndReloadKeepsEveryLogit(String name, @TempDir Path tmp) throws Exception {
        LlamaModel m = (LlamaModel) ModelFamilies.load(dir(name));
        Batch b = CausalFixtures.batch(CausalFixtures.json(dir(name).resolve("expected.json")).get("batches").get(0));
        INDArray before = m.logits(b);
        m.save(tmp, SafeTensors.Dtype.F32);
        LlamaModel back = (LlamaModel) ModelFamilies.load(tmp);
        assertEquals(m.config().withTorchDtype("float32"), back.config());
        assertEquals(before, back.logits(b));
        assertEquals(m.config().tieWordEmbeddings(), !SafeTensors.header(tmp.resolve("model.safetensors")).entries().containsKey("lm_head.weight"));
        LanguageModel copy = m.copy();
        assertEquals(before, copy.logits(b), "copy() computes the same logits");
        m.save(tmp.resolve("bf16"), SafeTensors.Dtype.BF16);
        assertTrue(Files.readString(tmp.resolve("bf16/config.json")).contains("\"torch_dtype\" : \"bfloat16\""));
        assertEquals(SafeTensors.Dtype.BF16, SafeTensors.header(tmp.resolve("bf16/model.safetensors")).entries().get("model.norm.weight").dtype());
    }
}
