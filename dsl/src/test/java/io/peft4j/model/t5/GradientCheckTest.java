package io.peft4j.model.t5;

import io.peft4j.testutil.Float64Reference;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;

import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Finite-difference checks (float64) of the full model's backward for every parameter kind, on tiny
 * random configs: gated-GELU untied and ReLU tied, inner attention size != d_model, different
 * encoder/decoder depths, dropout active (masks are reproducible per (seed, step)), a soft prompt.
 */
class GradientCheckTest {
    private static int threadsBefore;

    /** Tiny tensors: one thread avoids OpenMP synchronisation costs on every small op (several x faster). */
    @org.junit.jupiter.api.BeforeAll static void oneThread() {
        threadsBefore = Nd4j.getEnvironment().maxThreads();
        Nd4j.getEnvironment().setMaxThreads(1);
    }

    @org.junit.jupiter.api.AfterAll static void restoreThreads() { Nd4j.getEnvironment().setMaxThreads(threadsBefore); }

    static T5Config tiny(String ffp, boolean tied, int encLayers, int decLayers, double dropout) {
        var n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("vocab_size", 23); n.put("d_model", 8); n.put("d_kv", 3); n.put("num_heads", 2); n.put("d_ff", 10);
        n.put("num_layers", encLayers); n.put("num_decoder_layers", decLayers);
        n.put("relative_attention_num_buckets", 8); n.put("relative_attention_max_distance", 12);
        n.put("feed_forward_proj", ffp); n.put("tie_word_embeddings", tied); n.put("dropout_rate", dropout);
        return T5Config.fromJson(n);
    }

