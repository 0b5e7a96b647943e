package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.peft.ParityFixtures;
import io.peft4j.model.t5.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.Map;

import static io.peft4j.cli.ForwardGenerateCommandTest.JSON;
import static io.peft4j.cli.ForwardGenerateCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code forward --adapter DIR [--merge]} and {@code generate --adapter DIR} with the adapters PEFT
 * 0.21 made in peft_parity.py (DoRA, unconverted and converted PiSSA / OLoRA, PiSSA under DoRA,
 * gaussian): PEFT's losses, argmax, logits and greedy ids; an unconverted pissa_niter_N adapter is
 * a one-line error saying how to convert it.
 */
class ParityCliTest {

    static String forwardInput() {
        StringBuilder in = new StringBuilder();
        for (JsonNode b : ParityFixtures.rawBatches()) {
            var req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids")); req.set("attention_mask", b.get("attention_mask")); req.set("labels", b.get("labels"));
            in.append(req).append('\n');
        }
        return in.toString();
    }

    @ParameterizedTest(name = "{0}/{1} {2}")
    @CsvSource({"dora_qv,adapter,unmerged", "dora_qv,adapter,merged", "dora_all_rslora,adapter,unmerged", "dora_all_rslora,adapter,merged",
        "pissa,adapter,unmerged", "pissa,adapter,merged", "pissa,converted,converted", "olora,adapter,unmerged", "olora,converted,converted",
        "pissa_niter_2,converted,converted", "dora_pissa,adapter,unmerged", "dora_pissa,adapter,merged", "gaussian,adapter,unmerged"})
    void forwardWithPeftAdapterGivesPeftsNumbers(String fx, String folder, String key) {
        Path model = Fixtures.dir("tiny_flan"), adapter = ParityFixtures.dir(fx).resolve(folder);
        JsonNode info = ParityFixtures.info(fx);
        Map<String, INDArray> t = ParityFixtures.tensors(fx);
        ForwardGenerateCommandTest.Run r = key.equals("merged")
            ? run(new ForwardCommand(), forwardInput(), "--model", model.toString(), "--adapter", adapter.toString(), "--merge")
            : run(new ForwardCommand(), forwardInput(), "--model", model.toString(), "--adapter", adapter.toString());
        assertEquals(0, r.rc(), r.err());
        double tol = fx.equals("dora_all_rslora") ? 5e-4 : 1e-4;      // see DoraParityTest: PEFT's own merged/unmerged spread is 7.7e-5 there
        double worstLogit = 0, worstLoss = 0;
        for (int i = 0; i < r.lines().length; i++) {
            JsonNode a;
            try { a = JSON.readTree(r.lines()[i]); } catch (Exception e) { throw new AssertionError(e); }
            INDArray ref = t.get(key + ".logits." + i);
            double[] v = ref.dup('c').data().asDouble();
            worstLoss = Math.max(worstLoss, Math.abs(info.get(key + "_loss").get(i).asDouble() - a.get("loss").asDouble()));
            for (int k = 0; k < 16; k++) worstLogit = Math.max(worstLogit, Math.abs(v[k] - a.get("logits_first16").get(k).asDouble()));
            double sum = 0, abs = 0;
            for (double x : v) { sum += x; abs += Math.abs(x); }
            assertEquals(sum, a.get("logits_sum").asDouble(), 1e-5 * abs, fx + " logits sum, batch " + i);
            int[][] argmax = Fixtures.argmax(ref);
            assertArrayEquals(argmax, Fixtures.ints(a.get("argmax")), fx + " argmax, batch " + i);
        }
        assertEquals(ParityFixtures.rawBatches().size(), r.lines().length);
        ParityFixtures.report("CLI forward " + fx + "/" + folder + (key.equals("merged") ? " --merge" : "") + " logits_first16", worstLogit, tol);
        ParityFixtures.report("CLI forward " + fx + "/" + folder + (key.equals("merged") ? " --merge" : "") + " loss", worstLoss, 1e-5);
    }

    @ParameterizedTest(name = "{0}{1}")
    @CsvSource({"dora_qv,''", "dora_qv,--merge", "dora_all_rslora,''"})
    void generateWithPeftDoraAdapterGivesPeftsGreedyIds(String fx, String merge) {
        Path model = Fixtures.dir("tiny_flan"), adapter = ParityFixtures.dir(fx).resolve("adapter");
        StringBuilder in = new StringBuilder();
        for (JsonNode b : ParityFixtures.rawBatches()) {
            var req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids")); req.set("attention_mask", b.get("attention_mask"));
            in.append(req).append('\n');
        }
        ForwardGenerateCommandTest.Run r = merge.isEmpty()
            ? run(new GenerateCommand(), in.toString(), "--model", model.toString(), "--adapter", adapter.toString(), "--max-new-tokens", "12")
            : run(new GenerateCommand(), in.toString(), "--model", model.toString(), "--adapter", adapter.toString(), "--max-new-tokens", "12", merge);
        assertEquals(0, r.rc(), r.err());
        JsonNode greedy = ParityFixtures.info(fx).get("greedy");
        assertEquals(greedy.size(), r.lines().length);
        for (int i = 0; i < greedy.size(); i++) {
            try {
                assertEquals(greedy.get(i), JSON.readTree(r.lines()[i]).get("sequences"), fx + " greedy ids, batch " + i);
            } catch (java.io.IOException e) { throw new AssertionError(e); }
        }
    }

    @Test
    void unconvertedPissaNiterAdapterIsAOneLineErrorSayingHowToConvert() {
        Path model = Fixtures.dir("tiny_flan"), adapter = ParityFixtures.dir("pissa_niter_2").resolve("adapter");
        ForwardGenerateCommandTest.Run r = run(new ForwardCommand(), forwardInput(), "--model", model.toString(), "--adapter", adapter.toString());
        assertNotEquals(0, r.rc());
        assertEquals(0, r.lines().length);
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertTrue(r.err().contains("pissa_niter_2") && r.err().contains("path_initial_model_for_weight_conversion"), r.err());
    }
}
