package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.gpt2.Gpt2Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.peft4j.cli.ForwardGenerateCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code forward} and {@code generate} on the GPT-2 fixtures (base model, a PEFT adapter with
 * fan_in_fan_out on c_attn, unmerged and merged): every number of transformers / PEFT within the
 * fixtures' tolerances, greedy and beam search token for token, and clear errors for bad lines.
 */
class Gpt2CliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TINY = "tiny_gpt2";

    static String lines(JsonNode batches, boolean labels) {
        StringBuilder in = new StringBuilder();
        for (JsonNode b : batches) {
            var req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids"));
            req.set("attention_mask", b.get("attention_mask"));
            if (labels) req.set("labels", b.get("labels"));
            in.append(req).append('\n');
        }
        return in.toString();
    }

    @ParameterizedTest(name = "{0} merge={1}")
    @CsvSource({"'',false", "lora_c_attn,false", "lora_c_attn,true", "lora_all_linear,true"})
    void forwardMatchesFixture(String adapter, boolean merge) throws Exception {
        Path dir = Gpt2Fixtures.dir(TINY);
        JsonNode exp = Gpt2Fixtures.expected(TINY), batches = exp.get("batches");
        List<String> args = new ArrayList<>(List.of("--model", dir.toString()));
        if (!adapter.isEmpty()) { args.add("--adapter"); args.add(dir.resolve(adapter).toString()); }
        if (merge) args.add("--merge");
        JsonNode ref = adapter.isEmpty() ? exp.get("base") : exp.get("adapters").get(adapter).get(merge ? "merged" : "unmerged");
        ForwardGenerateCommandTest.Run r = run(new ForwardCommand(), lines(batches, true), args.toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        assertEquals(batches.size(), r.lines().length);
        for (int i = 0; i < batches.size(); i++) {
            String w = (adapter.isEmpty() ? "base" : adapter) + (merge ? " merged" : "") + " batch " + i;
            JsonNode a = JSON.readTree(r.lines()[i]), want = ref.get(i), mask = batches.get(i).get("attention_mask");
            assertEquals(want.get("loss").asDouble(), a.get("loss").asDouble(), Gpt2Fixtures.LOSS_TOL, w + " loss");
            double absSum = want.get("logits").get("abs_sum").asDouble();
            assertEquals(want.get("logits").get("sum").asDouble(), a.get("logits_sum").asDouble(), 1e-5 * absSum, w + " logits_sum");
            for (int k = 0; k < 16; k++)
                assertEquals(want.get("logits").get("first16").get(k).asDouble(), a.get("logits_first16").get(k).asDouble(),
                    Gpt2Fixtures.LOGIT_TOL, w + " first16[" + k + "]");
            for (int b = 0; b < mask.size(); b++)
                for (int t = 0; t < mask.get(b).size(); t++)
                    if (mask.get(b).get(t).asInt() == 1 && want.get("top2_margin").get(b).get(t).asDouble() >= Gpt2Fixtures.MARGIN)
                        assertEquals(want.get("argmax").get(b).get(t).asInt(), a.get("argmax").get(b).get(t).asInt(), w + " argmax");
        }
    }

    @ParameterizedTest(name = "{0} beams={1}")
    @CsvSource({"'',1,base_greedy", "'',3,base_beam3", "lora_c_attn,1,greedy", "lora_c_attn,3,beam3", "lora_all_linear,3,beam3"})
    void generateMatchesTransformers(String adapter, int beams, String key) throws Exception {
        Path dir = Gpt2Fixtures.dir(TINY);
        JsonNode exp = Gpt2Fixtures.expected(TINY);
        List<String> args = new ArrayList<>(List.of("--model", dir.toString(), "--max-new-tokens", "12", "--num-beams", "" + beams));
        if (!adapter.isEmpty()) { args.add("--adapter"); args.add(dir.resolve(adapter).toString()); }
        JsonNode want = adapter.isEmpty() ? exp.get(key) : exp.get("adapters").get(adapter).get(key);
        String in = lines(JSON.createArrayNode().add(exp.get("batches").get(1)), false);
        ForwardGenerateCommandTest.Run r = run(new GenerateCommand(), in, args.toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        assertEquals(want, JSON.readTree(r.lines()[0]).get("sequences"));
    }

    @Test
    void badLinesGetClearErrors() throws Exception {
        Path dir = Gpt2Fixtures.dir(TINY);
        StringBuilder in = new StringBuilder();
        in.append("{\"input_ids\": [[5, 300, 1]], \"labels\": [[5, 300, 1]]}\n");
        int[] longRow = new int[49];
        in.append("{\"input_ids\": [" + JSON.writeValueAsString(longRow) + "], \"labels\": [" + JSON.writeValueAsString(longRow) + "]}\n");
        in.append("{\"input_ids\": [[5, 6, 7]], \"labels\": [[5, 6]]}\n");
        ForwardGenerateCommandTest.Run r = run(new ForwardCommand(), in.toString(), "--model", dir.toString());
        assertEquals(0, r.rc(), r.err());
        String e0 = JSON.readTree(r.lines()[0]).get("error").asText();
        assertTrue(e0.contains("300") && e0.contains("[0][1]") && e0.contains("[0, 300)"), e0);
        String e1 = JSON.readTree(r.lines()[1]).get("error").asText();
        assertTrue(e1.contains("49") && e1.contains("n_positions = 48"), e1);
        String e2 = JSON.readTree(r.lines()[2]).get("error").asText();
        assertTrue(e2.contains("labels[0]") && e2.contains("2") && e2.contains("3"), e2);

        String gen = "{\"input_ids\": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]}\n";
        ForwardGenerateCommandTest.Run g = run(new GenerateCommand(), gen, "--model", dir.toString(), "--max-new-tokens", "40");
        assertEquals(0, g.rc(), g.err());
        String eg = JSON.readTree(g.lines()[0]).get("error").asText();
        assertTrue(eg.contains("n_positions = 48") && eg.contains("max_new_tokens = 40") && eg.contains("at most 39"), eg);
    }
}
