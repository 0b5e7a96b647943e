package io.peft4j;

import io.peft4j.peft.LoraModel;
import io.peft4j.model.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.peft4j.Peft.lora;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link LoraResult#mergeAndUnload()} + {@link Model#save}: PEFT's merge_and_unload followed by
 * save_pretrained. The saved folder is complete (config, weights, generation config, tokenizer),
 * loads back as a plain model that answers exactly as the base with the adapter active, and the
 * shared base is left untouched. (That transformers loads such a folder was checked with
 * dsl/src/test/python/check_merged_folder.py; set PEFT4J_KEEP_MERGED=DIR to keep one to check.)
 */
class MergeAndSaveTest {
    @TempDir Path tmp;

    static final List<String> PROMPTS = List.of(
        "Summarize the following conversation.\n\n#Person1#: Where is the station?\n#Person2#: Two blocks north.\n\nSummary:",
        "Summarize the following conversation.\n\n#Person1#: I lost my keys.\n#Person2#: Check your bag.\n\nSummary:");

    @Test void mergedModelSavesAsACompleteFolderAndAnswersAsTheAdapter() throws Exception {
        T5 base = T5.demo();
        List<String> before = base.generate(PROMPTS);
        float w0 = base.model().baseParameters().get("encoder.block.0.layer.0.SelfAttention.q.weight").value().getFloat(0, 0);
        LoraResult lora = (LoraResult) lora(base).on("attn.q", "attn.v").rank(4).alpha(8).named("t").train(
            io.peft4j.data.Dataset.of("x", List.of(new io.peft4j.data.Example("a", "#Person1#: hi.", "Person1 says hi.", "t"),
                new io.peft4j.data.Example("b", "#Person1#: bye.", "Person1 says bye.", "t"))),
            Peft.epochs(1).batchSize(2).lr(1e-3));
        // a visible adapter: B is zero at init and one tiny step barely moves it. The values come from a
        // fixed seed (an unseeded draw once left both answers unchanged, and the check below failed)
        LoraModel<LanguageModel> reg = base.adapters();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        for (String m : reg.targetedModules("t")) {
            var b = reg.layers().get(m).adapter("t").b().value();
            float[] v = new float[(int) b.length()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() - 0.5) * 0.8f;
            b.assign(Nd4j.create(v, b.shape()).castTo(b.dataType()));
        }
        List<String> withAdapter = lora.generate(PROMPTS);

        Model merged = lora.mergeAndUnload();
        assertTrue(merged instanceof T5);
        assertEquals(0, merged.model().parameters().stream().filter(p -> p.name().contains("lora")).count(), "no LoRA layers left");
        Path dir = merged.save(tmp.resolve("merged"));
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json", "tokenizer.json"))
            assertTrue(Files.isRegularFile(dir.resolve(f)), f + " in " + dir);
        try (var s = Files.list(tmp)) { assertEquals(1, s.count(), "no temp folder left"); }

        T5 reloaded = T5.fromFolder(dir, "merged", "local");   // (T5.load goes through HubResolver, being rewritten)
        assertEquals(withAdapter, reloaded.generate(PROMPTS), "the merged folder answers as the base with the adapter");
        assertNotEquals(before.get(0), withAdapter.get(0), "the adapter changes the first answer (else the test proves nothing)");
        // the shared base is untouched: same weights, same answers, adapter still unmerged and usable
        assertEquals(w0, base.model().baseParameters().get("encoder.block.0.layer.0.SelfAttention.q.weight").value().getFloat(0, 0));
        assertEquals(before, base.generate(PROMPTS));
        assertEquals(withAdapter, lora.generate(PROMPTS));

        // merging the adapter into the base first gives the same folder contents
        lora.merge();
        Path dir2 = lora.saveMerged(tmp.resolve("merged2"));
        assertEquals(withAdapter, T5.fromFolder(dir2, "merged2", "local").generate(PROMPTS));
        lora.unmerge();

        // an existing non-empty folder is refused, nothing written
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> merged.save(dir));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());

        String keep = System.getenv("PEFT4J_KEEP_MERGED");
        if (keep != null && !keep.isBlank()) {
            Path k = Path.of(keep);
            lora.saveMerged(k.resolve("merged"));
            Files.writeString(k.resolve("java_generations.json"), new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(java.util.Map.of("prompts", PROMPTS, "generations", withAdapter)));
        }
    }
}
