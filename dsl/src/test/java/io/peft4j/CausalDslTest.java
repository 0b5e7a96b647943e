package io.peft4j;

import io.peft4j.data.CausalBatcher;
import io.peft4j.data.BatchConfig;
import io.peft4j.data.Dataset;
import io.peft4j.model.Batch;
import io.peft4j.model.Parameter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/** The DSL on a decoder-only model: the same calls as for T5 (lora, ia3, full fine-tuning, compare, adapters). */
class CausalDslTest {
    static Dataset train, test;
    static final TrainOptions FAST = epochs(3).lr(2e-2).batchSize(8).maxLengths(96, 32).progress(false);

    @BeforeAll
    static void data() {
        train = TinyModels.dialogues("train", 16, 1).withPrompt(SUMMARIZE);
        test = TinyModels.dialogues("test", 4, 2).withPrompt(SUMMARIZE);
    }

    private static Map<String, INDArray> snapshot(Model m) {
        Map<String, INDArray> s = new HashMap<>();
        for (Parameter p : m.model().baseParameters().values()) s.put(p.name(), p.value().dup());
        return s;
    }

    @Test
    void batchesMaskThePromptAndPadOnTheRight() {
        CausalLM base = TinyModels.llama(1);
        CausalBatcher cb = new CausalBatcher(base.tokenizer(), new BatchConfig(4, 64, 16, false, 0, 0));
        CausalBatcher.Encoded e = cb.encode("Summarize: a b c", " the summary", 200, 32);
        int[] prompt = base.tokenizer().encode("Summarize: a b c");
        int promptLen = 0;
        while (e.labels()[promptLen] == -100) promptLen++;
        assertTrue(promptLen >= prompt.length - 1 && promptLen <= prompt.length, "loss starts where the prompt ends");
        assertEquals(base.tokenizer().eosId(), e.ids()[e.ids().length - 1], "ends with eos");
        assertEquals(base.tokenizer().eosId(), e.labels()[e.labels().length - 1], "eos is learned");
        for (int t = promptLen; t < e.ids().length; t++) assertEquals(e.ids()[t], e.labels()[t]);
        // truncation from the left of the prompt, the response kept
        CausalBatcher.Encoded cut = cb.encode("one two three four five six seven eight nine ten", " end", 6, 32);
        assertEquals(6, cut.ids().length);
        assertEquals(1, cb.truncated());
        int[] tail = new CausalBatcher(base.tokenizer(), new BatchConfig(4, 64, 16, false, 0, 0)).encode("x", " end", 200, 32).labels();
        int respLen = 0;
        for (int v : tail) if (v != -100) respLen++;
        int kept = 0;
        for (int v : cut.labels()) if (v != -100) kept++;
        assertEquals(respLen, kept, "the whole response survives truncation");
        List<Batch> bs = cb.batches(train);
        assertEquals(4, bs.size());
        for (Batch b : bs)
            for (int r = 0; r < b.size(); r++) {
                int len = 0;
                while (len < b.attentionMask()[r].length && b.attentionMask()[r][len] == 1) len++;
                for (int t = len; t < b.labels()[r].length; t++) assertEquals(-100, b.labels()[r][t], "padding carries no loss");
            }
    }

    @Test
    void theEmbeddedDecoderOnlyDemoModelLoadsAndEachCallIsAFreshCopy() throws Exception {
        CausalLM a = CausalLM.demo(), b = CausalLM.demo();
        assertEquals("llama", a.family());
        assertEquals("peft4j/demo-llama", a.id());
        assertTrue(a.parameterCount() > 2_000_000 && a.parameterCount() < 10_000_000, "a few million parameters: " + a.parameterCount());
        assertTrue(Files.readString(a.folder().resolve("RECIPE.md")).contains("pretrain-causal-demo"), "the recipe travels with the model");
        String prompt = "Summarize the following conversation.\n\n#Person1#: Hello, I would like a ticket to Denver.\n#Person2#: Sure.\n\nSummary: ";
        String out = a.generate(prompt);
        assertFalse(out.isBlank(), "the base continues the prompt");
        assertEquals(out, b.generate(prompt), "greedy decoding is deterministic across copies");
        // a fine-tuned copy leaves the next demo() untouched
        fullFineTune(a).train(train, FAST.epochs(1));
        assertEquals(out, CausalLM.demo().generate(prompt));
    }

