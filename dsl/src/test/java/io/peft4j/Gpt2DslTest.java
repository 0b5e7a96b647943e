package io.peft4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.data.Dataset;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Parameter;
import io.peft4j.model.gpt2.Gpt2Config;
import io.peft4j.model.gpt2.Gpt2Model;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/** The DSL on GPT-2: LoRA through the aliases (fused c_attn), IA3 with GPT-2's defaults, full fine-tuning, PEFT adapters. */
class Gpt2DslTest {
    static Dataset train, test;
    static final TrainOptions FAST = epochs(3).lr(2e-2).batchSize(8).maxLengths(96, 32).progress(false);

    @BeforeAll
    static void data() {
        train = TinyModels.dialogues("train", 16, 1).withPrompt(SUMMARIZE);
        test = TinyModels.dialogues("test", 4, 2).withPrompt(SUMMARIZE);
    }

    /** A random tiny GPT-2 sized to the tiny vocabulary; eos = the tokenizer's {@code </s>}, no pad (generation pads with eos). */
    static CausalLM gpt2(long seed) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", "gpt2"); n.put("vocab_size", TinyModels.tokenizer().vocabSize()); n.put("n_embd", 16);
        n.put("n_layer", 2); n.put("n_head", 2); n.put("n_positions", 512); n.put("initializer_range", 0.2);
        n.put("eos_token_id", TinyModels.tokenizer().eosId()); n.put("bos_token_id", TinyModels.tokenizer().eosId());
        Gpt2Model m = Gpt2Model.fromConfig(Gpt2Config.fromJson(n), seed);
        return CausalLM.of(m, TinyModels.tokenizer(), "tiny-gpt2").withGeneration(m.defaultGeneration().withMaxNewTokens(8));
    }

    @Test
    void loraIa3AndFullFineTuningTrainOnGpt2(@TempDir Path dir) throws Exception {
        CausalLM base = gpt2(3);
        Map<String, INDArray> before = new HashMap<>();
        for (Parameter p : base.model().baseParameters().values()) before.put(p.name(), p.value().dup());
        LoraResult lora = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).train(train, FAST);
        assertEquals(java.util.List.of("transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"), lora.trainedModules());
        assertTrue(lora.training().finalLoss() < lora.training().stepLosses().get(0), "LoRA lowers the loss");
        FineTuned ia3 = ia3(base).train(train, FAST);
        assertTrue(ia3.trainedModules().contains("transformer.h.1.mlp.c_proj"), ia3.trainedModules().toString());
        FineTuned full = fullFineTune(base).train(train, FAST);
        assertTrue(full.training().finalLoss() < full.training().stepLosses().get(0), "full fine-tuning lowers the loss");
        for (Parameter p : base.model().baseParameters().values()) assertEquals(before.get(p.name()), p.value(), p.name() + " unchanged");
        Path saved = lora.adapter().save(dir.resolve("lora"));
        JsonNode cfg = new ObjectMapper().readTree(saved.resolve("adapter_config.json").toFile());
        assertTrue(cfg.get("fan_in_fan_out").asBoolean());
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(lora.generate(test.sources()), base.withAdapter(saved).generate(test.sources()));
        assertEquals(4, compare(base, full, lora, ia3).rouge(test).rowCount());
    }
}
