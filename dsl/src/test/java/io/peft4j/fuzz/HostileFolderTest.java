package io.peft4j.fuzz;

import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.HubResolver;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraModel;
import io.peft4j.peft.OtherAdapterIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Folders from strangers: pickle checkpoints are refused without being opened; a config.json
 * that asks for far more parameters than its weights hold is refused before anything is
 * allocated; an adapter whose shapes disagree with the base names the module and both shapes.
 */
class HostileFolderTest {
    /** A pickle that would run {@code os.system("touch <marker>")} if anything unpickled it. */
    static byte[] evilPickle(Path marker) {
        return ("cos\nsystem\n(S'touch " + marker + "'\ntR.").getBytes(StandardCharsets.US_ASCII);
    }

    private static void assertPickleRefusal(FileFormatException e, String pickleName) {
        String m = e.getMessage();
        assertTrue(m.contains(pickleName) && m.contains("pickle") && m.contains("safetensors") && m.contains("refuses"), m);
    }

    @Test void modelFolderWithOnlyPytorchBinIsRefused(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("pwned");
        Files.write(dir.resolve("config.json"), Seeds.CONFIG_JSON);
        Files.write(dir.resolve("pytorch_model.bin"), evilPickle(marker));
        FileFormatException e = assertThrows(FileFormatException.class, () -> T5Model.load(dir));
        assertPickleRefusal(e, "pytorch_model.bin");
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test void adapterFolderWithOnlyAdapterModelBinIsRefused(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve(AdapterIO.CONFIG), Seeds.ADAPTER_CONFIG);
        Files.write(dir.resolve("adapter_model.bin"), evilPickle(dir.resolve("pwned")));
        T5Model base = T5Model.fromConfig(Seeds.TINY, 1);
        assertPickleRefusal(assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(base, dir)), "adapter_model.bin");
        Files.writeString(dir.resolve(AdapterIO.CONFIG), "{\"peft_type\": \"IA3\", \"task_type\": \"SEQ_2_SEQ_LM\", \"target_modules\": [\"k\", \"v\", \"wo\"], \"feedforward_modules\": [\"wo\"]}");
        assertPickleRefusal(assertThrows(FileFormatException.class, () -> OtherAdapterIO.loadIa3(base, dir)), "adapter_model.bin");
        assertFalse(Files.exists(dir.resolve("pwned")));
    }

    @Test void hubRefusesToFetchPickleFiles(@TempDir Path dir) {
        HubResolver hub = new HubResolver(Map.of("HF_HUB_CACHE", dir.toString(), "HF_HUB_OFFLINE", "1"));
        for (String f : new String[]{"pytorch_model.bin", "adapter_model.bin", "model.pt", "weights.ckpt"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> hub.resolve("google/flan-t5-small", null, java.util.List.of("config.json", f)));
            assertTrue(e.getMessage().contains(f) && e.getMessage().contains("safetensors"), e.getMessage());
        }
    }

    @Test void parameterCountMatchesTheBuiltModel() {
        for (T5Config c : new T5Config[]{Seeds.TINY,
            new T5Config(40, 16, 8, 24, 2, 3, 2, 8, 20, 0.0, 1e-6, "gated-gelu", "gelu_new", true, false, 0, 1, 0, 1.0)}) {
            long built = T5Model.fromConfig(c, 1).baseParameters().values().stream().mapToLong(Parameter::size).sum();
            assertEquals(built, c.parameterCount(), c.toString());
        }
    }

    @Test void configAskingForMoreThanTheWeightsHoldIsRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("model.safetensors"), Seeds.MODEL_SAFETENSORS);
        // vocab 2^30 x d_model 2^14: 16 G parameters (64 GiB as float) for a file of a few kB
        Files.writeString(dir.resolve("config.json"), "{\"vocab_size\": 1073741824, \"d_model\": 16384, \"num_layers\": 1, \"num_heads\": 2}");
        long t0 = System.nanoTime();
        FileFormatException e = assertThrows(FileFormatException.class, () -> T5Model.load(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("parameters"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused quickly, nothing allocated");
        Files.writeString(dir.resolve("config.json"), "{\"vocab_size\": 2147483647, \"d_model\": 2147483647, \"d_ff\": 2147483647, \"num_layers\": 2147483647, \"num_heads\": 2}");
        assertTrue(assertThrows(FileFormatException.class, () -> T5Model.load(dir)).getMessage().contains("2^63"));
    }

    @Test void adapterShapeMismatchNamesModuleAndBothShapes(@TempDir Path dir) {
        T5Model small = T5Model.fromConfig(Seeds.TINY, 1);
        AdapterIO.save(LoraModel.of(small, LoraConfig.of("q").withRank(2), 3), dir);
        T5Config wider = new T5Config(32, 12, 4, 16, 1, 1, 2, 8, 16, 0.0, 1e-6, "relu", "relu", false, true, 0, 1, 0, 1.0);
        FileFormatException e = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(T5Model.fromConfig(wider, 1), dir));
        String m = e.getMessage();
        assertTrue(m.contains("module encoder.block.0.layer.0.SelfAttention.q") && m.contains("[2, 8]") && m.contains("[2, 12]")
            && m.contains("[8, 12]") && m.contains(AdapterIO.WEIGHTS), m);
    }

    @Test void baseCheckpointShapeMismatchNamesTensorAndBothShapes(@TempDir Path dir) throws Exception {
        T5Model.fromConfig(Seeds.TINY, 1).save(dir, SafeTensors.Dtype.F32);
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> t = SafeTensors.read(dir.resolve("model.safetensors"));
        t.put("encoder.block.0.layer.0.SelfAttention.k.weight", Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 9));
        t.put("encoder.final_layer_norm.weight", Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 100));  // keep the total size large enough
        SafeTensors.write(dir.resolve("model.safetensors"), t, Map.of(), SafeTensors.Dtype.F32);
        String m = assertThrows(FileFormatException.class, () -> T5Model.load(dir)).getMessage();
        assertTrue(m.contains("encoder.block.0.layer.0.SelfAttention.k.weight") && m.contains("[8, 9]") && m.contains("[8, 8]"), m);
    }
}
