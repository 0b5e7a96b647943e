package io.peft4j.model.t5;

import io.peft4j.model.Batch;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Generator;
import io.peft4j.model.Parameter;

import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.hf.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Checkpoints the fixtures do not cover: BF16/F16 storage, save/load round trips, shards, bad files, bad ids. */
class T5CheckpointTest {

    @Test
    void halfPrecisionCopiesOfAFixtureGiveTheSameOutputs(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.dir("tiny_flan");
        JsonNode b0 = Fixtures.expected("tiny_flan").get("batches").get(0);
        Map<String, INDArray> weights = SafeTensors.read(src.resolve("model.safetensors"));
        for (SafeTensors.Dtype st : new SafeTensors.Dtype[]{SafeTensors.Dtype.BF16, SafeTensors.Dtype.F16}) {
            Path dir = tmp.resolve(st.name());
            Files.createDirectories(dir);
            Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
            SafeTensors.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"), st);
            T5Model m = T5Model.load(dir);
            double relTol = st == SafeTensors.Dtype.BF16 ? 1.0 / 256 : 1.0 / 2048;
            INDArray q = weights.get("encoder.block.0.layer.0.SelfAttention.q.weight");
            INDArray lq = m.baseParameters().get("encoder.block.0.layer.0.SelfAttention.q.weight").value();
            assertTrue(lq.sub(q).amaxNumber().doubleValue() <= relTol * q.amaxNumber().doubleValue(), st + " weights rounded");
            double loss = m.forwardLoss(Fixtures.batch(b0), ForwardContext.inference());
            double lossTol = st == SafeTensors.Dtype.BF16 ? 3e-2 : 3e-3;
            assertEquals(b0.get("base").get("loss").asDouble(), loss, lossTol, st + " loss");
            int[][] greedy = Generator.greedy(m, Fixtures.ints(b0.get("input_ids")), Fixtures.ints(b0.get("attention_mask")), 12);
            if (st == SafeTensors.Dtype.F16)
                assertArrayEquals(Fixtures.ints(b0.get("base").get("greedy").get("sequences")), greedy, "F16 greedy");
        }
    }

    @Test
    void saveLoadRoundTripIsBitIdenticalForUnusualShapes(@TempDir Path tmp) {
        // tied ReLU, 1 encoder vs 3 decoder layers, inner attention 3*5=15 != d_model 12
        var n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("vocab_size", 40); n.put("d_model", 12); n.put("d_kv", 5); n.put("num_heads", 3); n.put("d_ff", 20);
        n.put("num_layers", 1); n.put("num_decoder_layers", 3);
        T5Config c = T5Config.fromJson(n);
        assertEquals("relu", c.denseActFn());
        assertTrue(c.tieWordEmbeddings());
        T5Model m = T5Model.fromConfig(c, 5);
        m.save(tmp, SafeTensors.Dtype.F32);
        T5Model back = T5Model.load(tmp);
        assertEquals(c, back.config());
        for (Parameter p : m.parameters())
            assertEquals(p.value(), back.baseParameters().get(p.name()).value(), p.name());
        Batch b = new Batch(new int[][]{{3, 4, 5, 1}}, new int[][]{{1, 1, 1, 1}}, new int[][]{{7, 8, 1}});
        assertEquals(m.forwardLoss(b, ForwardContext.inference()), back.forwardLoss(b, ForwardContext.inference()));
        assertFalse(SafeTensors.header(tmp.resolve("model.safetensors")).entries().containsKey("lm_head.weight"), "tied: no lm_head");
    }

