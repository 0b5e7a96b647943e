package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.Adapters;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModel;
import io.peft4j.model.Parameter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every number of the shared causal fixtures (tiny_llama: GQA, untied, 4.x-style config, two
 * adapters; tiny_qwen2: q/k/v bias, tied, 5.x-style config) from transformers 5.17 + peft 0.21:
 * base model, each adapter unmerged and merged, greedy generation, LoRA gradients.
 */
class LlamaFixtureTest {

    @AfterAll static void report() { System.out.println("causal fixture deviations (max): " + CausalFixtures.WORST); }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny_llama", "tiny_qwen2"})
    void baseModelMatchesTransformers(String model) {
        Path dir = CausalFixtures.shared(model);
        JsonNode exp = CausalFixtures.json(dir.resolve("expected.json"));
        LanguageModel m = ModelFamilies.load(dir);
        assertEquals(exp.get("family").asText(), m.family());
        check(model + " base", m, dir, exp.get("batches"), exp.get("base"));
    }

    static void check(String what, LanguageModel m, Path dir, JsonNode batches, JsonNode refs) {
        for (int i = 0; i < batches.size(); i++) {
            Batch b = CausalFixtures.batch(batches.get(i));
            JsonNode ref = refs.get(i);
            CausalFixtures.checkForward(what + " batch " + i, m, b, ref);
            if (ref.has("greedy_sequences")) CausalFixtures.checkGreedy(what + " batch " + i, m, dir, b, ref.get("greedy_sequences"));
        }
    }

    @ParameterizedTest(name = "{0}/{1} merged={2}")
    @CsvSource({"tiny_llama,lora_qv,false", "tiny_llama,lora_qv,true", "tiny_llama,lora_all_linear_rslora,false",
        "tiny_llama,lora_all_linear_rslora,true", "tiny_qwen2,lora_qv,false", "tiny_qwen2,lora_qv,true"})
    void adaptersMatchPeft(String model, String adapter, boolean merge) {
        Path dir = CausalFixtures.shared(model);
        JsonNode exp = CausalFixtures.json(dir.resolve("expected.json"));
        JsonNode ad = exp.get("adapters").get(adapter);
        LanguageModel m = Adapters.apply(ModelFamilies.load(dir), dir.resolve(ad.get("dir").asText()), merge).model();
        check(model + "/" + adapter + (merge ? " merged" : " unmerged"), m, dir, exp.get("batches"), ad.get(merge ? "merged" : "unmerged"));
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"tiny_llama,lora_qv", "tiny_llama,lora_all_linear_rslora", "tiny_qwen2,lora_qv"})
    void loraGradientsMatchPeft(String model, String adapter) {
        Path dir = CausalFixtures.shared(model);
        JsonNode exp = CausalFixtures.json(dir.resolve("expected.json"));
        JsonNode ad = exp.get("adapters").get(adapter), g = ad.get("gradient_check");
        LoraModel<LanguageModel> lora = AdapterIO.loadLora(ModelFamilies.load(dir), dir.resolve(ad.get("dir").asText()));
        assertEquals(g.get("num_trainable_params").asLong(), lora.trainableParameters().trainable());
        LanguageModel m = lora.model();
        Batch batch = CausalFixtures.batch(exp.get("batches").get(g.get("batch_index").asInt()));
        double loss = m.forwardLoss(batch, ForwardContext.training(0, 0));
        assertEquals(g.get("loss").asDouble(), loss, CausalFixtures.LOSS_ABS);
        m.backward();
        LoraAdapter a = lora.layers().get(g.get("module").asText()).adapter("default");
        CausalFixtures.checkGrad(model + "/" + adapter + " lora_A", a.a().grad(), g.get("lora_A_grad"));
        CausalFixtures.checkGrad(model + "/" + adapter + " lora_B", a.b().grad(), g.get("lora_B_grad"));
        double sq = 0;
        for (Parameter p : lora.trainable()) { double n = p.grad().norm2Number().doubleValue(); sq += n * n; }
        double want = g.get("all_lora_grads_global_l2").asDouble();
        CausalFixtures.note("grad_frobenius_rel", Math.abs(Math.sqrt(sq) - want) / want);
        assertEquals(want, Math.sqrt(sq), CausalFixtures.GRAD_REL * want, "global L2 of every LoRA gradient");
        for (Parameter p : m.baseParameters().values()) assertFalse(p.hasGrad(), "frozen " + p.name() + " got a gradient buffer");
    }
}
