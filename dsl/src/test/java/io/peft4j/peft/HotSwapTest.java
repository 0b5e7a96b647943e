package io.peft4j.peft;

import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hot-swapping an adapter's weights in place: the same layers and parameter objects afterwards,
 * outputs equal to the new adapter loaded the ordinary way (also with another alpha, alpha_pattern
 * and rsLoRA, whose scalings are swapped too); other target modules, ranks, dropout, merged
 * adapters refused naming the difference, and nothing changed by a refused swap.
 */
class HotSwapTest {
    static final Batch BATCH = LoraModelTest.BATCH;
    static final LoraConfig BASE_CFG = LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM);

    static LoraModel<LanguageModel> model() { return LoraModel.empty(T5Model.fromConfig(PeftFixtures.tinyGated(), 5)); }

    /** Saves an adapter made on another copy of the same base (so this model's adapters stay as they are). */
    static Path saved(Path dir, String name, LoraConfig c, long seed) {
        LoraModel<LanguageModel> other = model();
        other.addAdapter(name, c, seed);
        Path out = dir.resolve(name);
        AdapterIO.save(other, name, out, SafeTensors.Dtype.F32, "tiny");
        return out;
    }

    static INDArray logitsWith(Path adapterDir) {
        LoraModel<LanguageModel> fresh = model();
        AdapterIO.loadLora(fresh, "new", adapterDir);
        fresh.setActive("new");
        return fresh.model().logits(BATCH);
    }

    @Test
    void swapsWeightsAndScalingInPlaceAndAnswersAsTheNewAdapter(@TempDir Path dir) {
        LoraModel<LanguageModel> lora = model();
        lora.addAdapter("live", BASE_CFG, 1);
        lora.setActive("live");
        INDArray before = lora.model().logits(BATCH);
        List<Parameter> params = new ArrayList<>(lora.trainable());
        var layers = new ArrayList<>(lora.layers().values());
        for (LoraConfig next : List.of(BASE_CFG.withAlpha(3), BASE_CFG.withRslora(true).withAlphaPattern(Map.of("EncDecAttention.v", 20.0)))) {
            Path p = saved(dir, "next" + next.hashCode(), next, 7);
            HotSwap.fromFolder(lora, "live", p);
            INDArray after = lora.model().logits(BATCH);
            assertEquals(0, after.sub(logitsWith(p)).amaxNumber().doubleValue(), 1e-6, "answers as the new adapter loaded anew");
            assertTrue(after.sub(before).amaxNumber().doubleValue() > 1e-3, "and not as the old one");
            assertEquals(next.alphaPattern(), lora.config("live").alphaPattern());
        }
        assertEquals(params, lora.trainable(), "the same parameter objects (A and B overwritten)");
        assertEquals(layers, new ArrayList<>(lora.layers().values()), "the same layers: nothing rebuilt");
        for (int i = 0; i < params.size(); i++) assertSame(params.get(i), lora.trainable().get(i));
    }

    @Test
    void otherModulesRanksDropoutOrAMergedAdapterAreRefusedNamingTheDifference(@TempDir Path dir) {
        LoraModel<LanguageModel> lora = model();
        lora.addAdapter("live", BASE_CFG, 1);
        lora.setActive("live");
        INDArray before = lora.model().logits(BATCH);
        assertMessage(() -> HotSwap.fromFolder(lora, "live", saved(dir, "qk", LoraConfig.of("attn.q", "attn.k").withRank(4).withAlpha(8), 2)),
            "other modules", "not [", "SelfAttention.v", "also [", "SelfAttention.k");
        assertMessage(() -> HotSwap.fromFolder(lora, "live", saved(dir, "r8", BASE_CFG.withRank(8), 3)),
            "other ranks", "r 4 -> 8", "encoder.block.0.layer.0.SelfAttention.q");
        assertMessage(() -> HotSwap.fromFolder(lora, "live", saved(dir, "pattern", BASE_CFG.withRankPattern(Map.of("EncDecAttention.q", 2)), 4)),
            "other ranks", "EncDecAttention.q: r 4 -> 2");
        assertMessage(() -> HotSwap.fromFolder(lora, "live", saved(dir, "drop", BASE_CFG.withDropout(0.1), 5)), "lora_dropout 0.0 -> 0.1");
        assertMessage(() -> HotSwap.fromFolder(lora, "nope", saved(dir, "ok", BASE_CFG, 6)), "'nope'");
        assertEquals(0, lora.model().logits(BATCH).sub(before).amaxNumber().doubleValue(), 0, "a refused swap changes nothing");
        lora.merge();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HotSwap.fromFolder(lora, "live", dir.resolve("ok")));
        assertTrue(e.getMessage().contains("merged") && e.getMessage().contains("unmerge"), e.getMessage());
    }

    @Test
    void doraSwapsItsMagnitudesTooAndDoraAgainstLoraIsRefused(@TempDir Path dir) {
        LoraModel<LanguageModel> lora = model();
        lora.addAdapter("live", BASE_CFG.withDora(true), 1);
        lora.setActive("live");
        Path p = saved(dir, "next", BASE_CFG.withDora(true).withAlpha(5), 7);
        HotSwap.fromFolder(lora, "live", p);
        assertEquals(0, lora.model().logits(BATCH).sub(logitsWith(p)).amaxNumber().doubleValue(), 1e-6, "answers as the new DoRA adapter");
        assertMessage(() -> HotSwap.fromFolder(lora, "live", saved(dir, "plain", BASE_CFG, 8)), "DoRA -> LoRA");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        Throwable t = assertThrows(RuntimeException.class, e);
        for (String p : parts) assertTrue(t.getMessage().contains(p), "'" + p + "' in: " + t.getMessage());
    }
}
