package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.InputStream;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * peft4j's outputs with the interop adapters equal Python PEFT 0.21's outputs for the same files
 * (recorded by dsl/src/test/python/peft_interop.py in python-interop.json); also each adapter
 * saved and loaded back by peft4j reproduces its outputs bit for bit.
 */
class PythonInteropTest {

    static JsonNode python() throws Exception {
        try (InputStream in = PythonInteropTest.class.getResourceAsStream("python-interop.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lora_qv", "lora_all_rslora", "lora_patterns", "ia3", "prompt", "dora", "pissa", "pissa_converted"})
    void outputsMatchPythonPeft(String kind, @TempDir Path tmp) throws Exception {
        JsonNode py = python().get("adapters").get(kind);
        JsonNode batches = Fixtures.expected("tiny_flan").get("batches");
        T5Model m = InteropAdapters.base();
        Object adapter = InteropAdapters.build(kind, m);
        ParameterCount pc = ParameterCount.of(m);
        long rankFactor = InteropAdapters.converted(kind) ? 2 : 1;           // PEFT counts the converted adapter (rank 2r)
        assertEquals(py.get("trainable_params").asLong(), rankFactor * pc.trainable(), "trainable params as PEFT counts them");
        if (!kind.equals("prompt")) assertEquals(py.get("all_params").asLong(), pc.all() + (rankFactor - 1) * pc.trainable(), "all params as PEFT counts them");
        INDArray[] unmerged = compare(kind + " unmerged", m, batches, py.get("unmerged"));

        // save -> load in peft4j: bit-identical outputs (a converted adapter on the untouched base: equal up to rounding)
        T5Model fresh = InteropAdapters.base();
        if (adapter instanceof LoraModel<?> l && InteropAdapters.converted(kind)) {
            AdapterIO.saveConverted(l, LoraModel.DEFAULT, tmp, SafeTensors.Dtype.F32, "tiny_flan");
            AdapterIO.loadLora(fresh, tmp);
            for (int b = 0; b < batches.size(); b++)
                assertEquals(0, unmerged[b].sub(fresh.logits(Fixtures.batch(batches.get(b)))).amaxNumber().doubleValue(), 1e-4, kind + " batch " + b + " after save/load");
            fresh = null;
        } else if (adapter instanceof LoraModel<?> l) { AdapterIO.save(l, tmp, SafeTensors.Dtype.F32, "tiny_flan"); AdapterIO.loadLora(fresh, tmp); }
        else if (adapter instanceof Ia3Model<?> i) { OtherAdapterIO.saveIa3(i, tmp, SafeTensors.Dtype.F32, "tiny_flan"); OtherAdapterIO.loadIa3(fresh, tmp); }
        else { OtherAdapterIO.savePrompt((PromptTuning) adapter, tmp, SafeTensors.Dtype.F32, "tiny_flan"); OtherAdapterIO.loadPrompt(fresh, tmp); }
        if (fresh != null)
            for (int b = 0; b < batches.size(); b++)
                assertEquals(unmerged[b], fresh.logits(Fixtures.batch(batches.get(b))), kind + " batch " + b + " after save/load");

        if (py.has("merged")) {
            if (adapter instanceof LoraModel<?> l) l.mergeAndUnload();
            else ((Ia3Model<?>) adapter).mergeAndUnload();
            compare(kind + " merged", m, batches, py.get("merged"));
        }
    }

    static JsonNode pythonGpt2() throws Exception {
        try (InputStream in = PythonInteropTest.class.getResourceAsStream("python-interop-gpt2.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    /**
     * GPT-2 (causal LM, Conv1D modules): LoRA adapters peft4j saves load in Python PEFT on the
     * transformers model with equal logits, unmerged and merged (recorded by
     * dsl/src/test/python/peft_interop_gpt2.py in python-interop-gpt2.json).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2_lora_c_attn", "gpt2_lora_all_rslora_patterns", "gpt2_lora_c_attn_lm_head"})
    void gpt2AdaptersMatchPythonPeft(String kind, @TempDir Path tmp) throws Exception {
        JsonNode py = pythonGpt2().get("adapters").get(kind);
        JsonNode batches = io.peft4j.model.gpt2.Gpt2Fixtures.expected(Gpt2InteropAdapters.MODEL).get("batches");
        io.peft4j.model.gpt2.Gpt2Model m = Gpt2InteropAdapters.base();
        LoraModel<io.peft4j.model.gpt2.Gpt2Model> lora = Gpt2InteropAdapters.build(kind, m);
        ParameterCount pc = ParameterCount.of(m);
        assertEquals(py.get("trainable_params").asLong(), pc.trainable(), "trainable params as PEFT counts them");
        assertEquals(py.get("all_params").asLong(), pc.all(), "all params as PEFT counts them");
        assertEquals("CAUSAL_LM", py.get("task_type").asText());
        java.util.List<String> modules = new java.util.ArrayList<>(lora.targetedModules("default"));
        java.util.Collections.sort(modules);
        assertEquals(py.get("lora_modules").toString(), new ObjectMapper().valueToTree(modules).toString(), "modules PEFT wrapped");
        INDArray[] unmerged = compareCausal(kind + " unmerged", m, batches, py.get("unmerged"));
        // save -> load in peft4j: bit-identical outputs
        AdapterIO.save(lora, tmp, SafeTensors.Dtype.F32, Gpt2InteropAdapters.MODEL);
        io.peft4j.model.gpt2.Gpt2Model fresh = Gpt2InteropAdapters.base();
        AdapterIO.loadLora(fresh, tmp);
        for (int b = 0; b < batches.size(); b++)
            assertEquals(unmerged[b], fresh.logits(Fixtures.batch(batches.get(b))), kind + " batch " + b + " after save/load");
        lora.mergeAndUnload();
        compareCausal(kind + " merged", m, batches, py.get("merged"));
    }

    /** A GPT-2 checkpoint peft4j saves (a merged adapter) loads in transformers with equal logits. */
    @org.junit.jupiter.api.Test
    void gpt2CheckpointSavedByPeft4jLoadsInTransformers(@TempDir Path tmp) throws Exception {
        JsonNode py = pythonGpt2().get("models").get(Gpt2InteropAdapters.MERGED_MODEL).get("outputs");
        JsonNode batches = io.peft4j.model.gpt2.Gpt2Fixtures.expected(Gpt2InteropAdapters.MODEL).get("batches");
        Gpt2InteropAdapters.build("gpt2_lora_c_attn", Gpt2InteropAdapters.base()).mergeAndUnload().save(tmp, SafeTensors.Dtype.F32);
        compareCausal("merged checkpoint", io.peft4j.model.gpt2.Gpt2Model.load(tmp), batches, py);
    }

    private static INDArray[] compareCausal(String what, io.peft4j.model.LanguageModel m, JsonNode batches, JsonNode ref) {
        INDArray[] out = new INDArray[batches.size()];
        for (int b = 0; b < batches.size(); b++) {
            Batch batch = Fixtures.batch(batches.get(b));
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
        }
        return out;
    }

    private static INDArray[] compare(String what, T5Model m, JsonNode batches, JsonNode ref) {
        INDArray[] out = new INDArray[batches.size()];
        double worstLogit = 0, worstLoss = 0;
        for (int b = 0; b < batches.size(); b++) {
            Batch batch = Fixtures.batch(batches.get(b));
            double loss = m.forwardLoss(batch, ForwardContext.inference());
            out[b] = m.lastLogits();
            JsonNode r = ref.get(b);
            assertEquals(r.get("loss").asDouble(), loss, 2e-5, what + " batch " + b + " loss");
            worstLoss = Math.max(worstLoss, Math.abs(r.get("loss").asDouble() - loss));
            double[] v = out[b].dup('c').data().asDouble();
            JsonNode f = r.get("logits").get("first16");
            for (int i = 0; i < f.size(); i++) assertEquals(f.get(i).asDouble(), v[i], 2e-4, what + " batch " + b + " logits[" + i + "]");
            for (int i = 0; i < f.size(); i++) worstLogit = Math.max(worstLogit, Math.abs(f.get(i).asDouble() - v[i]));
            double sum = 0, abs = 0;
            for (double x : v) { sum += x; abs += Math.abs(x); }
            double absRef = r.get("logits").get("abs_sum").asDouble();
            assertEquals(absRef, abs, 1e-5 * absRef, what + " abs_sum");
            assertEquals(r.get("logits").get("sum").asDouble(), sum, 1e-5 * absRef, what + " sum");
        }
        System.out.printf(java.util.Locale.ROOT, "PARITY interop (peft4j-saved, PEFT-loaded) %-40s first16 %.3g, loss %.3g%n", what, worstLogit, worstLoss);
        return out;
    }
}
