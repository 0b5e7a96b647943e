package io.peft4j.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.ModelFamilies;
import io.peft4j.model.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Loading and saving GPT-2 checkpoints: Conv1D transposition both ways, both key layouts
 * (GPT2LMHeadModel's {@code transformer.} prefix and GPT2Model's bare names with legacy
 * {@code attn.bias} buffers), config validation, and clear errors for bad folders and bad inputs.
 */
class Gpt2CheckpointTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path copyFixture(Path to) throws Exception {
        Path from = Gpt2Fixtures.dir("tiny_gpt2");
        for (String f : new String[]{"config.json", "model.safetensors", "generation_config.json"})
            Files.copy(from.resolve(f), to.resolve(f));
        return to;
    }

    static Batch batch0() { return Gpt2Fixtures.batch(Gpt2Fixtures.expected("tiny_gpt2").get("batches").get(0)); }

    @Test
    void conv1dWeightsAreTransposedAtLoadAndBackAtSave(@TempDir Path tmp) throws Exception {
        Path dir = Gpt2Fixtures.dir("tiny_gpt2");
        Gpt2Model m = Gpt2Model.load(dir);
        INDArray file = SafeTensors.read(dir.resolve("model.safetensors"), "transformer.h.0.attn.c_attn.weight");
        assertArrayEquals(new long[]{48, 144}, file.shape(), "Conv1D stores [in, out]");
        Parameter p = m.baseParameters().get("transformer.h.0.attn.c_attn.weight");
        assertArrayEquals(new long[]{144, 48}, p.value().shape(), "peft4j holds [out, in]");
        assertEquals(file.transpose(), p.value());
        assertTrue(m.fanInFanOut("transformer.h.1.mlp.c_fc"));
        assertFalse(m.fanInFanOut("lm_head"));

        m.save(tmp, SafeTensors.Dtype.F32);
        Map<String, SafeTensors.Entry> saved = SafeTensors.header(tmp.resolve("model.safetensors")).entries();
        Map<String, SafeTensors.Entry> original = SafeTensors.header(dir.resolve("model.safetensors")).entries();
        assertEquals(original.keySet(), saved.keySet(), "the same tensor names as transformers' save_pretrained (no lm_head when tied)");
        for (var e : original.entrySet()) assertArrayEquals(e.getValue().shape(), saved.get(e.getKey()).shape(), e.getKey());
        Map<String, INDArray> a = SafeTensors.read(dir.resolve("model.safetensors")), b = SafeTensors.read(tmp.resolve("model.safetensors"));
        for (String k : a.keySet()) assertEquals(a.get(k), b.get(k), k + " saved bit for bit");
        Gpt2Model again = Gpt2Model.load(tmp);
        assertEquals(m.logits(batch0()), again.logits(batch0()));
        assertEquals(m.config(), again.config());
    }

    @Test
    void untiedBf16VariantRoundTrips(@TempDir Path tmp) {
        Gpt2Model m = Gpt2Model.load(Gpt2Fixtures.dir("tiny_gpt2_variant"));
        m.save(tmp, SafeTensors.Dtype.BF16);
        assertTrue(SafeTensors.header(tmp.resolve("model.safetensors")).entries().containsKey("lm_head.weight"));
        Batch b = Gpt2Fixtures.batch(Gpt2Fixtures.expected("tiny_gpt2_variant").get("batches").get(0));
        assertEquals(m.logits(b), Gpt2Model.load(tmp).logits(b), "BF16 weights are BF16 again after a round trip");
    }

    @Test
    void gpt2ModelLayoutWithoutPrefixAndLegacyBuffersLoads(@TempDir Path tmp) throws Exception {
        Path src = Gpt2Fixtures.dir("tiny_gpt2");
        Map<String, INDArray> t = new LinkedHashMap<>();
        SafeTensors.read(src.resolve("model.safetensors")).forEach((k, v) -> t.put(k.replaceFirst("^transformer\\.", ""), v));
        for (int i = 0; i < 2; i++) {
            t.put("h." + i + ".attn.bias", Nd4j.ones(DataType.FLOAT, 1, 1, 48, 48));
            t.put("h." + i + ".attn.masked_bias", Nd4j.scalar(-1e4f).reshape(1));
        }
        SafeTensors.write(tmp.resolve("model.safetensors"), t, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        Gpt2Model a = Gpt2Model.load(src), b = Gpt2Model.load(tmp);
        assertEquals(a.logits(batch0()), b.logits(batch0()));
    }

    @Test
    void misShapedAndMissingTensorsAreNamed(@TempDir Path tmp) throws Exception {
        Path dir = copyFixture(tmp);
        Map<String, INDArray> t = SafeTensors.read(dir.resolve("model.safetensors"));
        Map<String, INDArray> bad = new LinkedHashMap<>(t);
        bad.put("transformer.h.1.mlp.c_fc.weight", Nd4j.zeros(DataType.FLOAT, 192, 48));     // stored as nn.Linear would
        SafeTensors.write(dir.resolve("model.safetensors"), bad, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        FileFormatException e = assertThrows(FileFormatException.class, () -> Gpt2Model.load(dir));
        assertTrue(e.getMessage().contains("transformer.h.1.mlp.c_fc.weight") && e.getMessage().contains("[192, 48]")
            && e.getMessage().contains("[48, 192]"), e.getMessage());

        Map<String, INDArray> missing = new LinkedHashMap<>(t);
        missing.remove("transformer.h.0.ln_2.bias");
        SafeTensors.write(dir.resolve("model.safetensors"), missing, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        e = assertThrows(FileFormatException.class, () -> Gpt2Model.load(dir));
        assertTrue(e.getMessage().contains("transformer.h.0.ln_2.bias") && e.getMessage().contains("missing"), e.getMessage());
    }

    static void writeConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), c.toString());
    }

    @Test
    void unsupportedSettingsAreRefusedClearly(@TempDir Path tmp) throws Exception {
        Path dir = copyFixture(tmp);
        writeConfig(dir, c -> c.put("activation_function", "relu"));
        Exception e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(dir));
        assertTrue(e.getMessage().contains("activation_function 'relu'") && e.getMessage().contains("gelu_new"), e.getMessage());
        writeConfig(dir, c -> { c.put("activation_function", "gelu_new"); c.put("add_cross_attention", true); });
        e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(dir));
        assertTrue(e.getMessage().contains("add_cross_attention"), e.getMessage());
        writeConfig(dir, c -> { c.put("add_cross_attention", false); c.put("n_head", 5); });
        e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(dir));
        assertTrue(e.getMessage().contains("n_embd = 48") && e.getMessage().contains("n_head = 5"), e.getMessage());
        writeConfig(dir, c -> { c.put("n_head", 4); c.put("n_embd", 4800); });
        e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(dir));
        assertTrue(e.getMessage().contains("do not belong together"), e.getMessage());
    }

    @Test
    void configDefaultsAndJsonRoundTrip() {
        Gpt2Config d = Gpt2Config.defaults();
        assertEquals(768, d.nEmbd());
        assertEquals(3072, d.innerDim());
        assertEquals(50256, d.eosTokenId());
        assertNull(d.padTokenId());
        assertEquals(50256, d.generationPadId(), "no pad token: generation pads with eos");
        assertEquals(124_439_808L, d.parameterCount(), "GPT-2 small");
        assertEquals(d, Gpt2Config.fromJson(d.toJson()));
        assertEquals(Math.pow(64, -0.5) / 3, Gpt2Config.fromJson(d.toJson().put("scale_attn_by_inverse_layer_idx", true)).attentionScale(2), 1e-15);
        assertEquals(1.0, Gpt2Config.fromJson(d.toJson().put("scale_attn_weights", false)).attentionScale(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Gpt2Config.fromJson(d.toJson().put("eos_token_id", 50257)));
        assertTrue(e.getMessage().contains("eos_token_id = 50257") && e.getMessage().contains("[0, 50257)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gpt2Config.fromJson(d.toJson().put("resid_pdrop", 1.0)));
        assertTrue(e.getMessage().contains("resid_pdrop"), e.getMessage());
    }

    @Test
    void badInputsAreNamed() {
        Gpt2Model m = Gpt2Model.load(Gpt2Fixtures.dir("tiny_gpt2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> m.forwardLoss(new Batch(new int[][]{{1, -1}}, new int[][]{{1, 1}}, new int[][]{{1, 2}}), ForwardContext.inference()));
        assertTrue(e.getMessage().contains("input_ids[0][1] = -1") && e.getMessage().contains("[0, 300)"), e.getMessage());
        int[][] ids = new int[1][49];
        int[][] ones = new int[1][49];
        Arrays.fill(ones[0], 1);
        e = assertThrows(IllegalArgumentException.class, () -> m.logits(new Batch(ids, ones, ids)));
        assertTrue(e.getMessage().contains("sequence length 49 exceeds n_positions = 48"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> m.forwardLoss(new Batch(new int[][]{{1, 2}}, new int[][]{{1, 2}}, new int[][]{{1, 2}}), ForwardContext.inference()));
        assertTrue(e.getMessage().contains("attention_mask[0][1] = 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.startDecoding(new int[][]{{1, 2, 3}}, new int[][]{{1, 1, 1}}, 1, 47));
        assertTrue(e.getMessage().contains("n_positions = 48"), e.getMessage());
        assertDoesNotThrow(() -> m.startDecoding(new int[][]{{1, 2, 3}}, new int[][]{{1, 1, 1}}, 1, 46));
        int[][] longPrompt = new int[1][50], longMask = new int[1][50];
        Arrays.fill(longMask[0], 1);
        e = assertThrows(IllegalArgumentException.class, () -> m.startDecoding(longPrompt, longMask, 1, 1));
        assertTrue(e.getMessage().contains("a prompt of 50 tokens exceeds n_positions = 48"), e.getMessage());
        assertThrows(IllegalStateException.class, m::backward, "backward without forward");
    }
}
