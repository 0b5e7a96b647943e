package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tokenize} on BPE tokenizers: ids as AutoTokenizer(text) gives them, specials per post-processor. */
class TokenizeBpeCommandTest {
    @Test void sharedCausalFixturesThroughTheCli() throws Exception {
        ObjectMapper om = new ObjectMapper();
        for (String name : List.of("tiny_llama", "tiny_qwen2")) {
            Path dir = Shared.require("fixtures/causal/" + name);
            List<JsonNode> ex = Files.readAllLines(dir.resolve("tokenizer_examples.jsonl")).stream()
                .map(l -> { try { return om.readTree(l); } catch (Exception e) { throw new RuntimeException(e); } }).toList();
            StringBuilder in = new StringBuilder();
            for (JsonNode e : ex) in.append(om.createObjectNode().put("text", e.get("text").asText())).append('\n');
            TokenizeCommandTest.Run r = TokenizeCommandTest.run(in.toString(), "--tokenizer", dir.toString());
            assertEquals(0, r.rc(), r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals(ex.size(), lines.size());
            for (int i = 0; i < ex.size(); i++)
                assertEquals(ex.get(i).get("ids"), om.readTree(lines.get(i)).get("ids"), name + " line " + i);
        }
    }

    @Test void everyFixtureTokenizerThroughTheCli() throws Exception {
        ObjectMapper om = new ObjectMapper();
        Path root = Path.of(getClass().getResource("/tokenizer/bpe").toURI());
        List<String> texts = Files.readAllLines(root.resolve("texts.jsonl"));
        for (String name : List.of("gpt2", "roberta", "llama3", "qwen2", "llama2", "mistral")) {
            TokenizeCommandTest.Run r = TokenizeCommandTest.run(String.join("\n", texts) + "\n", "--tokenizer", root.resolve(name).toString());
            assertEquals(0, r.rc(), r.err());
            List<String> got = r.out().lines().toList();
            List<String> expected = Files.readAllLines(root.resolve(name).resolve("examples.jsonl"));
            for (int i = 0; i < texts.size(); i++)
                assertEquals(om.readTree(expected.get(i)).get("ids"), om.readTree(got.get(i)).get("ids"), name + " text " + i);
        }
    }

    @Test void bosComesFromThePostProcessor() throws Exception {
        Path root = Path.of(getClass().getResource("/tokenizer/bpe").toURI());
        TokenizeCommandTest.Run r = TokenizeCommandTest.run("{\"text\": \"<s>hi\"}\n", "--tokenizer", root.resolve("llama2").toString());
        JsonNode ids = new ObjectMapper().readTree(r.out()).get("ids");
        assertEquals(1, ids.get(0).asInt());
        assertEquals(1, ids.get(1).asInt(), "a literal <s> is one id after the post-processor's");
        assertTrue(ids.size() > 2);
    }
}
