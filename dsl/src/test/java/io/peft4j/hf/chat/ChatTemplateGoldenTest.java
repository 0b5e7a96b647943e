package io.peft4j.hf.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every chat-template case made by transformers 5.18's {@code apply_chat_template}, exact: the
 * thirteen templates of {@code src/test/resources/tokenizer/chat/templates/} over the conversations of
 * {@code cases.jsonl} (text and ids; raised errors), and the shared causal fixtures'
 * {@code expected.json} {@code chat_template} cases with their own tokenizer folders.
 */
class ChatTemplateGoldenTest {
    static final ObjectMapper OM = new ObjectMapper();

    static Path res(String p) throws Exception {
        return Path.of(ChatTemplateGoldenTest.class.getResource("/tokenizer/" + p).toURI());
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(JsonNode n) { return n == null ? null : (List<Object>) ChatTemplate.fromJson(n); }

    @Test void everyCaseExact() throws Exception {
        Map<String, TextTokenizer> toks = new HashMap<>();
        Map<String, ChatTemplate> templates = new HashMap<>();
        List<String> bad = new ArrayList<>();
        int n = 0, exact = 0;
        Map<String, int[]> perTemplate = new LinkedHashMap<>();
        for (String line : Files.readAllLines(res("chat/cases.jsonl"))) {
            JsonNode c = OM.readTree(line);
            String name = c.get("template").asText();
            TextTokenizer tok = toks.computeIfAbsent(c.get("tokenizer").asText(), t -> {
                try { return TextTokenizer.load(res("bpe/" + t)); } catch (Exception e) { throw new RuntimeException(e); }
            });
            ChatTemplate tpl = templates.computeIfAbsent(name, t -> {
                try { return ChatTemplate.of(Files.readString(res("chat/templates/" + t + ".jinja"))); } catch (Exception e) { throw new RuntimeException(e); }
            });
            Map<String, Object> kwargs = c.has("kwargs") ? (Map<String, Object>) ChatTemplate.fromJson(c.get("kwargs")) : Map.of();
            String what = name + "/" + c.get("chat").asText() + " agp=" + c.get("add_generation_prompt").asBoolean() + (c.has("kwargs") ? " " + c.get("kwargs") : "");
            n++;
            perTemplate.computeIfAbsent(name, k -> new int[2])[0]++;
            try {
                ChatTemplate.Rendered r = tpl.apply(tok, list(c.get("messages")), c.get("add_generation_prompt").asBoolean(), list(c.get("tools")), kwargs);
                if (c.has("error")) { bad.add(what + ": expected error \"" + c.get("error").asText() + "\", rendered " + OM.writeValueAsString(r.text())); continue; }
                String expected = c.get("rendered").asText();
                if (!expected.equals(r.text())) { bad.add(what + ":\n  expected " + OM.writeValueAsString(expected) + "\n  actual   " + OM.writeValueAsString(r.text())); continue; }
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = c.get("ids").get(i).asInt();
                if (!Arrays.equals(ids, r.ids())) { bad.add(what + ": ids differ\n  expected " + Arrays.toString(ids) + "\n  actual   " + Arrays.toString(r.ids())); continue; }
            } catch (ChatTemplateException e) {
                if (!c.has("error")) { bad.add(what + ": unexpected " + e.kind() + " " + e.getMessage()); continue; }
                if (e.kind() != ChatTemplateException.Kind.RAISED || !e.getMessage().equals("template raised: " + c.get("error").asText())) {
                    bad.add(what + ": expected raised \"" + c.get("error").asText() + "\", got " + e.kind() + " " + e.getMessage());
                    continue;
                }
            }
            exact++;
            perTemplate.get(name)[1]++;
        }
        StringBuilder summary = new StringBuilder();
        perTemplate.forEach((k, v) -> summary.append(' ').append(k).append(' ').append(v[1]).append('/').append(v[0]));
        System.out.printf("GOLDEN chat templates: %d cases, %d exact;%s%n", n, exact, summary);
        assertTrue(bad.isEmpty(), bad.size() + " mismatches:\n" + String.join("\n", bad.subList(0, Math.min(12, bad.size()))));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny_llama", "tiny_qwen2"})
    void sharedFixturesExact(String name) throws Exception {
        Path dir = Shared.require("fixtures/causal/" + name);
        TextTokenizer tok = TextTokenizer.load(dir);
        ChatTemplate tpl = ChatTemplate.load(dir).orElseThrow();
        JsonNode cases = OM.readTree(dir.resolve("expected.json").toFile()).get("chat_template");
        int exact = 0;
        for (JsonNode c : cases) {
            ChatTemplate.Rendered r = tpl.apply(tok, list(c.get("messages")), c.get("add_generation_prompt").asBoolean());
            assertEquals(c.get("rendered").asText(), r.text());
            int[] ids = new int[c.get("ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = c.get("ids").get(i).asInt();
            assertEquals(Arrays.toString(ids), Arrays.toString(r.ids()));
            exact++;
        }
        System.out.printf("GOLDEN shared/%s chat_template: %d cases, %d exact%n", name, cases.size(), exact);
    }
}
