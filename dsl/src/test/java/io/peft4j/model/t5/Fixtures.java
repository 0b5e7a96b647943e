package io.peft4j.model.t5;

import io.peft4j.model.Batch;
import io.peft4j.model.t5.Fixtures;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.testutil.Shared;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Helpers for the reference fixtures in ../shared/fixtures/t5 (see its README). */
public final class Fixtures {
    private Fixtures() {}

    public static final String[] MODELS = {"tiny_flan", "defaults_minimal_config"};

    public static Path dir(String model) { return Shared.require("fixtures/t5/" + model); }

    public static JsonNode expected(String model) {
        try {
            return new ObjectMapper().readTree(dir(model).resolve("expected.json").toFile());
        } catch (IOException e) { throw new RuntimeException(e); }
    }

    public static int[][] ints(JsonNode n) {
        int[][] out = new int[n.size()][];
        for (int i = 0; i < n.size(); i++) {
            out[i] = new int[n.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = n.get(i).get(j).asInt();
        }
        return out;
    }

    public static Batch batch(JsonNode b) {
        return new Batch(ints(b.get("input_ids")), ints(b.get("attention_mask")), ints(b.get("labels")));
    }

    /** Checks first16, sum, abs_sum, sq_sum, weighted_sum of {@code t} against a fixture summary. */
    public static void checkSummary(String what, INDArray t, JsonNode s, double elemTol) {
        double[] v = t.dup('c').data().asDouble();
        JsonNode shape = s.get("shape");
        assertEquals(shape.size(), t.rank(), what + " rank");
        for (int i = 0; i < shape.size(); i++) assertEquals(shape.get(i).asLong(), t.size(i), what + " shape[" + i + "]");
        JsonNode f = s.get("first16");
        for (int i = 0; i < f.size(); i++)
            assertEquals(f.get(i).asDouble(), v[i], elemTol, what + " first16[" + i + "]");
        double sum = 0, abs = 0, sq = 0, w = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i]; abs += Math.abs(v[i]); sq += v[i] * v[i]; w += v[i] * ((i % 13) + 1) / 13.0;
        }
        double absRef = s.get("abs_sum").asDouble();
        assertEquals(s.get("sum").asDouble(), sum, 1e-5 * absRef, what + " sum");
        assertEquals(absRef, abs, 1e-5 * absRef, what + " abs_sum");
        assertEquals(s.get("weighted_sum").asDouble(), w, 1e-5 * absRef, what + " weighted_sum");
        assertEquals(s.get("sq_sum").asDouble(), sq, 1e-5 * s.get("sq_sum").asDouble(), what + " sq_sum");
    }

    public static int[][] argmax(INDArray logits3) {
        int b = (int) logits3.size(0), t = (int) logits3.size(1), v = (int) logits3.size(2);
        double[] d = logits3.dup('c').data().asDouble();
        int[][] out = new int[b][t];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++) {
                int base = (i * t + j) * v, best = 0;
                for (int k = 1; k < v; k++) if (d[base + k] > d[base + best]) best = k;
                out[i][j] = best;
            }
        return out;
    }
}
