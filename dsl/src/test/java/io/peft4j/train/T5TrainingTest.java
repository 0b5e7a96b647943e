package io.peft4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.model.Parameter;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The trainer on a tiny random T5 (d_model 32, 2+2 layers, vocab 64) learning to copy its input. */
class T5TrainingTest {

    static List<Batch> copyTask(int batches, int rows, int len, long seed) {
        Random r = new Random(seed);
        List<Batch> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            int[][] in = new int[rows][len + 1], mask = new int[rows][len + 1], lab = new int[rows][len + 1];
            for (int i = 0; i < rows; i++) {
                for (int t = 0; t < len; t++) { in[i][t] = 2 + r.nextInt(10); mask[i][t] = 1; lab[i][t] = in[i][t]; }
                in[i][len] = 1; mask[i][len] = 1; lab[i][len] = 1; // </s>
            }
            out.add(new Batch(in, mask, lab));
        }
        return out;
    }

    @Test void partialFineTuningLowersLossAndLeavesFrozenWeightsBitIdentical() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("vocab_size", 64); c.put("d_model", 32); c.put("d_kv", 8); c.put("d_ff", 64);
        c.put("num_layers", 2); c.put("num_decoder_layers", 2); c.put("num_heads", 4);
        c.put("feed_forward_proj", "gated-gelu"); c.put("dropout_rate", 0.1); c.put("tie_word_embeddings", false);
        T5Model model = T5Model.fromConfig(T5Config.fromJson(c), 3);
        Map<String, float[]> frozenBefore = new HashMap<>();
        int trainable = 0;
        for (Parameter p : model.parameters()) {
            boolean train = p.name().contains("SelfAttention.q") || p.name().contains("SelfAttention.v")
                || p.name().equals("lm_head.weight") || p.name().contains("layer_norm");
            p.setTrainable(train);
            if (train) trainable++; else frozenBefore.put(p.name(), p.value().dup().data().asFloat());
        }
        assertTrue(trainable > 0 && !frozenBefore.isEmpty());
        List<Batch> train = copyTask(3, 4, 5, 1), eval = copyTask(1, 4, 5, 2);
        TrainingConfig cfg = TrainingConfig.builder().epochs(7).lr(2e-2).warmupSteps(3).schedule(Schedule.LINEAR)
            .maxGradNorm(1.0).seed(5).build();
        TrainingResult r = new Trainer(model, cfg).train(train, eval);
        assertEquals(TrainingResult.Outcome.COMPLETED, r.outcome());
        assertEquals(21, r.steps());
        double first = r.epochs().get(0).eval().get("loss"), last = r.epochs().get(r.epochs().size() - 1).eval().get("loss");
        System.out.printf("tiny T5 copy task: eval loss %.4f -> %.4f over %d steps (%.0f tok/s)%n", first, last, r.steps(), r.tokensPerSecond());
        assertTrue(last < 0.8 * first, "eval loss " + first + " -> " + last);
        for (Parameter p : model.parameters()) {
            if (frozenBefore.containsKey(p.name()))
                assertArrayEquals(frozenBefore.get(p.name()), p.value().data().asFloat(), "frozen " + p.name() + " changed");
        }
    }
}
