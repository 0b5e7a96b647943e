package io.peft4j.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraModel;
import io.peft4j.peft.TargetResolver;
import io.peft4j.peft.Targets;
import io.peft4j.train.Trainer;
import io.peft4j.train.TrainingConfig;
import io.peft4j.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LoRA on GPT-2's Conv1D modules: the family aliases, adapters saved in PEFT's format with
 * {@code fan_in_fan_out = true} and {@code task_type CAUSAL_LM}, a forgotten or wrong
 * {@code fan_in_fan_out} corrected on loading as PEFT does, merge and unmerge on the [out, in]
 * weights, and a short training run.
 */
class Gpt2LoraTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TINY = "tiny_gpt2";

    static Gpt2Model base() { return Gpt2Model.load(Gpt2Fixtures.dir(TINY)); }

    static Batch batch(int i) { return Gpt2Fixtures.batch(Gpt2Fixtures.expected(TINY).get("batches").get(i)); }

    @Test
    void aliasesMapToGpt2Modules() {
        Gpt2Model m = base();
        TargetResolver r = TargetResolver.of(m);
        assertEquals(List.of("transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"), r.resolve(Targets.of("attn.q", "attn.v")),
            "q, k and v live in the fused c_attn");
        assertEquals(List.of("transformer.h.0.attn.c_proj", "transformer.h.1.attn.c_proj"), r.resolve(Targets.of("attn.o")));
        assertEquals(List.of("transformer.h.0.mlp.c_fc", "transformer.h.1.mlp.c_fc"), r.resolve(Targets.of("ffn.wi")));
        assertEquals(List.of("transformer.h.0.mlp.c_proj", "transformer.h.1.mlp.c_proj"), r.resolve(Targets.of("ffn.wo")));
        assertEquals(4, r.resolve(Targets.of("c_proj")).size(), "PEFT's suffix c_proj: attention and MLP");
        List<String> all = r.resolve(Targets.of("all-linear"));
        assertEquals(8, all.size());
        assertFalse(all.contains("lm_head"));
        assertEquals(List.of("c_attn"), r.toPeft(Targets.of("attn.q", "attn.k", "attn.v")).patterns());
    }

    @Test
    void savedAdapterIsPeftsGpt2FormatAndReloadsExactly(@TempDir Path tmp) throws Exception {
        LoraModel<Gpt2Model> lora = LoraModel.of(base(), LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8), 3);
        for (var l : lora.layers().values()) l.adapter("default").b().value().assign(org.nd4j.linalg.factory.Nd4j.randn(
            l.adapter("default").b().value().dataType(), l.adapter("default").b().value().shape()).muli(0.1));
        INDArray before = lora.model().logits(batch(0));
        AdapterIO.save(lora, tmp);
        JsonNode cfg = JSON.readTree(tmp.resolve(AdapterIO.CONFIG).toFile());
        assertTrue(cfg.get("fan_in_fan_out").asBoolean(), "Conv1D targets: fan_in_fan_out true, as PEFT writes it");
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(List.of("c_attn"), List.of(JSON.treeToValue(cfg.get("target_modules"), String[].class)));
        var shapes = io.peft4j.hf.SafeTensors.header(tmp.resolve(AdapterIO.WEIGHTS)).entries();
        assertArrayEquals(new long[]{4, 48}, shapes.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape());
        assertArrayEquals(new long[]{144, 4}, shapes.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape());
        LoraModel<Gpt2Model> again = AdapterIO.loadLora(base(), tmp);
        assertEquals(before, again.model().logits(batch(0)));
    }

    /** The fixture adapter with fan_in_fan_out rewritten (null: removed). */
    static Path withFanInFanOut(Path tmp, Boolean value) throws Exception {
        Path src = Gpt2Fixtures.dir(TINY).resolve("lora_c_attn");
        ObjectNode cfg = (ObjectNode) JSON.readTree(src.resolve(AdapterIO.CONFIG).toFile());
        if (value == null) cfg.remove("fan_in_fan_out"); else cfg.put("fan_in_fan_out", value);
        Files.writeString(tmp.resolve(AdapterIO.CONFIG), cfg.toString());
        Files.copy(src.resolve(AdapterIO.WEIGHTS), tmp.resolve(AdapterIO.WEIGHTS));
        return tmp;
    }

    @Test
    void forgottenFanInFanOutIsCorrectedAsPeftDoes(@TempDir Path tmp) throws Exception {
        INDArray want = AdapterIO.loadLora(base(), Gpt2Fixtures.dir(TINY).resolve("lora_c_attn")).model().logits(batch(1));
        Files.createDirectories(tmp.resolve("false"));
        Files.createDirectories(tmp.resolve("missing"));
        assertEquals(want, AdapterIO.loadLora(base(), withFanInFanOut(tmp.resolve("false"), false)).model().logits(batch(1)));
        assertEquals(want, AdapterIO.loadLora(base(), withFanInFanOut(tmp.resolve("missing"), null)).model().logits(batch(1)));
        ObjectNode bad = (ObjectNode) JSON.readTree(tmp.resolve("false").resolve(AdapterIO.CONFIG).toFile());
        bad.put("fan_in_fan_out", "yes");
        Files.writeString(tmp.resolve("false").resolve(AdapterIO.CONFIG), bad.toString());
        FileFormatException e = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(base(), tmp.resolve("false")));
        assertTrue(e.getMessage().contains("fan_in_fan_out must be true or false"), e.getMessage());
    }

    @Test
    void adapterShapesThatDoNotFitAreNamed(@TempDir Path tmp) throws Exception {
        Path src = Gpt2Fixtures.dir(TINY).resolve("lora_c_attn");
        Files.copy(src.resolve(AdapterIO.CONFIG), tmp.resolve(AdapterIO.CONFIG));
        Map<String, INDArray> t = io.peft4j.hf.SafeTensors.read(src.resolve(AdapterIO.WEIGHTS));
        String k = "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight";
        t.put(k, t.get(k).transpose().dup());       // [4, 144] as a [in, out]-minded writer might store it
        io.peft4j.hf.SafeTensors.write(tmp.resolve(AdapterIO.WEIGHTS), t, Map.of("format", "pt"), io.peft4j.hf.SafeTensors.Dtype.F32);
        FileFormatException e = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(base(), tmp));
        assertTrue(e.getMessage().contains("transformer.h.1.attn.c_attn") && e.getMessage().contains("[4, 144]")
            && e.getMessage().contains("[144, 4]"), e.getMessage());
    }

    @Test
    void mergeAndUnmergeOnTransposedStorage(@TempDir Path tmp) {
        LoraModel<Gpt2Model> lora = AdapterIO.loadLora(base(), Gpt2Fixtures.dir(TINY).resolve("lora_all_linear"));
        Gpt2Model m = lora.model();
        Map<String, INDArray> w0 = new HashMap<>();
        for (Parameter p : m.baseParameters().values()) w0.put(p.name(), p.value().dup());
        INDArray unmerged = m.logits(batch(0));
        lora.merge();
        assertEquals(0, unmerged.sub(m.logits(batch(0))).amaxNumber().doubleValue(), 1e-4, "merged == unmerged (float32 rounding; PEFT differs by up to 1.8e-5 here)");
        lora.unmerge();
        for (Parameter p : m.baseParameters().values())
            assertEquals(0, w0.get(p.name()).sub(p.value()).amaxNumber().doubleValue(), 1e-6, p.name() + " restored by unmerge");
        // merge_and_unload, save as a plain GPT-2 checkpoint, load: the merged outputs
        Gpt2Model plain = lora.mergeAndUnload();
        INDArray merged = plain.logits(batch(0));
        assertEquals(0, unmerged.sub(merged).amaxNumber().doubleValue(), 1e-4, "merge_and_unload == unmerged");
        plain.save(tmp, io.peft4j.hf.SafeTensors.Dtype.F32);
        assertEquals(merged, Gpt2Model.load(tmp).logits(batch(0)));
    }

    @Test
    void loraTrainingLowersTheLossAndTouchesOnlyTheAdapter() {
        Gpt2Model m = base();
        Map<String, INDArray> w0 = new HashMap<>();
        for (Parameter p : m.baseParameters().values()) w0.put(p.name(), p.value().dup());
        LoraModel<Gpt2Model> lora = LoraModel.of(m, LoraConfig.of("attn.q", "ffn.wo").withRank(4).withAlpha(8).withDropout(0.05), 1);
        Batch b = batch(0);
        double start = m.forwardLoss(b, ForwardContext.inference());
        TrainingConfig tc = TrainingConfig.builder().maxSteps(20).learningRate(1e-2).seed(5).shuffle(false).build();
        TrainingResult r = new Trainer(m, tc).train(List.of(b), List.of());
        double end = m.forwardLoss(b, ForwardContext.inference());
        assertTrue(end < start - 0.5, "LoRA training lowers the loss: " + start + " -> " + end + " " + r.stepLosses());
        for (Parameter p : m.baseParameters().values()) {
            assertEquals(w0.get(p.name()), p.value(), p.name() + " frozen");
            assertFalse(p.hasGrad(), p.name() + " has no gradient buffer");
        }
        assertEquals(4, lora.targetedModules("default").size());
    }
}
