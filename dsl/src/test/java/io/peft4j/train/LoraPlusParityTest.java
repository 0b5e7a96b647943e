package io.peft4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.model.Batch;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraModel;
import io.peft4j.peft.ParityFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LoRA+ against PEFT 0.21's {@code create_loraplus_optimizer(model, torch.optim.AdamW, lr=5e-3,
 * loraplus_lr_ratio=16, loraplus_weight_decay=0.01)} (fixtures of peft_parity.py): the same four
 * parameter groups with the same members, rates and weight decay, and five trainer steps from the
 * same initial adapter give PEFT's losses, parameters and AdamW moments.
 */
class LoraPlusParityTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"loraplus", "loraplus_dora"})
    void groupsAndFiveStepsMatchPeft(String fx) {
        JsonNode info = ParityFixtures.info(fx);
        Map<String, INDArray> t = ParityFixtures.tensors(fx);
        T5Model m = ParityFixtures.loadNoDropout("tiny_flan");
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, ParityFixtures.dir(fx).resolve("initial"));
        double lr = info.get("lr").asDouble(), ratio = info.get("loraplus_lr_ratio").asDouble(), wd = info.get("loraplus_weight_decay").asDouble();

        TrainingConfig cfg = TrainingConfig.builder().maxSteps(info.get("train").get("steps").asInt()).learningRate(lr)
            .schedule(Schedule.LINEAR).weightDecay(wd).maxGradNorm(1.0).shuffle(false).evalEveryEpoch(false).loraPlusLrRatio(ratio).build();
        Trainer trainer = new Trainer(m, cfg);
        List<Batch> batches = ParityFixtures.batches();
        TrainingResult r = trainer.train(batches, List.of());

        List<AdamW.Group> groups = trainer.optimizer().groups();
        assertEquals(info.get("groups").size(), groups.size());
        for (int g = 0; g < groups.size(); g++) {
            JsonNode want = info.get("groups").get(g);
            AdamW.Group got = groups.get(g);
            assertEquals(want.get("name").asText(), got.name());
            List<String> names = new ArrayList<>();
            want.get("params").forEach(n -> names.add(n.asText()));
            assertEquals(names, got.params().stream().map(Parameter::name).toList(), "members of " + got.name() + ", in PEFT's order");
            assertEquals(want.get("lr").asDouble(), lr * got.lrFactor(), 1e-15, "learning rate of " + got.name());
            assertEquals(want.get("weight_decay").asDouble(), got.weightDecay(), 0.0, "weight decay of " + got.name());
        }
        if (fx.equals("loraplus_dora"))
            assertTrue(groups.get(2).params().stream().anyMatch(p -> p.name().contains("lora_magnitude_vector")), "DoRA magnitudes (1-D) train at B's rate");

        JsonNode losses = info.get("train").get("losses");
        double lossDev = 0;
        for (int i = 0; i < losses.size(); i++) lossDev = Math.max(lossDev, Math.abs(losses.get(i).asDouble() - r.stepLosses().get(i)));
        ParityFixtures.report(fx + " training loss, 5 LoRA+ AdamW steps", lossDev, 1e-4);
        double params = 0, m1 = 0, m2 = 0;
        Map<String, INDArray> state = trainer.optimizer().state();
        for (Parameter p : lora.trainable()) {
            params = Math.max(params, ParityFixtures.maxAbs(p.value(), t.get("final." + p.name())));
            m1 = Math.max(m1, ParityFixtures.maxAbs(state.get(p.name() + ".exp_avg"), t.get("exp_avg." + p.name())));
            m2 = Math.max(m2, ParityFixtures.maxAbs(state.get(p.name() + ".exp_avg_sq"), t.get("exp_avg_sq." + p.name())));
        }
        assertEquals((long) info.get("adam_step").asDouble(), trainer.optimizer().stepCount());
        ParityFixtures.report(fx + " parameters after 5 steps", params, 1e-3);
        ParityFixtures.report(fx + " AdamW exp_avg after 5 steps", m1, 1e-5);
        ParityFixtures.report(fx + " AdamW exp_avg_sq after 5 steps", m2, 1e-7);
    }

    @Test
    void groupsFollowPeftsRules() {
        Parameter a = p("enc.q.lora_A.default.weight", 4, 8), b = p("enc.q.lora_B.default.weight", 8, 4),
            mag = p("enc.q.lora_magnitude_vector.default.weight", 8), head = p("lm_head.weight", 10, 8),
            lnW = p("ln_f.weight", 8), lnB = p("ln_f.bias", 8), rms = p("final_layer_norm.weight", 8), bias = p("c_attn.bias", 24),
            emb = p("wte.lora_embedding_A.default", 4, 10), frozen = p("enc.q.weight", 8, 8);
        frozen.setTrainable(false);
        List<AdamW.Group> g = LoraPlus.groups(List.of(a, b, mag, head, lnW, lnB, rms, bias, emb, frozen), 1e-3, 16, 0.1);
        assertEquals(List.of("groupA", "embedding", "groupB", "groupB_no_decay"), g.stream().map(AdamW.Group::name).toList());
        assertEquals(List.of(a, head), g.get(0).params());
        assertEquals(List.of(emb), g.get(1).params());
        assertEquals(List.of(b, mag, rms), g.get(2).params(), "lora_B and 1-D parameters outside LayerNorms and without 'bias'");
        assertEquals(List.of(lnW, lnB, bias), g.get(3).params(), "biases and LayerNorm (weight + bias) parameters");
        assertEquals(1.0, g.get(0).lrFactor());
        assertEquals(1e-6 / 1e-3, g.get(1).lrFactor(), 1e-15);
        assertEquals(16.0, g.get(2).lrFactor());
        assertEquals(16.0, g.get(3).lrFactor());
        assertEquals(List.of(0.1, 0.1, 0.1, 0.0), g.stream().map(AdamW.Group::weightDecay).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraPlus.groups(List.of(a), 1e-3, 0, 0));
        assertTrue(e.getMessage().contains("loraplus_lr_ratio") && e.getMessage().contains("0.0"), e.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().loraPlusLrRatio(-2).build());
        assertTrue(c.getMessage().contains("loraPlusLrRatio") && c.getMessage().contains("-2"), c.getMessage());
    }

    @Test
    void groupedAdamWUsesEachGroupsRateAndDecay() {
        Parameter x = p("x.weight", 3), y = p("y.weight", 3);
        for (Parameter q : List.of(x, y)) { q.value().assign(1.0); q.grad().assign(0.5); }
        AdamW opt = AdamW.withGroups(List.of(new AdamW.Group("slow", List.of(x), 1.0, 0.0), new AdamW.Group("fast", List.of(y), 4.0, 0.5)),
            AdamW.Options.torchDefaults());
        opt.step(0.01);
        // first step: update = lr * sign(g) (bias-corrected m / sqrt(v) = 1), decay p *= 1 - lr * wd first
        assertEquals(1.0 - 0.01, x.value().getDouble(0), 1e-6);
        assertEquals(1.0 * (1 - 0.04 * 0.5) - 0.04, y.value().getDouble(0), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> AdamW.withGroups(List.of(new AdamW.Group("a", List.of(x), 1, 0), new AdamW.Group("b", List.of(x), 1, 0)),
            AdamW.Options.torchDefaults()), "a parameter in two groups");
    }

    @Test
    void loraPlusRunsResumeBitIdenticallyAndOnlyWithTheSameRatio(@TempDir Path tmp) {
        List<Batch> train = TinyModel.copyTask(6, 3, 5, 12, 1);
        TrainingConfig.Builder cfg = TrainingConfig.builder().epochs(2).lr(0.05).schedule(Schedule.LINEAR).seed(3)
            .evalEveryEpoch(false).checkpointEvery(2).loraPlusLrRatio(4);
        TinyModel a = new TinyModel(12, 8, 16, 0.2, 5);
        TrainingResult ra = new Trainer(a, cfg.checkpointDir(tmp.resolve("a")).build()).train(train, List.of());
        TinyModel b = new TinyModel(12, 8, 16, 0.2, 5);
        Trainer tb = new Trainer(b, cfg.checkpointDir(tmp.resolve("b")).build());
        tb.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) { if (e.step() == 3) Thread.currentThread().interrupt(); }
        });
        assertEquals(TrainingResult.Outcome.INTERRUPTED, tb.train(train, List.of()).outcome());
        assertEquals("groupB", tb.optimizer().groups().get(2).name());
        assertTrue(tb.optimizer().groups().get(3).params().stream().anyMatch(q -> q.name().equals("lm_head.bias")), "a bias goes to groupB_no_decay");
        CheckpointException wrong = assertThrows(CheckpointException.class, () ->
            new Trainer(new TinyModel(12, 8, 16, 0.2, 9), cfg.loraPlusLrRatio(0).checkpointDir(tmp.resolve("b")).build()).resume(tmp.resolve("b"), train, List.of()));
        assertTrue(wrong.getMessage().contains("loraPlusLrRatio"), wrong.getMessage());
        TinyModel c = new TinyModel(12, 8, 16, 0.2, 9);
        TrainingResult rc = new Trainer(c, cfg.loraPlusLrRatio(4).checkpointDir(tmp.resolve("b")).build()).resume(tmp.resolve("b"), train, List.of());
        assertEquals(ra.stepLosses(), rc.stepLosses());
        for (int i = 0; i < a.parameters().size(); i++)
            assertArrayEquals(a.parameters().get(i).value().data().asFloat(), c.parameters().get(i).value().data().asFloat(), a.parameters().get(i).name());
    }

    private static Parameter p(String name, long... shape) { return new Parameter(name, Nd4j.zeros(shape), true); }
}
