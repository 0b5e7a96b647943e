package io.peft4j.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.Fixtures;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GPT-2 fixtures made by {@code dsl/src/test/python/gen_gpt2_fixtures.py} (transformers 5.18 +
 * peft 0.21), under test resources {@code io/peft4j/model/gpt2/}: {@code tiny_gpt2} (tied, F32, LoRA
 * adapters {@code lora_c_attn} and {@code lora_all_linear}) and {@code tiny_gpt2_variant} (untied,
 * BF16, n_inner, inverse-layer attention scaling).
 */
public final class Gpt2Fixtures {
    private Gpt2Fixtures() {}

    /** Suggested tolerances of the fixtures (expected.json). */
    public static final double LOGIT_TOL = 1e-4, LOSS_TOL = 1e-5, MARGIN = 1e-3;

    public static Path dir(String model) {
        try {
            var url = Gpt2Fixtures.class.getResource("/io/peft4j/model/gpt2/" + model + "/config.json");
            assertNotNull(url, "test resource io/peft4j/model/gpt2/" + model + " is missing");
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) { throw new IllegalStateException(e); }
    }

    public static JsonNode expected(String model) {
        try {
            return new ObjectMapper().readTree(dir(model).resolve("expected.json").toFile());
        } catch (IOException e) { throw new RuntimeException(e); }
    }

    public static Batch batch(JsonNode b) { return Fixtures.batch(b); }

    public static int[][] ints(JsonNode n) { return Fixtures.ints(n); }

    /**
     * Checks a forward's loss, logits summary (first16, sum, abs_sum, sq_sum, weighted_sum over every
     * position), the sum over valid positions and the argmax where the mask is 1 and the top-1/top-2
     * margin is at least 1e-3. @return the largest |logit - reference| among the first 16
     */
    /** Largest deviations seen by {@link #checkForward} in this JVM: |loss|, |sum| / abs_sum (for the report lines). */
    static double maxLossDeviation, maxSumDeviationRel;

    /** One line with the largest loss and checksum deviations seen so far. */
    public static String deviations() {
        return String.format("largest |loss - ref| %.3g, largest |logits_sum - ref| / abs_sum %.3g", maxLossDeviation, maxSumDeviationRel);
    }

    public static double checkForward(String what, double loss, INDArray logits, Batch batch, JsonNode ref) {
        assertEquals(ref.get("loss").asDouble(), loss, LOSS_TOL, what + " loss");
        maxLossDeviation = Math.max(maxLossDeviation, Math.abs(ref.get("loss").asDouble() - loss));
        double s = logits.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).sumNumber().doubleValue();
        maxSumDeviationRel = Math.max(maxSumDeviationRel,
            Math.abs(s - ref.get("logits").get("sum").asDouble()) / ref.get("logits").get("abs_sum").asDouble());
        Fixtures.checkSummary(what + " logits", logits, ref.get("logits"), LOGIT_TOL);
        double[] v = logits.dup('c').data().asDouble();
        int B = (int) logits.size(0), T = (int) logits.size(1), V = (int) logits.size(2);
        double valid = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                if (batch.attentionMask()[b][t] == 1) for (int k = 0; k < V; k++) valid += v[(b * T + t) * V + k];
        double absRef = ref.get("logits").get("abs_sum").asDouble();
        assertEquals(ref.get("logits_valid_sum").asDouble(), valid, 1e-5 * absRef, what + " logits_valid_sum");
        int[][] am = Fixtures.argmax(logits), want = ints(ref.get("argmax"));
        JsonNode margin = ref.get("top2_margin");
        int compared = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                if (batch.attentionMask()[b][t] == 1 && margin.get(b).get(t).asDouble() >= MARGIN) {
                    assertEquals(want[b][t], am[b][t], what + " argmax[" + b + "][" + t + "]");
                    compared++;
                }
        assertTrue(compared > 0, what + ": no argmax compared");
        double worst = 0;
        JsonNode f = ref.get("logits").get("first16");
        for (int i = 0; i < f.size(); i++) worst = Math.max(worst, Math.abs(f.get(i).asDouble() - v[i]));
        return worst;
    }
}