    @Test
    void shardedCheckpointAndMissingOrMisshapenTensors(@TempDir Path tmp) throws Exception {
        T5Config c = GradientCheckTest.tiny("gated-gelu", false, 1, 1, 0.1);
        T5Model m = T5Model.fromConfig(c, 9);
        Map<String, INDArray> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        StringBuilder idx = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        int i = 0;
        for (Parameter p : m.baseParameters().values()) {
            String shard = (i++ % 2 == 0) ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (shard.startsWith("model-00001") ? a : b).put(p.name(), p.value());
            idx.append(i > 1 ? "," : "").append('"').append(p.name()).append("\": \"").append(shard).append('"');
        }
        idx.append("}}");
        Files.writeString(tmp.resolve("config.json"), c.toJson().toString());
        SafeTensors.write(tmp.resolve("model-00001-of-00002.safetensors"), a, null, SafeTensors.Dtype.F32);
        SafeTensors.write(tmp.resolve("model-00002-of-00002.safetensors"), b, null, SafeTensors.Dtype.F32);
        Files.writeString(tmp.resolve("model.safetensors.index.json"), idx.toString());
        T5Model back = T5Model.load(tmp);
        for (Parameter p : m.baseParameters().values())
            assertEquals(p.value(), back.baseParameters().get(p.name()).value(), p.name());

        // a missing tensor is named
        b.remove("decoder.final_layer_norm.weight");
        a.remove("decoder.final_layer_norm.weight");
        SafeTensors.write(tmp.resolve("model-00002-of-00002.safetensors"), b, null, SafeTensors.Dtype.F32);
        SafeTensors.write(tmp.resolve("model-00001-of-00002.safetensors"), a, null, SafeTensors.Dtype.F32);
        Exception e = assertThrows(RuntimeException.class, () -> T5Model.load(tmp));
        assertTrue(e.getMessage().contains("decoder.final_layer_norm.weight"), e.getMessage());

        // a shape mismatch names both shapes
        Path one = tmp.resolve("single");
        Files.createDirectories(one);
        Files.writeString(one.resolve("config.json"), c.toJson().toString());
        Map<String, INDArray> all = new LinkedHashMap<>();
        for (Parameter p : m.baseParameters().values()) all.put(p.name(), p.value());
        all.put("shared.weight", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 22, 8));
        SafeTensors.write(one.resolve("model.safetensors"), all, null, SafeTensors.Dtype.F32);
        e = assertThrows(RuntimeException.class, () -> T5Model.load(one));
        assertTrue(e.getMessage().contains("[22, 8]") && e.getMessage().contains("[23, 8]"), e.getMessage());
    }

    @Test
    void invalidTokenIdsAreClearErrors() {
        T5Model m = T5Model.fromConfig(GradientCheckTest.tiny("relu", true, 1, 1, 0.0), 3);
        var bad = new Batch(new int[][]{{3, 23, 1}}, new int[][]{{1, 1, 1}}, new int[][]{{1}});
        var e = assertThrows(IllegalArgumentException.class, () -> m.forwardLoss(bad, ForwardContext.inference()));
        assertTrue(e.getMessage().contains("input_ids[0][1] = 23") && e.getMessage().contains("[0, 23)"), e.getMessage());
        var neg = new Batch(new int[][]{{3, -1, 1}}, new int[][]{{1, 1, 1}}, new int[][]{{1}});
        e = assertThrows(IllegalArgumentException.class, () -> m.forwardLoss(neg, ForwardContext.inference()));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        var badLabel = new Batch(new int[][]{{3, 1}}, new int[][]{{1, 1}}, new int[][]{{-5, 1}});
        e = assertThrows(IllegalArgumentException.class, () -> m.forwardLoss(badLabel, ForwardContext.inference()));
        assertTrue(e.getMessage().contains("labels[0][0] = -5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Generator.greedy(m, new int[][]{{99}}, new int[][]{{1}}, 3));
        // the model still works afterwards
        assertTrue(Double.isFinite(m.forwardLoss(new Batch(new int[][]{{3, 1}}, new int[][]{{1, 1}}, new int[][]{{4, 1}}), ForwardContext.inference())));
    }

    @Test
    void configDefaultsAndOverrides() {
        T5Config d = T5Config.defaults();
        assertEquals(32128, d.vocabSize()); assertEquals(6, d.numDecoderLayers()); assertEquals("relu", d.denseActFn());
        assertTrue(d.tieWordEmbeddings());
        var n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("feed_forward_proj", "gated-gelu");
        assertEquals("gelu_new", T5Config.fromJson(n).denseActFn());
        assertTrue(T5Config.fromJson(n).isGatedAct());
        n.put("is_gated_act", false); n.put("dense_act_fn", "relu");
        assertFalse(T5Config.fromJson(n).isGatedAct());
        assertEquals("relu", T5Config.fromJson(n).denseActFn());
        n.put("dense_act_fn", "swish");
        var e = assertThrows(IllegalArgumentException.class, () -> T5Config.fromJson(n));
        assertTrue(e.getMessage().contains("swish"));
    }
}
