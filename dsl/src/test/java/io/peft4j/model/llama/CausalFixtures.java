package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.testutil.Shared;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Checks a causal model against an {@code expected.json} in the layout of
 * {@code ../shared/fixtures/causal} (see its README): per batch loss, logits summary (first16,
 * sum, abs_sum, sq_sum, weighted_sum), logits_valid_sum, argmax where top2_margin >= 1e-3 and the
 * position is real, greedy sequences (12 new tokens). Tolerances are the fixtures' suggested
 * ones; the largest deviation seen per quantity is kept in {@link #WORST} for the report.
 */
public final class CausalFixtures {
    private CausalFixtures() {}

    public static final double LOSS_ABS = 1e-5, LOGITS_ABS = 1e-4, CHECKSUM_REL = 1e-5, GRAD_REL = 1e-4, MARGIN = 1e-3;

    /** Largest deviation per quantity seen by the checks of this JVM (for the report). */
    public static final Map<String, Double> WORST = new TreeMap<>();

    static void note(String what, double dev) { WORST.merge(what, dev, Math::max); }

    public static Path shared(String model) { return Shared.require("fixtures/causal/" + model); }

    public static JsonNode json(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) { throw new RuntimeException(e); }
    }

    public static JsonNode resource(String name) {
        try (InputStream in = CausalFixtures.class.getResourceAsStream(name)) {
            assertNotNull(in, "test resource " + name);
            return new ObjectMapper().readTree(in);
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

    /** Loss, logits summary, valid sum and argmax of one batch. */
    public static void checkForward(String what, LanguageModel m, Batch batch, JsonNode ref) {
        double loss = m.forwardLoss(batch, ForwardContext.inference());
        double dl = Math.abs(ref.get("loss").asDouble() - loss);
        note("loss_abs", dl);
        assertEquals(ref.get("loss").asDouble(), loss, LOSS_ABS, what + " loss");
        INDArray logits = m.lastLogits();
        checkSummary(what + " logits", logits, ref.get("logits"));
        int B = (int) logits.size(0), T = (int) logits.size(1), V = (int) logits.size(2);
        double[] v = logits.dup('c').data().asDouble();
        int[][] mask = batch.attentionMask();
        if (ref.has("logits_valid_sum")) {
            double valid = 0;
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                    if (mask[b][t] == 1) for (int k = 0; k < V; k++) valid += v[(b * T + t) * V + k];
            double absRef = ref.get("logits").get("abs_sum").asDouble();
            note("checksum_rel", Math.abs(valid - ref.get("logits_valid_sum").asDouble()) / absRef);
            assertEquals(ref.get("logits_valid_sum").asDouble(), valid, CHECKSUM_REL * absRef, what + " logits_valid_sum");
        }
        if (ref.has("argmax")) {
            int[][] am = ints(ref.get("argmax"));
            JsonNode margin = ref.get("top2_margin");
            int compared = 0;
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++) {
                    if (mask[b][t] != 1 || margin.get(b).get(t).asDouble() < MARGIN) continue;
                    int base = (b * T + t) * V, best = 0;
                    for (int k = 1; k < V; k++) if (v[base + k] > v[base + best]) best = k;
                    assertEquals(am[b][t], best, what + " argmax[" + b + "][" + t + "]");
                    compared++;
                }
            assertTrue(compared > 0, what + ": no argmax compared");
        }
    }

    /** first16 within {@link #LOGITS_ABS}; sum, abs_sum, weighted_sum within {@link #CHECKSUM_REL} x abs_sum; sq_sum relative. */
    public static void checkSummary(String what, INDArray t, JsonNode s) {
        double[] v = t.dup('c').data().asDouble();
        JsonNode shape = s.get("shape");
        assertEquals(shape.size(), t.rank(), what + " rank");
        for (int i = 0; i < shape.size(); i++) assertEquals(shape.get(i).asLong(), t.size(i), what + " shape[" + i + "]");
        JsonNode f = s.get("first16");
        for (int i = 0; i < f.size(); i++) {
            note("logits_elementwise_abs", Math.abs(f.get(i).asDouble() - v[i]));
            assertEquals(f.get(i).asDouble(), v[i], LOGITS_ABS, what + " first16[" + i + "]");
        }
        double sum = 0, abs = 0, sq = 0, w = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i]; abs += Math.abs(v[i]); sq += v[i] * v[i]; w += v[i] * ((i % 13) + 1) / 13.0;
        }
        double absRef = s.get("abs_sum").asDouble();
        note("checksum_rel", Math.abs(sum - s.get("sum").asDouble()) / absRef);
        note("checksum_rel", Math.abs(abs - absRef) / absRef);
        note("checksum_rel", Math.abs(w - s.get("weighted_sum").asDouble()) / absRef);
        assertEquals(s.get("sum").asDouble(), sum, CHECKSUM_REL * absRef, what + " sum");
        assertEquals(absRef, abs, CHECKSUM_REL * absRef, what + " abs_sum");
        assertEquals(s.get("weighted_sum").asDouble(), w, CHECKSUM_REL * absRef, what + " weighted_sum");
        assertEquals(s.get("sq_sum").asDouble(), sq, CHECKSUM_REL * s.get("sq_sum").asDouble(), what + " sq_sum");
    }

    /** Greedy sequences (transformers' generate, 12 new tokens, the model folder's generation settings). */
    public static void checkGreedy(String what, LanguageModel m, Path modelDir, Batch batch, JsonNode expected) {
        GenerationConfig g = GenerationConfig.forModel(modelDir, m).withMaxNewTokens(12);
        int[][] out = Generator.generate(m, batch.inputIds(), batch.attentionMask(), g);
        assertArrayEquals(ints(expected), out, what + " greedy sequences");
    }

    /** Gradient summary: shape, first16 (abs tol relative to the Frobenius norm), Frobenius norm. */
    public static void checkGrad(String what, INDArray grad, JsonNode ref) {
        for (int i = 0; i < 2; i++) assertEquals(ref.get("shape").get(i).asLong(), grad.size(i), what + " shape");
        double want = ref.get("frobenius").asDouble(), fro = grad.norm2Number().doubleValue();
        double[] v = grad.dup('c').data().asDouble();
        for (int i = 0; i < ref.get("first16").size(); i++)
            assertEquals(ref.get("first16").get(i).asDouble(), v[i], GRAD_REL * want, what + "[" + i + "]");
        note("grad_frobenius_rel", Math.abs(fro - want) / want);
        assertEquals(want, fro, GRAD_REL * want, what + " frobenius");
    }
}
