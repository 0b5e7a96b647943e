package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.InputStream;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Adapters peft4j saves for decoder-only models load in Python PEFT 0.21 on the transformers model and
 * give peft4j's outputs (recorded by dsl/src/test/python/peft_interop_causal.py in
 * python-interop-causal.json): loss, logits, greedy sequences unmerged, and merged; each adapter saved
 * and loaded back by peft4j reproduces its outputs bit for bit; a model saved by peft4j loads in
 * transformers with the fixture's logits.
 */
class CausalPythonInteropTest {
    static JsonNode python() throws Exception {
        try (InputStream in = CausalPythonInteropTest.class.getResourceAsStream("python-interop-causal.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static JsonNode batches(String model) throws Exception {
        return new ObjectMapper().readTree(CausalInteropAdapters.fixture(model).resolve("expected.json").toFile()).get("batches");
    }

    static Batch batch(JsonNode b) {
        return new Batch(ints(b.get("input_ids")), ints(b.get("attention_mask")), ints(b.get("labels")));
    }

    static int[][] ints(JsonNode n) {
        int[][] out = new int[n.size()][];
        for (int i = 0; i < n.size(); i++) {
            out[i] = new int[n.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = n.get(i).get(j).asInt();
        }
        return out;
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"tiny_llama,lora_qv", "tiny_llama,lora_all_rslora", "tiny_llama,lora_patterns", "tiny_llama,ia3",
        "tiny_qwen2,lora_ffn", "tiny_qwen2,ia3"})
    void outputsMatchPythonPeft(String model, String kind, @TempDir Path tmp) throws Exception {
        JsonNode py = python().get("models").get(model).get("adapters").get(kind);
        JsonNode batches = batches(model);
        LanguageModel m = CausalInteropAdapters.base(model);
        Object adapter = CausalInteropAdapters.build(kind, m);
        ParameterCount pc = ParameterCount.of(m);
        assertEquals(py.get("trainable_params").asLong(), pc.trainable(), "trainable params as PEFT counts them");
        assertEquals(py.get("all_params").asLong(), pc.all(), "all params as PEFT counts them");
        INDArray[] unmerged = compare(model + "/" + kind + " unmerged", m, batches, py.get("unmerged"));

        // save -> load in peft4j: bit-identical outputs
        LanguageModel fresh = CausalInteropAdapters.base(model);
        CausalInteropAdapters.save(adapter, tmp, model);
        if (adapter instanceof LoraModel<?>) AdapterIO.loadLora(fresh, tmp);
        else OtherAdapterIO.loadIa3(fresh, tmp);
        for (int b = 0; b < batches.size(); b++)
            assertEquals(unmerged[b], fresh.logits(batch(batches.get(b))), kind + " batch " + b + " after save/load");

        if (adapter instanceof LoraModel<?> l) l.mergeAndUnload();
        else ((Ia3Model<?>) adapter).mergeAndUnload();
        compare(model + "/" + kind + " merged", m, batches, py.get("merged"));
    }

    private static INDArray[] compare(String what, LanguageModel m, JsonNode batches, JsonNode ref) {
        INDArray[] out = new INDArray[batches.size()];
        for (int b = 0; b < batches.size(); b++) {
            Batch batch = batch(batches.get(b));
            double loss = m.forwardLoss(batch, ForwardContext.inference());
            out[b] = m.lastLogits();
            JsonNode r = ref.get(b);
            assertEquals(r.get("loss").asDouble(), loss, 1e-5, what + " batch " + b + " loss");
            double[] v = out[b].dup('c').data().asDouble();
            JsonNode f = r.get("logits").get("first16");
            for (int i = 0; i < f.size(); i++) assertEquals(f.get(i).asDouble(), v[i], 1e-4, what + " batch " + b + " logits[" + i + "]");
            double sum = 0, abs = 0;
            for (double x : v) { sum += x; abs += Math.abs(x); }
            double absRef = r.get("logits").get("abs_sum").asDouble();
            assertEquals(absRef, abs, 1e-5 * absRef, what + " abs_sum");
            assertEquals(r.get("logits").get("sum").asDouble(), sum, 1e-5 * absRef, what + " sum");
            if (r.has("greedy_sequences"))
                assertArrayEquals(ints(r.get("greedy_sequences")), Generator.greedy(m, batch.inputIds(), batch.attentionMask(), 12),
                    what + " batch " + b + " greedy");
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny_llama", "tiny_qwen2"})
    void savedModelLoadsInTransformers(String model) throws Exception {
        JsonNode saved = python().get("models").get(model).get("saved_model");
        assertTrue(saved.get("max_abs_diff_vs_fixture").asDouble() == 0.0,
            "transformers reads peft4j's saved " + model + " with the fixture's exact logits: " + saved.get("max_abs_diff_vs_fixture"));
        compare(model + " saved by peft4j, read by transformers", CausalInteropAdapters.base(model), batches(model), saved.get("batches"));
    }
}
