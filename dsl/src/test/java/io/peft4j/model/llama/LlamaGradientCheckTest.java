package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.testutil.Float64Reference;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import io.peft4j.model.Slot;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.*;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Float64 finite-difference checks of the Llama-shaped engine's backward: rotary embeddings (default,
 * linear, llama3), the SwiGLU MLP, and the whole model for every parameter kind on tiny random
 * configs: untied with attention and MLP biases and explicit head_dim (Llama), tied with q/k/v
 * bias (Qwen2), one key/value head with a sliding window and attention dropout (Mistral).
 */
class LlamaGradientCheckTest {
    private static int threadsBefore, parBefore;

    /** Tiny tensors: one thread avoids handing microsecond tasks to other threads (much faster on a busy machine). */
    @BeforeAll static void oneThread() {
        threadsBefore = Nd4j.getEnvironment().maxThreads();
        parBefore = io.peft4j.ops.Par.threads();
        Nd4j.getEnvironment().setMaxThreads(1);
        io.peft4j.ops.Par.setThreads(1);
    }

    @AfterAll static void restoreThreads() {
        Nd4j.getEnvironment().setMaxThreads(threadsBefore);
        io.peft4j.ops.Par.setThreads(parBefore);
    }

    static ObjectNode tinyJson(String type) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", type);
        n.put("vocab_size", 19); n.put("hidden_size", 8); n.put("intermediate_size", 10);
        n.put("num_hidden_layers", 2); n.put("num_attention_heads", 4); n.put("num_key_value_heads", 2);
        n.put("rms_norm_eps", 1e-5); n.put("max_position_embeddings", 64);
        n.put("bos_token_id", 1); n.put("eos_token_id", 2); n.put("pad_token_id", 0);
        return n;
    }

    /** Row 0 full, row 1 right-padded (training layout), row 2 left-padded. */
    static Batch batch() {
        return new Batch(
            new int[][]{{1, 5, 7, 9, 11, 3, 2}, {1, 4, 6, 2, 0, 0, 0}, {0, 0, 1, 8, 12, 13, 2}},
            new int[][]{{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0}, {0, 0, 1, 1, 1, 1, 1}},
            new int[][]{{-100, -100, 7, 9, 11, 3, 2}, {-100, 4, 6, 2, -100, -100, -100}, {-100, -100, -100, 8, 12, 13, 2}});
    }

    static LlamaModel model(LlamaConfig c, long seed) {
        LlamaModel m = LlamaModel.fromConfig(c, seed, DataType.DOUBLE, 0.35);
        Random r = new Random(seed);
        for (Parameter p : m.baseParameters().values())          // non-trivial biases and norm weights
            if (p.name().endsWith(".bias") || p.name().endsWith("norm.weight"))
                for (long i = 0; i < p.size(); i++) p.value().putScalar(i, (p.name().endsWith(".bias") ? 0 : 1) + 0.3 * r.nextGaussian());
        return m;
    }

    static void fdCheck(String name, INDArray v, INDArray grad, DoubleSupplier loss, int count, long seed) {
        long n = v.length();
        INDArray vf = v.reshape(n), gf = grad.reshape(n);
        List<Long> idx = new ArrayList<>();
        idx.add(Nd4j.argMax(Transforms.abs(gf, true)).getLong(0));
        Random r = new Random(seed);
        for (int k = 1; k < count; k++) idx.add((long) r.nextInt((int) n));
        assertTrue(Math.abs(gf.getDouble(idx.get(0))) > 0, name + " has an all-zero gradient");
        double eps = 1e-6;
        for (long i : idx) {
            double orig = vf.getDouble(i);
            vf.putScalar(i, orig + eps);
            double lp = loss.getAsDouble();
            vf.putScalar(i, orig - eps);
            double lm = loss.getAsDouble();
            vf.putScalar(i, orig);
            double fd = (lp - lm) / (2 * eps), an = gf.getDouble(i);
            assertEquals(fd, an, 1e-8 + 1e-5 * Math.abs(fd), name + "[" + i + "] finite difference vs backward");
        }
    }

    /** Every parameter: its largest gradient element and a random one. @return the parameter kinds checked */
    static Set<String> checkModel(LlamaModel m) {
        Batch b = batch();
        m.setAllTrainable(true);
        m.zeroGrad();
        DoubleSupplier loss = () -> m.forwardLoss(b, ForwardContext.training(42, 3));
        loss.getAsDouble();
        m.backward();
        Set<String> kinds = new TreeSet<>();
        for (Parameter p : m.parameters()) {
            fdCheck(p.name(), p.value(), p.grad().dup(), loss, 2, p.name().hashCode());
            kinds.add(p.name().replaceAll("\\.\\d+\\.", ".N."));
        }
        return kinds;
    }

    @Test
    void llamaUntiedWithBiasesAndExplicitHeadDim() {
        ObjectNode n = tinyJson("llama");
        n.put("head_dim", 6);                      // != hidden / heads
        n.put("attention_bias", true); n.put("mlp_bias", true);
        n.put("rope_theta", 500000.0);
        LlamaConfig c = LlamaConfig.fromJson(n);
        assertEquals(24, c.qDim());
        Set<String> kinds = checkModel(model(c, 11));
        for (String k : List.of("model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
            "model.layers.N.input_layernorm.weight", "model.layers.N.post_attention_layernorm.weight",
            "model.layers.N.self_attn.q_proj.weight", "model.layers.N.self_attn.q_proj.bias", "model.layers.N.self_attn.k_proj.bias",
            "model.layers.N.self_attn.v_proj.bias", "model.layers.N.self_attn.o_proj.bias", "model.layers.N.self_attn.o_proj.weight",
            "model.layers.N.mlp.gate_proj.weight", "model.layers.N.mlp.gate_proj.bias", "model.layers.N.mlp.up_proj.weight",
            "model.layers.N.mlp.down_proj.weight", "model.layers.N.mlp.down_proj.bias"))
            assertTrue(kinds.contains(k), "checked " + k + " in " + kinds);
    }

    /**
     * The float32 fast paths (array loops, the vectorised exp, buffers shared across layers, the
     * residual stream updated in place, frozen projections' inputs in shared storage) give the
     * float64 path's loss and gradients over three layers, attention dropout active: all weights
     * trainable, then only q and v (LoRA's usual targets).
     */
    @Test
    void float32FastPathsMatchTheFloat64Path() {
        for (String type : List.of("llama", "qwen2")) for (boolean onlyQv : List.of(false, true)) {
            ObjectNode n = tinyJson(type);
            n.put("num_hidden_layers", 3); n.put("attention_dropout", 0.2);
            LlamaConfig c = LlamaConfig.fromJson(n);
            LlamaModel m64 = model(c, 21), m32 = LlamaModel.fromConfig(c, 21, DataType.FLOAT, 0.35);
            Float64Reference.sameWeights(m64.baseParameters(), m32.baseParameters());
            Float64Reference.assertGradientsMatch(m32, m64, batch(),
                onlyQv ? p -> p.endsWith("q_proj.weight") || p.endsWith("v_proj.weight") : p -> true,
                type + (onlyQv ? " (q, v only)" : " (all)"), onlyQv ? 6 : 20);
        }
    }

    @Test
    void qwen2TiedWithQkvBias() {
        ObjectNode n = tinyJson("qwen2");
        n.put("tie_word_embeddings", true);
        n.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 1e6);
        LlamaConfig c = LlamaConfig.fromJson(n);
        assertTrue(c.qkvBias() && !c.oBias());
        LlamaModel m = model(c, 12);
        assertSame(m.baseParameters().get("model.embed_tokens.weight"),
            ((Linear) m.projections().get("lm_head").get()).weight(), "tied head multiplies by the embedding itself");
        Set<String> kinds = checkModel(m);
        assertTrue(kinds.contains("model.layers.N.self_attn.q_proj.bias"));
        assertFalse(kinds.contains("lm_head.weight"));
        assertFalse(kinds.contains("model.layers.N.self_attn.o_proj.bias"));
    }

    @Test
    void mistralOneKvHeadSlidingWindowAndDropoutWithScaledRope() {
        ObjectNode n = tinyJson("mistral");
        n.put("num_key_value_heads", 1); n.put("sliding_window", 3); n.put("attention_dropout", 0.2);
        n.putObject("rope_scaling").put("type", "linear").put("factor", 2.0);
        LlamaConfig c = LlamaConfig.fromJson(n);
        assertEquals(3, c.windowOf(1));
        assertEquals("linear", c.rope().type());
        checkModel(model(c, 13));
    }

    @Test
    void llama3RopeScaling() {
        ObjectNode n = tinyJson("llama");
        n.put("head_dim", 16);
        n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
            .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 16);
        n.put("rope_theta", 10000.0);
        checkModel(model(LlamaConfig.fromJson(n), 14));
    }

    @Test
    void rotaryBackwardIsTheTransposeAndMatchesTheFormula() {
        int heads = 3, hd = 8;
        for (RopeConfig rope : List.of(RopeConfig.unscaled(10000), new RopeConfig("linear", 500000, 4.0, 0, 0, 0),
            new RopeConfig("llama3", 500000, 8.0, 1.0, 4.0, 32))) {
            RotaryEmbedding r = new RotaryEmbedding(rope, hd);
            int[] pos = {0, 5, 17, 130};
            INDArray x = Nd4j.randn(DataType.DOUBLE, pos.length, heads * hd), y = Nd4j.randn(DataType.DOUBLE, pos.length, heads * hd);
            INDArray rx = Nd4j.create(DataType.DOUBLE, x.shape()), rty = Nd4j.create(DataType.DOUBLE, y.shape());
            r.forward(x, rx, heads, pos);
            r.backward(y, rty, heads, pos);
            assertEquals(rx.mul(y).sumNumber().doubleValue(), x.mul(rty).sumNumber().doubleValue(), 1e-10, rope.type() + ": <Rx, y> = <x, R^T y>");
            double[] inv = r.inverseFrequencies();
            for (int row = 0; row < pos.length; row++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < hd / 2; i++) {
                        double ang = (float) inv[i] * (float) pos[row], c = (float) Math.cos((float) ang), s = (float) Math.sin((float) ang);
                        double a = x.getDouble(row, h * hd + i), b = x.getDouble(row, h * hd + i + hd / 2);
                        assertEquals(a * c - b * s, rx.getDouble(row, h * hd + i), 1e-12);
                        assertEquals(b * c + a * s, rx.getDouble(row, h * hd + i + hd / 2), 1e-12);
                    }
            assertEquals(0.0, rx.getRow(0).sub(x.getRow(0)).norm2Number().doubleValue(), 1e-15, "position 0 is the identity");
        }
    }

    @Test
    void llama3FrequenciesFollowTheThreeBands() {
        RopeConfig rope = new RopeConfig("llama3", 500000, 8.0, 1.0, 4.0, 8192);
        double[] base = RopeConfig.unscaled(500000).inverseFrequencies(64), scaled = rope.inverseFrequencies(64);
        for (int i = 0; i < base.length; i++) {
            double wavelen = 2 * Math.PI / base[i];
            if (wavelen < 8192 / 4.0) assertEquals(base[i], scaled[i], 0.0, "high frequency " + i + " unchanged");
            else if (wavelen > 8192 / 1.0) assertEquals(base[i] / 8, scaled[i], 1e-6 * base[i], "low frequency " + i + " divided by factor");
            else assertTrue(scaled[i] < base[i] && scaled[i] > base[i] / 8, "medium frequency " + i + " interpolated");
        }
    }

    @Test
    void swigluMlpInputAndWeightGradients() {
        Random rnd = new Random(5);
        Parameter g = p("gate", 6, 4, rnd), u = p("up", 6, 4, rnd), d = p("down", 4, 6, rnd);
        LlamaMlp mlp = new LlamaMlp(new Slot("gate", new Linear(g)), new Slot("up", new Linear(u)), new Slot("down", new Linear(d)));
        INDArray x = Nd4j.randn(DataType.DOUBLE, 5, 4), w = Nd4j.randn(DataType.DOUBLE, 5, 4);
        DoubleSupplier loss = () -> mlp.forward(x, ForwardContext.inference()).mul(w).sumNumber().doubleValue();
        loss.getAsDouble();
        INDArray dx = mlp.backward(w).dup();
        fdCheck("x", x, dx, loss, 8, 1);
        for (Parameter q : List.of(g, u, d)) fdCheck(q.name(), q.value(), q.grad().dup(), loss, 4, 2);
        assertEquals(0.0, LlamaMlp.silu(0.0));
        assertEquals(3.0 / (1 + Math.exp(-3.0)), LlamaMlp.silu(3.0), 1e-15);
    }

    private static Parameter p(String name, int out, int in, Random r) {
        double[] a = new double[out * in];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian() * 0.6;
        return new Parameter(name, Nd4j.create(a, new long[]{out, in}, 'c'), true);
    }

    @Test
    void frozenParametersGetNoGradientAndLowerLayersAreSkipped() {
        ObjectNode n = tinyJson("llama");
        n.put("num_hidden_layers", 3);
        LlamaConfig c = LlamaConfig.fromJson(n);
        LlamaModel a = model(c, 21), b = model(c, 21);
        a.setAllTrainable(true);
        b.setAllTrainable(false);
        String target = "model.layers.2.self_attn.v_proj";
        for (Parameter p : b.projections().get(target).get().parameters()) p.setTrainable(true);
        Map<String, INDArray> before = new HashMap<>();
        for (Parameter p : b.parameters()) before.put(p.name(), p.value().dup());
        a.forwardLoss(batch(), ForwardContext.training(1, 0));
        a.backward();
        b.forwardLoss(batch(), ForwardContext.training(1, 0));
        b.backward();
        for (Parameter p : b.parameters()) {
            assertEquals(before.get(p.name()), p.value(), p.name() + " unchanged by backward");
            if (p.name().startsWith(target)) {
                INDArray full = a.baseParameters().get(p.name()).grad();
                assertEquals(0.0, p.grad().sub(full).norm2Number().doubleValue(), 1e-12 * full.norm2Number().doubleValue(),
                    p.name() + ": same gradient with everything else frozen (lower layers skipped)");
            } else assertFalse(p.hasGrad(), p.name() + " frozen: no gradient buffer");
        }
    }
}
