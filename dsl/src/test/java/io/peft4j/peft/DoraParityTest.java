package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Generator;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.t5.T5Model;
import io.peft4j.train.Schedule;
import io.peft4j.train.Trainer;
import io.peft4j.train.TrainingConfig;
import io.peft4j.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DoRA against PEFT 0.21 (fixtures of peft_parity.py on tiny_flan): PEFT-made adapters give PEFT's
 * logits unmerged and merged, unmerging restores the base, greedy generation agrees, gradients of
 * A, B and the magnitudes agree, and five training steps follow PEFT's trajectory.
 */
class DoraParityTest {

    static int[][] ints(JsonNode n) { return Fixtures.ints(n); }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dora_qv", "dora_all_rslora"})
    void peftAdapterGivesPeftsOutputsUnmergedAndMerged(String fx, @TempDir Path tmp) {
        JsonNode info = ParityFixtures.info(fx);
        Map<String, INDArray> t = ParityFixtures.tensors(fx);
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        Map<String, INDArray> before = new LinkedHashMap<>();
        for (Parameter p : m.baseParameters().values()) before.put(p.name(), p.value().dup());
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, ParityFixtures.dir(fx).resolve("adapter"));
        assertTrue(lora.config("default").useDora());
        ParameterCount pc = lora.trainableParameters();
        assertEquals(info.get("trainable_params").asLong(), pc.trainable(), "trainable params (A, B and magnitudes) as PEFT counts them");
        assertEquals(info.get("all_params").asLong(), pc.all(), "all params as PEFT counts them");

        // rounding grows with 36 DoRA layers at rsLoRA scaling 5.7: allow a few times PEFT's own merged-vs-unmerged spread
        double tol = Math.max(1e-4, 5 * ParityFixtures.peftSpread(fx));
        ParityFixtures.compareOutputs(fx + " unmerged", m, fx, "unmerged", tol);
        JsonNode raw = ParityFixtures.rawBatches();
        for (int i = 0; i < raw.size(); i++) {
            int[][] ids = ints(raw.get(i).get("input_ids")), mask = ints(raw.get(i).get("attention_mask"));
            assertArrayEquals(ints(info.get("greedy").get(i)), Generator.greedy(m, ids, mask, 12), fx + " greedy batch " + i);
        }

        // save -> load in peft4j: bit-identical logits
        AdapterIO.save(lora, tmp, io.peft4j.hf.SafeTensors.Dtype.F32, "tiny_flan");
        T5Model fresh = T5Model.load(Fixtures.dir("tiny_flan"));
        AdapterIO.loadLora(fresh, tmp);
        for (Batch b : ParityFixtures.batches()) assertEquals(m.logits(b), fresh.logits(b), fx + " after save/load");

        String example = info.get("example_module").asText();
        lora.merge();
        ParityFixtures.compare(fx + " merged weight " + example, lora.layers().get(example).baseWeight().value(), t.get("merged_weight." + example), 1e-5);
        ParityFixtures.compareOutputs(fx + " merged", m, fx, "merged", tol);
        lora.unmerge();
        double worst = 0;
        for (Parameter p : m.baseParameters().values()) worst = Math.max(worst, ParityFixtures.maxAbs(p.value(), before.get(p.name())));
        ParityFixtures.report(fx + " base weights after merge + unmerge", worst, 1e-5);
        ParityFixtures.compareOutputs(fx + " unmerged again", m, fx, "unmerged", tol);
    }

    @Test
    void gradientsAndFiveTrainingStepsFollowPeft() {
        String fx = "dora_qv";
        JsonNode info = ParityFixtures.info(fx);
        Map<String, INDArray> t = ParityFixtures.tensors(fx);
        T5Model m = PeftFixtures.loadNoDropout("tiny_flan");
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, ParityFixtures.dir(fx).resolve("initial"));
        List<Batch> batches = ParityFixtures.batches();

        double loss = m.forwardLoss(batches.get(0), ForwardContext.training(0, 0));
        m.backward();
        assertEquals(info.get("initial_loss_batch0").asDouble(), loss, 1e-5, "training-mode loss of batch 0");
        double worst = 0, magnitudes = 0;
        int n = 0;
        for (Parameter p : lora.trainable()) {
            INDArray ref = t.get("grad." + p.name());
            assertNotNull(ref, "PEFT has a gradient for " + p.name());
            double d = ParityFixtures.maxAbs(p.grad(), ref);
            worst = Math.max(worst, d);
            if (p.name().contains("lora_magnitude_vector")) magnitudes = Math.max(magnitudes, d);
            n++;
        }
        assertEquals(36, n, "12 modules x (A, B, magnitude)");
        ParityFixtures.report(fx + " gradients of A, B, magnitude (batch 0)", worst, 1e-5);
        ParityFixtures.report(fx + " gradients of the magnitudes (batch 0)", magnitudes, 1e-5);
        for (Parameter p : lora.trainable()) p.zeroGrad();

        JsonNode tr = info.get("train");
        TrainingConfig cfg = TrainingConfig.builder().maxSteps(tr.get("steps").asInt()).learningRate(tr.get("lr").asDouble())
            .schedule(Schedule.LINEAR).weightDecay(0).maxGradNorm(1.0).shuffle(false).evalEveryEpoch(false).build();
        TrainingResult r = new Trainer(m, cfg).train(batches, List.of());
        double lossDev = 0;
        for (int i = 0; i < r.stepLosses().size(); i++) lossDev = Math.max(lossDev, Math.abs(r.stepLosses().get(i) - tr.get("losses").get(i).asDouble()));
        assertEquals(tr.get("losses").size(), r.stepLosses().size());
        ParityFixtures.report(fx + " training loss, 5 AdamW steps", lossDev, 1e-4);
        double params = 0;
        for (Parameter p : lora.trainable()) params = Math.max(params, ParityFixtures.maxAbs(p.value(), t.get("final." + p.name())));
        ParityFixtures.report(fx + " A, B, magnitude after 5 steps", params, 1e-3);
    }
}