    @Test
    void aPromptEndingInWhitespaceTrainsOnTheTokensGenerationSees() {
        // "Summary: " + "Ben" encodes jointly as ... ":", " Ben"; generation is given the prompt's own
        // tokens (ending in a lone space), so training must start the response right after those
        var tok = CausalLM.demo().tokenizer();  // byte-level BPE, as real decoder-only models have
        String prompt = "Summarize the talk.\n\nSummary: ", response = "Ben agrees to meet at noon.";
        int[] p = tok.encode(prompt), joint = tok.encode(prompt + response);
        boolean merges = false;
        for (int i = 0; i < p.length; i++) if (i >= joint.length || p[i] != joint[i]) { merges = true; break; }
        assertTrue(merges, "precondition: this tokenizer merges the trailing space into the response's first word");
        CausalBatcher.Encoded e = new CausalBatcher(tok, new BatchConfig(4, 64, 16, false, 0, 0)).encode(prompt, response, 200, 32);
        assertArrayEquals(p, java.util.Arrays.copyOf(e.ids(), p.length), "the sequence starts with the prompt exactly as generation encodes it");
        for (int i = 0; i < p.length; i++) assertEquals(-100, e.labels()[i]);
        int[] rest = java.util.Arrays.copyOfRange(e.ids(), p.length, e.ids().length - 1);
        assertEquals(response, tok.decode(rest), "then the response, then eos");
        assertEquals(tok.eosId(), e.ids()[e.ids().length - 1]);
        // a prompt that does not merge keeps the joint encoding, byte for byte
        int cleanCases = 0;
        for (String[] pr : new String[][]{{"Summary:", " Ben agrees."}, {"Summary:\n", "Ben agrees."}, {"Q: hi\nA:", " yes"}, {"Q", " yes"}}) {
            int[] cp = tok.encode(pr[0]), cj = tok.encode(pr[0] + pr[1]);
            boolean prefix = cp.length <= cj.length && java.util.Arrays.equals(cp, java.util.Arrays.copyOf(cj, cp.length));
            if (!prefix) continue;
            cleanCases++;
            CausalBatcher.Encoded clean = new CausalBatcher(tok, new BatchConfig(4, 64, 16, false, 0, 0)).encode(pr[0], pr[1], 200, 32);
            assertArrayEquals(cj, java.util.Arrays.copyOf(clean.ids(), cj.length), pr[0] + pr[1]);
            assertEquals(cp.length, java.util.Arrays.stream(clean.labels()).takeWhile(v -> v == -100).count());
        }
        assertTrue(cleanCases > 0, "at least one prompt/response pair without a merge at the boundary");
    }

    @Test
    void loraIa3AndFullFineTuningTrainAndCompare(@TempDir Path dir) {
        CausalLM base = TinyModels.llama(3);
        Map<String, INDArray> before = snapshot(base);
        LoraResult lora = lora(base).on("attn.q", "attn.v").rank(4).alpha(8).train(train, FAST);
        assertTrue(lora.trainedModules().stream().allMatch(m -> m.endsWith("q_proj") || m.endsWith("v_proj")), lora.trainedModules().toString());
        assertEquals(4, lora.trainedModules().size());
        assertTrue(lora.training().finalLoss() < lora.training().stepLosses().get(0), "LoRA lowers the loss");
        FineTuned full = fullFineTune(base).train(train, FAST);
        assertTrue(full.training().finalLoss() < full.training().stepLosses().get(0), "full fine-tuning lowers the loss");
        FineTuned ia3 = ia3(base).train(train, FAST);
        assertTrue(ia3.trainedModules().stream().anyMatch(m -> m.endsWith("down_proj")), ia3.trainedModules().toString());
        Map<String, INDArray> after = snapshot(base);
        for (var e : before.entrySet()) assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " unchanged by training");
        var table = compare(base, full, lora, ia3).rouge(test);
        assertEquals(4, table.rowCount());
        assertEquals(4, lora.generate(test.sources()).size());
        // the adapter round trip: save in PEFT's format, load onto a fresh copy, same answers
        Path saved = lora.adapter().save(dir.resolve("lora"));
        assertTrue(Files.isRegularFile(saved.resolve("adapter_model.safetensors")));
        FineTuned loaded = base.withAdapter(saved);
        assertEquals(lora.generate(test.sources()), loaded.generate(test.sources()));
        assertThrows(UnsupportedOperationException.class, () -> promptTuning(base).train(train, FAST));
    }

    @Test
    void samplingAndStreamingOnACausalModel() {
        CausalLM base = TinyModels.llama(5);
        String prompt = test.sources().get(0);
        assertEquals(base.generate(prompt, sampling(1.0).seed(7)), base.generate(prompt, sampling(1.0).seed(7)));
        StringBuilder streamed = new StringBuilder();
        String whole = base.stream(prompt, streamed::append);
        assertEquals(base.generate(prompt), whole);
        assertEquals(whole, streamed.toString().strip());
    }
}
