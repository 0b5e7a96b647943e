package io.peft4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.data.Dataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/** The DSL of adapter arithmetic and mixed batches: combine(...), generate(prompts, adapterNames), hotSwap. */
class CombineDslTest {
    static Dataset train, test;
    static final TrainOptions FAST = epochs(2).lr(1e-2).batchSize(8).maxLengths(96, 32).progress(false);

    @BeforeAll
    static void data() {
        train = TinyModels.dialogues("train", 16, 1).withPrompt(SUMMARIZE);
        test = TinyModels.dialogues("test", 6, 2).withPrompt(SUMMARIZE);
    }

    @Test
    void aCombinationIsAnAdapterLikeAnyOther(@TempDir Path dir) throws Exception {
        T5 base = TinyModels.t5(1);
        LoraResult a = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).named("a").train(train, FAST);
        LoraResult b = lora(base).on("attn.v", "ffn.wo").rank(4).alpha(16).named("b").seed(3).train(train, FAST.lr(2e-2));
        LoraResult ties = combine(a, b).weights(0.5, 0.5).ties(0.2);
        assertEquals("combined", ties.adapterName());
        assertTrue(ties.name().contains("ties"), ties.name());
        assertTrue(ties.provenance().config().contains("ties(density 0.2, total) of 0.5 x a + 0.5 x b"), ties.provenance().config());
        assertEquals(new java.util.LinkedHashSet<>(base.adapters().targetedModules("combined")).size(), ties.trainedModules().size());
        List<String> out = ties.generate(test.sources());
        Path saved = ties.adapter().save(dir.resolve("ties"));
        JsonNode cfg = new ObjectMapper().readTree(saved.resolve("adapter_config.json").toFile());
        assertEquals(4, cfg.get("r").asInt());
        assertEquals(4, cfg.get("lora_alpha").asInt(), "scaling 1");
        assertFalse(cfg.get("use_rslora").asBoolean());
        FineTuned reloaded = base.withAdapter(saved);
        assertEquals(out, reloaded.generate(test.sources()), "saved and loaded back, it answers the same");

        // cat is exact: it answers as a and b both merged into the base weights
        LoraResult cat = combine(a, b).cat();
        assertEquals(8, base.adapters().config(cat.adapterName()).r());
        List<String> catOut = cat.generate(test.sources());
        var reg = base.adapters();
        reg.setActive("a");
        for (var l : reg.layers().values())
            for (String n : List.of("a", "b")) if (l.adapters().containsKey(n)) l.merge(List.of(n));
        List<String> merged = base.generateRaw(test.sources(), base.generationConfig());
        reg.unmerge();
        assertEquals(catOut, merged);
        assertNotEquals(catOut, a.generate(test.sources()), "and not as a alone (else the check could not fail)");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> combine(a, b).weights(1));
        assertTrue(e.getMessage().contains("1 given for 2 adapters"), e.getMessage());
        T5 other = TinyModels.t5(2);
        LoraResult c = lora(other).on("attn.q").rank(2).train(train, FAST.epochs(1));
        e = assertThrows(IllegalArgumentException.class, () -> combine(a, c).cat());
        assertTrue(e.getMessage().contains("same base model"), e.getMessage());
    }

    @Test
    void mixedBatchAndHotSwapThroughTheDsl(@TempDir Path dir) {
        T5 base = TinyModels.t5(1);
        LoraResult a = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).named("a").train(train, FAST);
        LoraResult b = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).named("b").seed(5).train(train, FAST.lr(3e-2));
        List<String> prompts = test.sources();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) names.add(i % 3 == 0 ? "a" : i % 3 == 1 ? Model.BASE : "b");
        List<String> mixed = base.generate(prompts, names);
        List<String> byA = a.generate(prompts), byB = b.generate(prompts), byBase = base.generate(prompts);
        assertNotEquals(byA, byB, "the two adapters answer differently (else the checks below could not fail)");
        assertNotEquals(byA, byBase);
        for (int i = 0; i < prompts.size(); i++) {
            List<String> own = names.get(i).equals("a") ? byA : names.get(i).equals("b") ? byB : byBase;
            assertEquals(own.get(i), mixed.get(i), "prompt " + i + " with " + names.get(i));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> base.generate(prompts.subList(0, 2), List.of("a", "c")));
        assertTrue(e.getMessage().contains("'c' is not a loaded adapter") && e.getMessage().contains("[a, b]"), e.getMessage());

        Path bDir = b.adapter().save(dir.resolve("b"));
        a.hotSwap(bDir);
        assertEquals(byB, a.generate(prompts), "after the swap adapter 'a' answers as b");
    }
}
