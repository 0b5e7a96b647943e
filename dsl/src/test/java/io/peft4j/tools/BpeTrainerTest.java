package io.peft4j.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BpeTrainerTest {
    static List<String> corpus(int n) throws IOException {
        ObjectMapper om = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("../datasets/dialogues/train.jsonl"))) {
            JsonNode j = om.readTree(line);
            out.add(j.get("dialogue").asText());
            out.add(j.get("summary").asText());
            if (out.size() >= n) break;
        }
        return out;
    }

    @Test
    void learnsMergesDeterministicallyAndWritesAHuggingFaceTokenizer(@TempDir Path dir) throws IOException {
        List<String> texts = corpus(400);
        BpeTrainer.Vocabulary v = new BpeTrainer(600, 2).train(texts);
        assertEquals(600, v.tokens().size());
        assertEquals(600 - 256 - BpeTrainer.SPECIALS.size(), v.merges().size());
        assertEquals(595, v.bosId());
        assertEquals(599, v.eosId());
        // every merge joins two tokens that exist before it, and the result is the next id
        for (int i = 0; i < v.merges().size(); i++) {
            List<String> m = v.merges().get(i);
            int a = v.tokens().indexOf(m.get(0)), b = v.tokens().indexOf(m.get(1));
            assertTrue(a >= 0 && a < 256 + i && b >= 0 && b < 256 + i, "merge " + i + " uses earlier tokens");
            assertEquals(m.get(0) + m.get(1), v.tokens().get(256 + i));
        }
        // the first merges of English dialogue text: a space-prefixed letter pair is among the first few
        assertTrue(v.merges().subList(0, 10).stream().anyMatch(m -> m.get(0).equals("\u0120")), "Ġ (space) merges early");
        assertTrue(v.equals(new BpeTrainer(600, 2).train(texts)), "same texts, same vocabulary");
        BpeTrainer.write(v, dir);
        JsonNode tj = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        assertEquals("BPE", tj.get("model").get("type").asText());
        assertEquals(595, tj.get("model").get("vocab").size());
        assertEquals(v.merges().size(), tj.get("model").get("merges").size());
        assertEquals("<|begin_of_text|>", tj.get("added_tokens").get(0).get("content").asText());
        assertEquals(595, tj.get("added_tokens").get(0).get("id").asInt());
        assertTrue(Files.readString(dir.resolve("chat_template.jinja")).contains("<|start_header_id|>"));
    }

    @Test
    void refusesTooSmallVocabularies() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(200, 2));
        assertTrue(e.getMessage().contains("vocabSize = 200"), e.getMessage());
    }
}
