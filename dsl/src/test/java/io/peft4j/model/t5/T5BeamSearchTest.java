package io.peft4j.model.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.Generator;
import org.junit.jupiter.api.Test;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Beam search on the shared tiny_flan fixture equals transformers 5.18's {@code generate(num_beams=K)}
 * token for token, EOS fill included (recorded by dsl/src/test/python/gen_t5_beams.py).
 */
class T5BeamSearchTest {
    @Test
    void beamSearchMatchesTransformers() throws Exception {
        JsonNode want;
        try (InputStream in = getClass().getResourceAsStream("/io/peft4j/model/t5/tiny_flan_beams.json")) {
            want = new ObjectMapper().readTree(in);
        }
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        JsonNode batches = Fixtures.expected("tiny_flan").get("batches");
        int checked = 0;
        for (JsonNode c : want.get("cases")) {
            JsonNode b = batches.get(c.get("batch").asInt());
            int[][] got = Generator.beam(m, Fixtures.ints(b.get("input_ids")), Fixtures.ints(b.get("attention_mask")),
                m.defaultGeneration().withMaxNewTokens(c.get("max_new_tokens").asInt()).withNumBeams(c.get("num_beams").asInt()));
            assertArrayEquals(Fixtures.ints(c.get("sequences")), got, "batch " + c.get("batch") + ", " + c.get("num_beams") + " beams");
            checked++;
        }
        assertEquals(9, checked);
    }
}
