package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static io.peft4j.cli.ForwardGenerateCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code forward} and {@code generate}, in-process, on the shared causal fixtures (base model and
 * every adapter, unmerged and merged) and on the project's own Llama-shaped checkpoints: every number
 * of expected.json within the fixtures' suggested tolerances.
 */
class CausalCliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static String lines(JsonNode batches, boolean labels) {
        StringBuilder in = new StringBuilder();
        for (JsonNode b : batches) {
            ObjectNode req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids"));
            req.set("attention_mask", b.get("attention_mask"));
            if (labels) req.set("labels", b.get("labels"));
            in.append(req).append('\n');
        }
        return in.toString();
    }

    /** forward: loss, argmax (real positions with top2_margin >= 1e-3), logits_sum, logits_first16. */
    static void checkForward(String what, Path model, Path adapter, boolean merge, JsonNode batches, JsonNode refs) throws Exception {
        String[] args = adapter == null ? new String[]{"--model", model.toString()}
            : merge ? new String[]{"--model", model.toString(), "--adapter", adapter.toString(), "--merge"}
            : new String[]{"--model", model.toString(), "--adapter", adapter.toString()};
        ForwardGenerateCommandTest.Run r = run(new ForwardCommand(), lines(batches, true), args);
        assertEquals(0, r.rc(), r.err());
        assertEquals(batches.size(), r.lines().length);
        for (int i = 0; i < batches.size(); i++) {
            JsonNode a = JSON.readTree(r.lines()[i]), ref = refs.get(i), mask = batches.get(i).get("attention_mask");
            String w = what + " batch " + i;
            assertFalse(a.has("error"), w + ": " + a);
            assertEquals(ref.get("loss").asDouble(), a.get("loss").asDouble(), 1e-5, w + " loss");
            double absSum = ref.get("logits").get("abs_sum").asDouble();
            assertEquals(ref.get("logits").get("sum").asDouble(), a.get("logits_sum").asDouble(), 1e-5 * absSum, w + " logits_sum");
            for (int k = 0; k < 16; k++)
                assertEquals(ref.get("logits").get("first16").get(k).asDouble(), a.get("logits_first16").get(k).asDouble(), 1e-4, w + " first16[" + k + "]");
            for (int b = 0; b < mask.size(); b++)
                for (int t = 0; t < mask.get(b).size(); t++)
                    if (mask.get(b).get(t).asInt() == 1 && ref.get("top2_margin").get(b).get(t).asDouble() >= 1e-3)
                        assertEquals(ref.get("argmax").get(b).get(t).asInt(), a.get("argmax").get(b).get(t).asInt(), w + " argmax[" + b + "][" + t + "]");
        }
    }

    /** generate: the greedy (12 new tokens) and, where recorded, 3-beam (6 new tokens) sequences. */
    static void checkGenerate(String what, Path model, Path adapter, boolean merge, JsonNode batches, JsonNode refs) throws Exception {
        for (int i = 0; i < batches.size(); i++) {
            JsonNode ref = refs.get(i);
            if (!ref.has("greedy_sequences")) continue;
            String in = lines(JSON.createArrayNode().add(batches.get(i)), false);
            String[] base = adapter == null ? new String[]{"--model", model.toString()}
                : merge ? new String[]{"--model", model.toString(), "--adapter", adapter.toString(), "--merge"}
                : new String[]{"--model", model.toString(), "--adapter", adapter.toString()};
            String[] greedy = concat(base, "--max-new-tokens", "12");
            ForwardGenerateCommandTest.Run r = run(new GenerateCommand(), in, greedy);
            assertEquals(0, r.rc(), r.err());
            assertEquals(ref.get("greedy_sequences"), JSON.readTree(r.lines()[0]).get("sequences"), what + " batch " + i + " greedy");
            if (ref.has("beam_sequences")) {
                ForwardGenerateCommandTest.Run rb = run(new GenerateCommand(), in, concat(base, "--max-new-tokens", "6", "--num-beams", "3"));
                assertEquals(0, rb.rc(), rb.err());
                assertEquals(ref.get("beam_sequences"), JSON.readTree(rb.lines()[0]).get("sequences"), what + " batch " + i + " 3 beams");
            }
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @ParameterizedTest(name = "{0} {1} merge={2}")
    @CsvSource({"tiny_llama,,false", "tiny_llama,lora_qv,false", "tiny_llama,lora_qv,true", "tiny_llama,lora_all_linear_rslora,false",
        "tiny_llama,lora_all_linear_rslora,true", "tiny_qwen2,,false", "tiny_qwen2,lora_qv,false", "tiny_qwen2,lora_qv,true"})
    void sharedFixturesThroughTheCli(String model, String adapter, boolean merge) throws Exception {
        Path dir = Shared.require("fixtures/causal/" + model);
        JsonNode exp = JSON.readTree(dir.resolve("expected.json").toFile());
        JsonNode refs = adapter == null ? exp.get("base") : exp.get("adapters").get(adapter).get(merge ? "merged" : "unmerged");
        Path ad = adapter == null ? null : dir.resolve(adapter);
        String what = model + (adapter == null ? "" : "/" + adapter + (merge ? " merged" : ""));
        checkForward(what, dir, ad, merge, exp.get("batches"), refs);
        checkGenerate(what, dir, ad, merge, exp.get("batches"), refs);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mistral_head_dim", "llama_one_kv", "llama3_tied_bf16", "llama_sharded"})
    void ownCheckpointsThroughTheCli(String name) throws Exception {
        Path dir = Path.of(CausalCliTest.class.getResource("/io/peft4j/model/llama/" + name).toURI());
        JsonNode exp = JSON.readTree(dir.resolve("expected.json").toFile());
        checkForward(name, dir, null, false, exp.get("batches"), exp.get("base"));
        checkGenerate(name, dir, null, false, exp.get("batches"), exp.get("base"));
    }
}
