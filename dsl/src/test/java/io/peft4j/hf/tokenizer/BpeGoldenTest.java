package io.peft4j.hf.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every record of the golden sets, exact: the six tokenizers of
 * {@code src/test/resources/tokenizer/bpe/} (made by {@code gen_bpe_tokenizers.py} with
 * tokenizers 0.23 / transformers 5.18: ids with and without the post-processor's specials, decodes
 * with and without special tokens, decodes of random id sequences) and the shared causal fixtures'
 * {@code tokenizer_examples.jsonl}.
 */
class BpeGoldenTest {
    static final ObjectMapper OM = new ObjectMapper();

    static Path resources() throws URISyntaxException {
        return Path.of(BpeGoldenTest.class.getResource("/tokenizer/bpe").toURI());
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    static List<JsonNode> lines(Path p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(p)) if (!l.isBlank()) out.add(OM.readTree(l));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "roberta", "llama3", "qwen2", "llama2", "mistral"})
    void everyRecordExact(String name) throws Exception {
        Path dir = resources().resolve(name);
        TextTokenizer tok = TextTokenizer.load(dir);
        assertTrue(tok instanceof BpeTokenizer, tok.toString());
        List<JsonNode> texts = lines(resources().resolve("texts.jsonl"));
        List<JsonNode> ex = lines(dir.resolve("examples.jsonl"));
        List<String> bad = new ArrayList<>();
        int checked = 0, exact = 0;
        for (int i = 0; i < ex.size(); i++) {
            JsonNode e = ex.get(i);
            int before = bad.size();
            if (e.has("decode_ids")) {
                int[] ids = ints(e.get("decode_ids"));
                check(bad, name + " decode " + Arrays.toString(ids), e.get("decoded").asText(), tok.decode(ids, false));
                check(bad, name + " decode-skip " + Arrays.toString(ids), e.get("decoded_skip").asText(), tok.decode(ids));
                checked++;
                if (bad.size() == before) exact++;
                continue;
            }
            String text = texts.get(i).get("text").asText();
            int[] ids = ints(e.get("ids"));
            check(bad, name + " ids of " + OM.writeValueAsString(text), Arrays.toString(ids), Arrays.toString(tok.encode(text)));
            check(bad, name + " plain ids of " + OM.writeValueAsString(text), e.get("ids_plain").toString().replace(",", ", "),
                Arrays.toString(tok.encode(text, false)));
            check(bad, name + " decode of " + OM.writeValueAsString(text), e.has("decoded") ? e.get("decoded").asText() : text, tok.decode(ids, false));
            check(bad, name + " decode-skip of " + OM.writeValueAsString(text), e.has("decoded_skip") ? e.get("decoded_skip").asText() : text, tok.decode(ids));
            checked++;
            if (bad.size() == before) exact++;
        }
        System.out.printf("GOLDEN bpe/%s: %d records, %d exact%n", name, checked, exact);
        assertTrue(bad.isEmpty(), bad.size() + " mismatches, first: " + String.join("\n", bad.subList(0, Math.min(8, bad.size()))));
    }

    static void check(List<String> bad, String what, String expected, String actual) {
        if (!expected.equals(actual)) bad.add(what + ":\n   expected " + expected + "\n   actual   " + actual);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny_llama", "tiny_qwen2"})
    void sharedExamplesExact(String name) throws Exception {
        Path dir = Shared.require("fixtures/causal/" + name);
        TextTokenizer tok = TextTokenizer.load(dir);
        List<String> bad = new ArrayList<>();
        List<JsonNode> ex = lines(dir.resolve("tokenizer_examples.jsonl"));
        int exact = 0;
        for (JsonNode e : ex) {
            int before = bad.size();
            String text = e.get("text").asText();
            int[] ids = ints(e.get("ids"));
            check(bad, name + " ids of " + OM.writeValueAsString(text), Arrays.toString(ids), Arrays.toString(tok.encode(text)));
            check(bad, name + " decode of " + OM.writeValueAsString(text), e.get("decoded").asText(), tok.decode(ids, false));
            check(bad, name + " decode-skip of " + OM.writeValueAsString(text), e.get("decoded_skip_special").asText(), tok.decode(ids));
            if (bad.size() == before) exact++;
        }
        System.out.printf("GOLDEN shared/%s: %d records, %d exact%n", name, ex.size(), exact);
        assertEquals(List.of(), bad.subList(0, Math.min(8, bad.size())));
    }
}
