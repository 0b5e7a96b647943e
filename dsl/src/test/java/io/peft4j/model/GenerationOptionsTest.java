package io.peft4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Generation options against transformers (golden data from dsl/src/test/python/gen_generation_expected.py):
 * the logits processors and warpers on random rows, and generate() with them on the tiny FLAN-T5 fixture.
 */
class GenerationOptionsTest {
    static JsonNode expected() throws IOException {
        try (InputStream in = GenerationOptionsTest.class.getResourceAsStream("generation/expected.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).isNull() ? Double.NEGATIVE_INFINITY : a.get(i).asDouble();
        return d;
    }

    static int[] ints(JsonNode a) {
        int[] d = new int[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asInt();
        return d;
    }

    static void assertRow(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Double.isInfinite(want[i])) assertEquals(want[i], got[i], what + " [" + i + "] banned");
            else assertEquals(want[i], got[i], 1e-9 * Math.max(1, Math.abs(want[i])), what + " [" + i + "]");
        }
    }

    @Test
    void processorsAndWarpersMatchTransformers() throws IOException {
        int n = 0;
        for (JsonNode c : expected().get("processor_cases")) {
            double[] scores = doubles(c.get("scores"));
            int[] seq = ints(c.get("seq"));
            double[] r = scores.clone();
            LogitsProcessors.repetitionPenalty(r, seq, seq.length, c.get("repetition_penalty").asDouble());
            assertRow(doubles(c.get("after_repetition_penalty")), r, "case " + n + " repetition penalty");
            r = scores.clone();
            LogitsProcessors.noRepeatNgram(r, seq, seq.length, c.get("no_repeat_ngram_size").asInt());
            assertRow(doubles(c.get("after_no_repeat_ngram")), r, "case " + n + " no-repeat n-gram");
            r = scores.clone();
            LogitsProcessors.warp(r, new Sampling(c.get("temperature").asDouble(), c.get("top_k").asInt(), c.get("top_p").asDouble(), 0));
            assertRow(doubles(c.get("after_warpers")), r, "case " + n + " warpers");
            n++;
        }
        assertEquals(12, n);
    }

    @Test
    void generateWithProcessorsAndBeamsMatchesTransformers() throws IOException {
        JsonNode exp = expected();
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        int[][] ids = Fixtures.ints(exp.get("batch").get("input_ids")), mask = Fixtures.ints(exp.get("batch").get("attention_mask"));
        for (JsonNode run : exp.get("generate")) {
            JsonNode kw = run.get("kwargs");
            GenerationConfig g = m.defaultGeneration().withMaxNewTokens(12);
            if (kw.has("repetition_penalty")) g = g.withRepetitionPenalty(kw.get("repetition_penalty").asDouble());
            if (kw.has("no_repeat_ngram_size")) g = g.withNoRepeatNgramSize(kw.get("no_repeat_ngram_size").asInt());
            if (kw.has("num_beams")) g = g.withNumBeams(kw.get("num_beams").asInt());
            if (kw.has("eos_token_id")) {
                List<Integer> eos = new ArrayList<>();
                kw.get("eos_token_id").forEach(x -> eos.add(x.asInt()));
                g = g.withEosTokenIds(eos);
            }
            assertArrayEquals(Fixtures.ints(run.get("sequences")), Generator.generate(m, ids, mask, g), run.get("name").asText());
        }
    }

    @Test
    void samplingIsSeededAndRespectsTopK() {
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        int[][] ids = {{74, 75, 102, 98, 86, 1}}, mask = {{1, 1, 1, 1, 1, 1}};
        GenerationConfig g = m.defaultGeneration().withMaxNewTokens(10).withSampling(new Sampling(1.5, 0, 1.0, 3));
        int[][] a = Generator.generate(m, ids, mask, g), b = Generator.generate(m, ids, mask, g);
        assertArrayEquals(a, b, "same seed, same tokens");
        int[][] c = Generator.generate(m, ids, mask, g.withSampling(new Sampling(1.5, 0, 1.0, 4)));
        assertFalse(Arrays.deepEquals(a, c), "another seed draws other tokens at temperature 1.5 (10 steps over 128 ids)");
        // top_k = 1 is greedy whatever the temperature and seed
        int[][] greedy = Generator.greedy(m, ids, mask, 10);
        assertArrayEquals(greedy, Generator.generate(m, ids, mask, g.withSampling(new Sampling(2.0, 1, 1.0, 9))));
    }

    @Test
    void sampleDrawsFromTheSoftmax() {
        double[] scores = {Math.log(0.7), Math.log(0.2), Math.log(0.1), Double.NEGATIVE_INFINITY};
        int[] counts = new int[4];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 20000; i++) counts[LogitsProcessors.sample(scores, rnd)]++;
        assertEquals(0, counts[3], "a banned token is never drawn");
        assertEquals(0.7, counts[0] / 20000.0, 0.02);
        assertEquals(0.2, counts[1] / 20000.0, 0.02);
    }

    @Test
    void streamingAndStopConditionSeeEachToken() {
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        int[][] ids = {{74, 75, 102, 98, 86, 62, 58, 61, 62, 13, 96, 58, 1}}, mask = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}};
        int[][] full = Generator.greedy(m, ids, mask, 8);
        assertEquals(9, full[0].length, "this prompt decodes 8 tokens without EOS");
        List<Integer> streamed = new ArrayList<>();
        int[][] cut = Generator.generate(m, ids, mask, m.defaultGeneration().withMaxNewTokens(8),
            (row, tok) -> streamed.add(tok), (row, gen, len) -> len == 3);
        assertEquals(List.of(full[0][1], full[0][2], full[0][3]), streamed);
        assertArrayEquals(Arrays.copyOf(full[0], 4), cut[0], "stopped after three new tokens");
    }

    @Test
    void invalidOptionsNameTheValue() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Sampling(0, 0, 1, 0));
        assertTrue(e.getMessage().contains("temperature = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sampling.of(1).topP(1.5));
        assertTrue(e.getMessage().contains("top_p = 1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(5, 1, 1, false, 1, 0, 0).withRepetitionPenalty(0));
        assertTrue(e.getMessage().contains("repetition_penalty = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(5, 2, 1, false, List.of(1), 0, 0, 1.0, 0, Sampling.of(1)));
        assertTrue(e.getMessage().contains("num_beams = 2"), e.getMessage());
    }
}
