package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Generator;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** LoRA outputs of the fixture adapters (made by Python PEFT 0.21) against expected.json. */
class LoraFixtureTest {

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"tiny_flan,lora", "tiny_flan,lora_rslora_adapter", "defaults_minimal_config,lora"})
    void unmergedAndMergedOutputsMatch(String model, String adapterKey) {
        JsonNode exp = Fixtures.expected(model);
        JsonNode ad = exp.get("adapters").get(adapterKey);
        Path dir = Fixtures.dir(model).resolve(ad.get("dir").asText());
        LoraModel<T5Model> lora = AdapterIO.loadLora(T5Model.load(Fixtures.dir(model)), dir);
        assertEquals(ad.get("num_targeted_modules").asInt(), lora.targetedModules("default").size());
        for (int i = 0; i < ad.get("targeted_modules").size(); i++)
            assertEquals(ad.get("targeted_modules").get(i).asText(), lora.targetedModules("default").get(i));
        assertEquals(ad.get("scaling").asDouble(), lora.layers().values().iterator().next().adapter("default").scaling(), 1e-12);
        T5Model m = lora.model();
        int bi = 0;
        for (JsonNode b : exp.get("batches")) {
            String w = model + "/" + adapterKey + " batch " + bi;
            Batch batch = Fixtures.batch(b);
            JsonNode ref = ad.get("batches").get(bi);
            Fixtures.checkSummary(w + " encoder", m.encode(batch.inputIds(), batch.attentionMask()), ref.get("encoder_last_hidden_state"), 1e-4);
            double loss = m.forwardLoss(batch, ForwardContext.inference());
            assertEquals(ref.get("loss").asDouble(), loss, 1e-5, w + " loss");
            INDArray logits = m.lastLogits();
            Fixtures.checkSummary(w + " logits", logits, ref.get("logits"), 1e-4);
            if (ref.get("logits").has("argmax"))
                assertArrayEquals(Fixtures.ints(ref.get("logits").get("argmax")), Fixtures.argmax(logits), w + " argmax");
            else if (b.has(adapterKey))
                assertArrayEquals(Fixtures.ints(b.get(adapterKey).get("logits").get("argmax")), Fixtures.argmax(logits), w + " argmax");
            int[][] greedy = Generator.greedy(m, batch.inputIds(), batch.attentionMask(), 12);
            assertArrayEquals(Fixtures.ints(ref.get("greedy").get("sequences")), greedy, w + " greedy");
            bi++;
        }
        lora.merge();
        bi = 0;
        for (JsonNode b : exp.get("batches")) {
            String w = model + "/" + adapterKey + " merged batch " + bi;
            Batch batch = Fixtures.batch(b);
            JsonNode ref = ad.get("merged").get(bi);
            double loss = m.forwardLoss(batch, ForwardContext.inference());
            assertEquals(ref.get("loss").asDouble(), loss, 1e-5, w + " loss");
            Fixtures.checkSummary(w + " logits", m.lastLogits(), ref.get("logits"), 1e-4);
            JsonNode unmergedRef = ad.get("batches").get(bi);
            assertArrayEquals(Fixtures.ints(unmergedRef.get("greedy").get("sequences")),
                Generator.greedy(m, batch.inputIds(), batch.attentionMask(), 12), w + " greedy (merged)");
            bi++;
        }
        // merged weight of the example module
        JsonNode mw = ad.get("merged_weight_example");
        LoraLinear layer = lora.layers().get(mw.get("module").asText());
        Fixtures.checkSummary("merged weight", layer.baseWeight().value(), mw.get("merged_weight"), 1e-6);
        Fixtures.checkSummary("delta weight", layer.adapter("default").deltaWeight(), mw.get("delta_weight"), 1e-6);
    }

    @Test
    void gradientCheckMatches() {
        JsonNode g = Fixtures.expected("tiny_flan").get("gradient_check");
        T5Model m = PeftFixtures.loadNoDropout("tiny_flan");
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, Fixtures.dir("tiny_flan").resolve("lora_adapter"));
        assertEquals(g.get("num_trainable_params").asLong(), lora.trainableParameters().trainable());
        Batch batch = Fixtures.batch(Fixtures.expected("tiny_flan").get("batches").get(g.get("batch_index").asInt()));
        double loss = m.forwardLoss(batch, ForwardContext.training(0, 0));
        assertEquals(g.get("loss").asDouble(), loss, 1e-5);
        m.backward();
        LoraAdapter a = lora.layers().get(g.get("module").asText()).adapter("default");
        checkGrad("lora_A", a.a().grad(), g.get("lora_A_grad"));
        checkGrad("lora_B", a.b().grad(), g.get("lora_B_grad"));
        double sq = 0;
        for (var p : lora.trainable()) { double n = p.grad().norm2Number().doubleValue(); sq += n * n; }
        assertEquals(g.get("all_lora_grads_global_l2").asDouble(), Math.sqrt(sq), 1e-5 * g.get("all_lora_grads_global_l2").asDouble());
        for (var p : m.baseParameters().values()) assertFalse(p.hasGrad(), "frozen " + p.name() + " got a gradient buffer");
    }

    private static void checkGrad(String what, INDArray grad, JsonNode ref) {
        for (int i = 0; i < 2; i++) assertEquals(ref.get("shape").get(i).asLong(), grad.size(i), what + " shape");
        double[] v = grad.dup('c').data().asDouble();
        for (int i = 0; i < ref.get("first16").size(); i++) assertEquals(ref.get("first16").get(i).asDouble(), v[i], 1e-5, what + "[" + i + "]");
        double fro = grad.norm2Number().doubleValue(), want = ref.get("frobenius").asDouble();
        assertEquals(want, fro, 1e-5 * want, what + " frobenius");
    }
}
