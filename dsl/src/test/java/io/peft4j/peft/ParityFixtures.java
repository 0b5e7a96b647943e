package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.t5.Fixtures;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PEFT 0.21 fixtures of {@code dsl/src/test/python/peft_parity.py} (DoRA, PiSSA, OLoRA,
 * gaussian, LoRA+), made on the tiny_flan checkpoint of ../shared: each folder under
 * {@code src/test/resources/io/peft4j/peft/parity} holds PEFT-saved adapters and
 * {@code expected.json} / {@code expected.safetensors} with PEFT's numbers. Every comparison
 * prints its largest deviation as a {@code PARITY} line.
 */
public final class ParityFixtures {
    private ParityFixtures() {}

    /** The fixture folder (skips the calling test when ../shared's tiny_flan, the base, is absent). */
    public static Path dir(String fixture) {
        Fixtures.dir("tiny_flan");
        try {
            return Path.of(ParityFixtures.class.getResource("parity/" + fixture).toURI());
        } catch (URISyntaxException e) { throw new IllegalStateException(e); }
    }

    /** The fixture model with dropout 0 (training passes are then deterministic, as the fixtures were made). */
    public static io.peft4j.model.t5.T5Model loadNoDropout(String model) { return PeftFixtures.loadNoDropout(model); }

    public static JsonNode info(String fixture) {
        try {
            return new ObjectMapper().readTree(dir(fixture).resolve("expected.json").toFile());
        } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    public static Map<String, INDArray> tensors(String fixture) { return SafeTensors.read(dir(fixture).resolve("expected.safetensors")); }

    public static List<Batch> batches() {
        List<Batch> out = new ArrayList<>();
        for (JsonNode b : Fixtures.expected("tiny_flan").get("batches")) out.add(Fixtures.batch(b));
        return out;
    }

    /** The batches as expected.json holds them (input_ids, attention_mask, labels). */
    public static JsonNode rawBatches() { return Fixtures.expected("tiny_flan").get("batches"); }

    public static double maxAbs(INDArray a, INDArray b) {
        assertTrue(java.util.Arrays.equals(a.shape(), b.shape()), "shapes " + java.util.Arrays.toString(a.shape()) + " vs " + java.util.Arrays.toString(b.shape()));
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    /** Prints and checks one deviation. */
    public static void report(String what, double deviation, double tolerance) {
        System.out.printf(java.util.Locale.ROOT, "PARITY %-64s max |peft4j - PEFT| = %.3g%n", what, deviation);
        assertTrue(deviation <= tolerance, what + ": max deviation " + deviation + " > " + tolerance);
    }

    /**
     * Runs every batch in inference and compares losses and full logits with
     * {@code <key>.logits.<i>} and {@code info[<key>_loss]}; returns the largest logit deviation.
     */
    public static double compareOutputs(String what, LanguageModel m, String fixture, String key) {
        return compareOutputs(what, m, fixture, key, 1e-4);
    }

    /** As above with a logit tolerance (deep stacks of adapters amplify float32 rounding: see {@link #peftSpread}). */
    public static double compareOutputs(String what, LanguageModel m, String fixture, String key, double logitTolerance) {
        JsonNode losses = info(fixture).get(key + "_loss");
        Map<String, INDArray> t = tensors(fixture);
        List<Batch> bs = batches();
        double worst = 0, worstLoss = 0;
        for (int i = 0; i < bs.size(); i++) {
            double loss = m.forwardLoss(bs.get(i), ForwardContext.inference());
            INDArray logits = m.lastLogits();
            INDArray ref = t.get(key + ".logits." + i);
            worst = Math.max(worst, maxAbs(logits.reshape(ref.shape()), ref));
            worstLoss = Math.max(worstLoss, Math.abs(loss - losses.get(i).asDouble()));
        }
        report(what + " logits", worst, logitTolerance);
        report(what + " loss", worstLoss, 1e-5);
        return worst;
    }

    /**
     * PEFT's own float32 noise on a fixture: the largest difference between its unmerged and merged
     * logits, which are equal in exact arithmetic.
     */
    public static double peftSpread(String fixture) {
        Map<String, INDArray> t = tensors(fixture);
        double d = 0;
        for (int i = 0; t.containsKey("unmerged.logits." + i) && t.containsKey("merged.logits." + i); i++)
            d = Math.max(d, maxAbs(t.get("unmerged.logits." + i), t.get("merged.logits." + i)));
        System.out.printf(java.util.Locale.ROOT, "PARITY %-64s max |PEFT unmerged - PEFT merged| = %.3g (PEFT's own rounding)%n", fixture + " reference", d);
        return d;
    }

    /** Asserts equal float values within {@code tol}, naming the tensor. */
    public static double compare(String what, INDArray ours, INDArray peft, double tol) {
        double d = maxAbs(ours, peft);
        report(what, d, tol);
        return d;
    }

    public static void assertClose(double expected, double actual, double tol, String what) {
        assertEquals(expected, actual, tol, what);
    }
}
