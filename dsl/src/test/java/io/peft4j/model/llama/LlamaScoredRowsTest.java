package io.peft4j.model.llama;

import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training forwards with few labelled positions compute the final norm, LM head and loss only at
 * those positions: same loss and same gradients (float32, full fine-tuning with a tied head and LoRA)
 * as the path over every position; the logits of such a pass are not offered as all positions'.
 */
class LlamaScoredRowsTest {
    static LlamaConfig config() {
        var n = LlamaGradientCheckTest.tinyJson("llama");
        n.put("tie_word_embeddings", true);
        n.put("num_hidden_layers", 2);
        return LlamaConfig.fromJson(n);
    }

    /** Two rows of 9 tokens with labels on the last 3 of each: 6 of the 18 positions predict a counted target. */
    static Batch promptMasked() {
        int[][] ids = {{1, 5, 7, 9, 11, 3, 4, 6, 2}, {1, 8, 12, 13, 14, 15, 16, 17, 2}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1}};
        int[][] labels = new int[2][9];
        for (int b = 0; b < 2; b++) for (int t = 0; t < 9; t++) labels[b][t] = t < 6 ? -100 : ids[b][t];
        return new Batch(ids, mask, labels);
    }

    record Pass(double loss, List<INDArray> grads) {}

    static Pass pass(LlamaModel m, Batch b, double share) {
        m.scoredOnlyBelow(share);
        m.zeroGrad();
        double loss = m.forwardLoss(b, ForwardContext.training(3, 1));
        m.backward();
        List<INDArray> g = new ArrayList<>();
        for (Parameter p : m.parameters()) if (p.trainable()) g.add(p.grad().dup());
        return new Pass(loss, g);
    }

    static void assertSame(Pass every, Pass scored) {
        assertEquals(every.loss(), scored.loss(), 1e-6 * Math.abs(every.loss()));
        assertEquals(every.grads().size(), scored.grads().size());
        for (int i = 0; i < every.grads().size(); i++) {
            INDArray a = every.grads().get(i), b = scored.grads().get(i);
            double scale = Math.max(1e-6, a.amaxNumber().doubleValue());
            assertTrue(a.amaxNumber().doubleValue() > 0, "gradient " + i + " is all zero");
            assertEquals(0, a.sub(b).amaxNumber().doubleValue() / scale, 1e-5, "gradient " + i);
        }
    }

    @Test
    void fullFineTuningWithTiedHeadGetsTheSameLossAndGradients() {
        LlamaModel m = LlamaModel.fromConfig(config(), 5);
        m.setAllTrainable(true);
        Batch b = promptMasked();
        assertEquals(6, io.peft4j.model.causal.CausalLmLoss.scoredRows(b.labels()).length);
        Pass every = pass(m, b, 0), scored = pass(m, b, 1);
        assertSame(every, scored);
        double inference = m.forwardLoss(b, ForwardContext.inference());
        assertEquals(inference, scored.loss(), 1e-6 * Math.abs(inference));
    }

    @Test
    void loraGetsTheSameLossAndGradients() {
        LlamaModel m = LlamaModel.fromConfig(config(), 6);
        var lora = LoraModel.of(m, LoraConfig.of("q_proj", "v_proj").withRank(4).withAlpha(8), 7);
        for (Parameter p : lora.trainable())                     // non-zero B: A gets gradients too
            if (p.name().contains("lora_B")) p.value().assign(org.nd4j.linalg.factory.Nd4j.randn(8L, p.value().shape()).castTo(p.value().dataType()).muli(0.1));
        assertSame(pass(m, promptMasked(), 0), pass(m, promptMasked(), 1));
    }

    @Test
    void logitsOfAScoredOnlyPassAreNotOfferedAsEveryPosition() {
        LlamaModel m = LlamaModel.fromConfig(config(), 5);
        Batch b = promptMasked();
        m.forwardLoss(b, ForwardContext.training(3, 1));
        IllegalStateException e = assertThrows(IllegalStateException.class, m::lastLogits);
        assertTrue(e.getMessage().contains("6 of 18 positions"), e.getMessage());
        m.forwardLoss(b, ForwardContext.inference());
        assertArrayEquals(new long[]{2, 9, config().vocabSize()}, m.lastLogits().shape());
        assertArrayEquals(new long[]{2, 9, config().vocabSize()}, m.logits(b).shape());
    }
}