    static Batch batch() {
        return new Batch(
            new int[][]{{5, 7, 9, 11, 3, 1}, {4, 6, 1, 0, 0, 0}, {0, 0, 8, 2, 13, 1}},
            new int[][]{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}, {0, 0, 1, 1, 1, 1}},
            new int[][]{{3, 4, 5, 1}, {9, 1, -100, -100}, {2, -100, 7, 1}});
    }

    private static double loss(T5Model m, Batch b) {
        return m.forwardLoss(b, ForwardContext.training(42, 3));
    }

    /** Checks 2 elements (largest analytic gradient + 1 random) of every parameter. */
    static void check(T5Model m, Batch b, Set<String> kindsSeen) {
        m.setAllTrainable(true);
        m.zeroGrad();
        loss(m, b);
        m.backward();
        Random r = new Random(7);
        double eps = 1e-6;
        for (Parameter p : m.parameters()) {
            INDArray g = p.grad().dup();
            INDArray v = p.value();
            long n = v.length();
            List<Long> idx = new ArrayList<>();
            idx.add(Nd4j.argMax(Transforms_abs(g).reshape(n)).getLong(0));
            idx.add((long) r.nextInt((int) n));
            double gmax = Math.abs(g.reshape(n).getDouble(idx.get(0)));
            assertTrue(gmax > 0, p.name() + " has an all-zero gradient");
            for (long i : idx) {
                double orig = v.reshape(n).getDouble(i);
                v.reshape(n).putScalar(i, orig + eps);
                double lp = loss(m, b);
                v.reshape(n).putScalar(i, orig - eps);
                double lm = loss(m, b);
                v.reshape(n).putScalar(i, orig);
                double fd = (lp - lm) / (2 * eps), an = g.reshape(n).getDouble(i);
                assertEquals(fd, an, 1e-7 + 1e-5 * Math.abs(fd), p.name() + "[" + i + "] finite difference vs backward");
            }
            kindsSeen.add(kind(p.name()));
        }
    }

    static INDArray Transforms_abs(INDArray a) { return org.nd4j.linalg.ops.transforms.Transforms.abs(a, true); }

    static String kind(String name) {
        String k = name.replaceAll("\\.\\d+\\.", ".N.");
        return k.replaceAll("^(encoder|decoder)\\.", "").replaceAll("block\\.N\\.layer\\.N\\.", "");
    }

    /**
     * The float32 fast paths (fused softmax + dropout per head, dropout and softmax backward in place,
     * chunked GELU and norms) give the float64 reference path's loss and gradients, dropout active:
     * both draw the same masks, so any misplaced range or skipped element shows up here.
     */
    @Test
    void float32FastPathsMatchTheFloat64PathWithDropout() {
        // every weight trainable, then only the attention q and v weights (LoRA's usual targets): frozen
        // projections' inputs then share storage across blocks, which must not change any gradient
        for (String ffp : List.of("gated-gelu", "relu")) for (boolean onlyQv : List.of(false, true)) {
            T5Config c = tiny(ffp, false, 2, 2, 0.1);
            T5Model m32 = T5Model.fromConfig(c, 11, DataType.FLOAT), m64 = T5Model.fromConfig(c, 11, DataType.DOUBLE);
            Float64Reference.assertGradientsMatch(m32, m64, batch(),
                onlyQv ? n -> n.endsWith(".q.weight") || n.endsWith(".v.weight") : n -> true,
                ffp + (onlyQv ? " (q, v only)" : " (all)"), onlyQv ? 8 : 30);
        }
    }

    @Test
    void gatedUntiedWithDropout() {
        T5Model m = T5Model.fromConfig(tiny("gated-gelu", false, 2, 1, 0.1), 11, DataType.DOUBLE);
        assertEquals(6, m.config().innerDim());
        Set<String> kinds = new TreeSet<>();
        check(m, batch(), kinds);
        for (String k : List.of("shared.weight", "lm_head.weight", "SelfAttention.q.weight", "SelfAttention.k.weight",
            "SelfAttention.v.weight", "SelfAttention.o.weight", "SelfAttention.relative_attention_bias.weight",
            "EncDecAttention.q.weight", "EncDecAttention.k.weight", "EncDecAttention.v.weight", "EncDecAttention.o.weight",
            "layer_norm.weight", "final_layer_norm.weight", "DenseReluDense.wi_0.weight", "DenseReluDense.wi_1.weight",
            "DenseReluDense.wo.weight"))
            assertTrue(kinds.contains(k), "checked kind " + k + " in " + kinds);
    }

    @Test
    void reluTiedDifferentDepthsWithPrefix() {
        T5Model m = T5Model.fromConfig(tiny("relu", true, 1, 3, 0.0), 12, DataType.DOUBLE);
        Parameter prefix = new Parameter("prompt_embeddings", Nd4j.randn(DataType.DOUBLE, 2, 8).muli(0.5), true);
        m.setEncoderPrefix(prefix);
        Set<String> kinds = new TreeSet<>();
        check(m, batch(), kinds);
        assertTrue(kinds.contains("DenseReluDense.wi.weight"));
        assertTrue(kinds.contains("prompt_embeddings"));
        assertFalse(kinds.contains("lm_head.weight"), "tied model has no separate lm_head");
        assertEquals(2 + 6, m.encode(batch().inputIds(), batch().attentionMask()).size(1), "prefix prepended");
    }

    @Test
    void frozenParametersGetNoGradientAndStayIdentical() {
        T5Model m = T5Model.fromConfig(tiny("gated-gelu", false, 2, 2, 0.1), 13);
        m.setAllTrainable(false);
        List<String> qv = new ArrayList<>();
        for (var e : m.projections().entrySet())
            if (e.getKey().endsWith("Attention.q") || e.getKey().endsWith("Attention.v")) {
                for (Parameter p : e.getValue().get().parameters()) { p.setTrainable(true); qv.add(p.name()); }
            }
        Map<String, INDArray> before = new HashMap<>();
        for (Parameter p : m.parameters()) before.put(p.name(), p.value().dup());
        m.forwardLoss(batch(), ForwardContext.training(1, 0));
        m.backward();
        for (Parameter p : m.parameters()) {
            assertEquals(before.get(p.name()), p.value(), p.name() + " unchanged by backward");
            if (qv.contains(p.name())) {
                assertTrue(p.hasGrad(), p.name() + " has a gradient");
                assertTrue(p.grad().norm2Number().doubleValue() > 0, p.name() + " gradient non-zero");
            } else {
                assertFalse(p.hasGrad(), p.name() + " frozen: no gradient buffer");
                assertNull(p.grad());
            }
        }
        assertEquals(2 * (2 + 4), qv.size());
    }

    @Test
    void decoderOnlyTrainingSkipsEncoderAndMatchesFullGradient() {
        T5Model a = T5Model.fromConfig(tiny("relu", false, 2, 2, 0.0), 14, DataType.DOUBLE);
        T5Model b = T5Model.fromConfig(tiny("relu", false, 2, 2, 0.0), 14, DataType.DOUBLE);
        a.setAllTrainable(true);
        b.setAllTrainable(false);
        Parameter bq = b.baseParameters().get("decoder.block.1.layer.0.SelfAttention.q.weight");
        bq.setTrainable(true);
        a.forwardLoss(batch(), ForwardContext.training(1, 0)); a.backward();
        b.forwardLoss(batch(), ForwardContext.training(1, 0)); b.backward();
        INDArray ga = a.baseParameters().get("decoder.block.1.layer.0.SelfAttention.q.weight").grad();
        assertEquals(0, ga.sub(bq.grad()).amaxNumber().doubleValue(), 1e-12);
    }
}
