package io.peft4j.hf.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.TextTokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exactness at a realistic vocabulary size (opt-in: the tokenizer is 2 MB and not committed). Make it
 * with {@code gen_bpe_tokenizers.py --big DIR}, then run with {@code -Dpeft4j.bigBpe=DIR}: every line
 * of DIR/examples.jsonl (DialogSum dev dialogues and summaries, and the fixture texts) must encode and
 * decode exactly as tokenizers 0.23 did.
 */
class BpeLargeVocabTest {
    @Test void everyExampleExact() throws Exception {
        String dir = System.getProperty("peft4j.bigBpe", System.getenv("PEFT4J_BIG_BPE"));
        Assumptions.assumeTrue(dir != null && Files.exists(Path.of(dir, "examples.jsonl")),
            "skipped: set -Dpeft4j.bigBpe to a folder made by gen_bpe_tokenizers.py --big");
        TextTokenizer t = TextTokenizer.load(Path.of(dir));
        ObjectMapper om = new ObjectMapper();
        List<String> bad = new ArrayList<>();
        int n = 0;
        for (String l : Files.readAllLines(Path.of(dir, "examples.jsonl"))) {
            JsonNode e = om.readTree(l);
            n++;
            int[] ids = new int[e.get("ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = e.get("ids").get(i).asInt();
            if (!Arrays.equals(ids, t.encode(e.get("text").asText())) || !t.decode(ids, false).equals(e.get("decoded").asText()))
                bad.add(e.get("text").asText());
        }
        System.out.printf("GOLDEN big bpe (%d ids): %d records, %d exact%n", t.vocabSize(), n, n - bad.size());
        assertTrue(bad.isEmpty(), bad.size() + " mismatches, first: " + bad.subList(0, Math.min(3, bad.size())));
    }
}
