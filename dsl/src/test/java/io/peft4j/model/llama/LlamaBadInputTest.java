package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.Adapters;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraModel;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bad input to the Llama-shaped engine: clear, typed errors naming the problem, and no JVM crash:
 * unsupported model types, configs out of range, missing or mis-shaped tensors, ids out of range,
 * adapters whose task, targets or shapes do not fit the model.
 */
class LlamaBadInputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path variant(String name) {
        try {
            return Path.of(LlamaBadInputTest.class.getResource(name).toURI());
        } catch (Exception e) { throw new RuntimeException(e); }
    }

    /** A copy of {@code src} (config.json, generation_config.json, model.safetensors) in {@code dst}. */
    static Path copyModel(Path src, Path dst) throws Exception {
        Files.createDirectories(dst);
        for (String f : new String[]{"config.json", "generation_config.json", "model.safetensors"})
            if (Files.exists(src.resolve(f))) Files.copy(src.resolve(f), dst.resolve(f));
        return dst;
    }

    @Test
    void unsupportedModelTypeNamesItAndTheSupportedOnes(@TempDir Path tmp) throws Exception {
        Path d = copyModel(variant("llama_one_kv"), tmp.resolve("m"));
        ObjectNode c = (ObjectNode) JSON.readTree(d.resolve("config.json").toFile());
        c.put("model_type", "gemma");
        Files.writeString(d.resolve("config.json"), c.toString());
        FileFormatException e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(d));
        assertTrue(e.getMessage().contains("\"gemma\"") && e.getMessage().contains("llama") && e.getMessage().contains("mistral")
            && e.getMessage().contains("qwen2") && e.getMessage().contains("t5"), e.getMessage());
        for (String t : new String[]{"llama", "mistral", "qwen2"}) assertTrue(ModelFamilies.supported().contains(t));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "num_key_value_heads=3|num_key_value_heads 3 must divide num_attention_heads 4",
        "head_dim=7|head_dim must be even",
        "hidden_act=gelu|hidden_act 'gelu' is not supported",
        "rms_norm_eps=0|rms_norm_eps must be > 0",
        "vocab_size=-5|vocab_size must be positive, got -5",
        "eos_token_id=500|eos_token_id 500 is outside the vocabulary [0, 96)",
        "hidden_size=big|hidden_size must be an integer",
        "head_dim=1073741824|num_attention_heads x head_dim = 4 x 1073741824 exceeds"})
    void invalidConfigsNameTheFieldAndValue(String change, String expected) {
        ObjectNode n = LlamaGradientCheckTest.tinyJson("llama");
        n.put("vocab_size", 96);
        String[] kv = change.split("=");
        if (kv[1].matches("-?\\d+")) n.put(kv[0], Integer.parseInt(kv[1]));
        else n.put(kv[0], kv[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(n));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void unsupportedRopeTypesAndIncompleteScalingAreRejected() {
        ObjectNode n = LlamaGradientCheckTest.tinyJson("llama");
        n.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
        var e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(n));
        assertTrue(e.getMessage().contains("'yarn'") && e.getMessage().contains("llama3"), e.getMessage());
        ObjectNode m = LlamaGradientCheckTest.tinyJson("llama");
        m.putObject("rope_parameters").put("rope_type", "llama3").put("factor", 8.0).put("rope_theta", 500000.0);
        e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(m));
        assertTrue(e.getMessage().contains("low_freq_factor"), e.getMessage());
    }

    @Test
    void missingTensorIsNamedWithItsShape(@TempDir Path tmp) throws Exception {
        Path d = copyModel(variant("llama_one_kv"), tmp.resolve("m"));
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.read(d.resolve("model.safetensors")));
        t.remove("model.layers.1.self_attn.o_proj.bias");
        SafeTensors.write(d.resolve("model.safetensors"), t, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        FileFormatException e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(d));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.o_proj.bias") && e.getMessage().contains("[32]")
            && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void misShapedTensorNamesBothShapes(@TempDir Path tmp) throws Exception {
        Path d = copyModel(variant("llama_one_kv"), tmp.resolve("m"));
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.read(d.resolve("model.safetensors")));
        t.put("model.layers.0.self_attn.k_proj.weight", org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 16, 32));
        SafeTensors.write(d.resolve("model.safetensors"), t, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        FileFormatException e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(d));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.weight") && e.getMessage().contains("[16, 32]")
            && e.getMessage().contains("[8, 32]"), e.getMessage());
    }

    @Test
    void untiedConfigWithoutLmHeadAndShardIndexProblemsAreErrors(@TempDir Path tmp) throws Exception {
        Path d = copyModel(variant("llama3_tied_bf16"), tmp.resolve("m"));
        ObjectNode c = (ObjectNode) JSON.readTree(d.resolve("config.json").toFile());
        c.put("tie_word_embeddings", false);
        Files.writeString(d.resolve("config.json"), c.toString());
        FileFormatException e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(d));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("[96, 32]"), e.getMessage());

        Path s = tmp.resolve("sharded");
        Files.createDirectories(s);
        Path src = variant("llama_sharded");
        for (String f : new String[]{"config.json", "model.safetensors.index.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors"})
            Files.copy(src.resolve(f), s.resolve(f));
        e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(s));
        assertTrue(e.getMessage().contains("model-00003-of-00003.safetensors") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void hugeDimensionsAreRefusedBeforeAllocating(@TempDir Path tmp) throws Exception {
        for (String[] kv : new String[][]{{"hidden_size", "1048576"}, {"intermediate_size", "2000000000"}, {"vocab_size", "2147483647"}}) {
            Path d = copyModel(variant("llama_one_kv"), tmp.resolve(kv[0]));
            ObjectNode c = (ObjectNode) JSON.readTree(d.resolve("config.json").toFile());
            c.put(kv[0], Integer.parseInt(kv[1]));
            Files.writeString(d.resolve("config.json"), c.toString());
            FileFormatException e = assertThrows(FileFormatException.class, () -> ModelFamilies.load(d));
            assertTrue(e.getMessage().contains("do not belong together") || e.getMessage().contains("2^63"), e.getMessage());
        }
        Path d = copyModel(variant("llama_one_kv"), tmp.resolve("layers"));
        ObjectNode c = (ObjectNode) JSON.readTree(d.resolve("config.json").toFile());
        c.put("num_hidden_layers", 2_000_000_000);
        Files.writeString(d.resolve("config.json"), c.toString());
        var e = assertThrows(IllegalArgumentException.class, () -> ModelFamilies.load(d));
        assertTrue(e.getMessage().contains("num_hidden_layers must be in [1, 65536], got 2000000000"), e.getMessage());
    }

    @Test
    void idsOutOfRangeAreRejectedBeforeAnyGather() {
        LanguageModel m = ModelFamilies.load(variant("llama_one_kv"));
        int[][] ones = {{1, 1, 1}};
        for (int bad : new int[]{96, -1, Integer.MIN_VALUE}) {
            var e = assertThrows(IllegalArgumentException.class,
                () -> m.forwardLoss(new Batch(new int[][]{{1, bad, 5}}, ones, new int[][]{{-100, 3, 4}}), ForwardContext.inference()));
            assertTrue(e.getMessage().contains("input_ids[0][1] = " + bad) && e.getMessage().contains("[0, 96)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Generator.greedy(m, new int[][]{{1, bad, 5}}, ones, 3));
        }
        var e = assertThrows(IllegalArgumentException.class,
            () -> m.forwardLoss(new Batch(new int[][]{{1, 4, 5}}, ones, new int[][]{{-100, 300, 4}}), ForwardContext.inference()));
        assertTrue(e.getMessage().contains("labels[0][1] = 300"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> m.forwardLoss(new Batch(new int[][]{{1, 4, 5}}, ones, new int[][]{{-100, 3}}), ForwardContext.inference()));
        assertTrue(e.getMessage().contains("shaped like input_ids"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> m.forwardLoss(new Batch(new int[][]{{1, 4, 5}}, new int[][]{{1, 2, 1}}, new int[][]{{-100, 3, 4}}), ForwardContext.inference()));
        assertTrue(e.getMessage().contains("attention_mask[0][1] = 2"), e.getMessage());
        // still usable afterwards
        assertEquals(3, m.logits(new Batch(new int[][]{{1, 4, 5}}, ones, new int[][]{{-100, 3, 4}})).size(1));
    }

    @Test
    void adaptersThatDoNotFitAreClearErrors(@TempDir Path tmp) throws Exception {
        // a T5 adapter (task SEQ_2_SEQ_LM) on a causal model
        Path t5 = Shared.require("fixtures/t5/tiny_flan/lora_adapter");
        var e = assertThrows(RuntimeException.class, () -> Adapters.apply(ModelFamilies.load(variant("llama_one_kv")), t5, false));
        assertTrue(e.getMessage().contains("SEQ_2_SEQ_LM") && e.getMessage().contains("CAUSAL_LM"), e.getMessage());

        // targets naming modules the model does not have
        LlamaModel m = (LlamaModel) ModelFamilies.load(variant("llama_one_kv"));
        Path bad = tmp.resolve("targets");
        AdapterIO.save(LoraModel.of(m, LoraConfig.of("attn.q").withRank(2), 1), bad);
        ObjectNode c = (ObjectNode) JSON.readTree(bad.resolve("adapter_config.json").toFile());
        c.putArray("target_modules").add("SelfAttention.q");
        Files.writeString(bad.resolve("adapter_config.json"), c.toString());
        e = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(ModelFamilies.load(variant("llama_one_kv")), bad));
        assertTrue(e.getMessage().contains("SelfAttention.q") && e.getMessage().contains("q_proj"), e.getMessage());

        // shapes of another model (a LoRA for 4 kv heads loaded on the 1-kv-head model)
        Path other = tmp.resolve("shapes");
        AdapterIO.save(LoraModel.of((LlamaModel) ModelFamilies.load(variant("llama_sharded")), LoraConfig.of("k_proj").withRank(2), 1), other);
        e = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(ModelFamilies.load(variant("llama_one_kv")), other));
        assertTrue(e.getMessage().contains("k_proj") && e.getMessage().contains("[16, 2]") && e.getMessage().contains("[8, 2]"), e.getMessage());
    }
}
