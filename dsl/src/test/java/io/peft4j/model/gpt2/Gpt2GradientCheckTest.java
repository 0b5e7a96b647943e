package io.peft4j.model.gpt2;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.testutil.Float64Reference;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.LayerNorm;
import io.peft4j.model.Parameter;
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
 * Finite-difference checks (float64) of the explicit backward passes: the shared LayerNorm, one GPT-2
 * block (with padding and dropout), and the whole model for every parameter kind (tied and untied
 * head, inverse-layer attention scaling, left and right padding, all dropouts active with
 * reproducible masks); frozen parameters get no gradient and blocks below the trainable ones are not
 * back-propagated.
 */
class Gpt2GradientCheckTest {
    private static int threadsBefore;

    @BeforeAll static void oneThread() {
        threadsBefore = Nd4j.getEnvironment().maxThreads();
        Nd4j.getEnvironment().setMaxThreads(1);
    }

    @AfterAll static void restoreThreads() { Nd4j.getEnvironment().setMaxThreads(threadsBefore); }

    static Gpt2Config tiny(boolean tied, boolean inverseLayer, double dropout) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", "gpt2");
        n.put("vocab_size", 23); n.put("n_embd", 8); n.put("n_head", 2); n.put("n_layer", 2); n.put("n_positions", 9);
        n.put("n_inner", 12); n.put("tie_word_embeddings", tied); n.put("scale_attn_by_inverse_layer_idx", inverseLayer);
        n.put("resid_pdrop", dropout); n.put("embd_pdrop", dropout); n.put("attn_pdrop", dropout);
        n.put("bos_token_id", 22); n.put("eos_token_id", 22);
        return Gpt2Config.fromJson(n);
    }

    static Batch batch() {
        return new Batch(
            new int[][]{{5, 7, 9, 11, 3, 1, 4}, {4, 6, 1, 0, 22, 22, 22}, {22, 22, 8, 2, 13, 1, 17}},
            new int[][]{{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0}, {0, 0, 1, 1, 1, 1, 1}},
            new int[][]{{-100, 7, 9, 11, 3, 1, 4}, {-100, -100, 1, 0, -100, -100, -100}, {-100, -100, -100, 2, 13, 1, 17}});
    }

    /** Larger random weights than GPT-2's init (std 0.02) so every path carries a visible gradient. */
    static Gpt2Model model(Gpt2Config c, long seed) {
        Gpt2Model m = Gpt2Model.fromConfig(c, seed, DataType.DOUBLE);
        Random r = new Random(seed);
        for (Parameter p : m.baseParameters().values()) {
            double[] v = new double[(int) p.size()];
            boolean lnWeight = p.name().contains(".ln_") && p.name().endsWith(".weight");
            for (int i = 0; i < v.length; i++) v[i] = (lnWeight ? 1.0 : 0.0) + r.nextGaussian() * (lnWeight ? 0.2 : 0.4);
            p.value().assign(Nd4j.createFromArray(v).reshape(p.value().shape()));
        }
        return m;
    }

    /** Central differences at {@code idx} of {@code v} against {@code analytic}. */
    static void fdCheck(String what, INDArray v, INDArray analytic, List<Long> idx, DoubleSupplier loss) {
        long n = v.length();
        INDArray flat = v.reshape(n), g = analytic.reshape(n);
        double eps = 1e-6;
        for (long i : idx) {
            double orig = flat.getDouble(i);
            flat.putScalar(i, orig + eps);
            double lp = loss.getAsDouble();
            flat.putScalar(i, orig - eps);
            double lm = loss.getAsDouble();
            flat.putScalar(i, orig);
            double fd = (lp - lm) / (2 * eps), an = g.getDouble(i);
            assertEquals(fd, an, 1e-7 + 1e-5 * Math.abs(fd), what + "[" + i + "] finite difference vs backward");
        }
    }

    /** The largest |gradient| element and two random ones. */
    static List<Long> pick(INDArray g, Random r) {
        long n = g.length();
        List<Long> idx = new ArrayList<>();
        idx.add(Nd4j.argMax(Transforms.abs(g, true).reshape(n)).getLong(0));
        idx.add((long) r.nextInt((int) n));
        idx.add((long) r.nextInt((int) n));
        return idx;
    }

    /**
     * The float32 fast paths (blocks sharing their backward buffers, the residual stream in place,
     * frozen projections' inputs in shared storage) give the float64 path's loss and gradients, dropout
     * active: all weights trainable, then only c_attn (LoRA's usual GPT-2 target).
     */
    @Test
    void float32FastPathsMatchTheFloat64Path() {
        for (boolean onlyAttn : List.of(false, true)) {
            Gpt2Config c = tiny(false, true, 0.1);
            Gpt2Model m64 = model(c, 31), m32 = Gpt2Model.fromConfig(c, 31, DataType.FLOAT);
            Float64Reference.sameWeights(m64.baseParameters(), m32.baseParameters());
            Float64Reference.assertGradientsMatch(m32, m64, batch(),
                onlyAttn ? p -> p.endsWith("attn.c_attn.weight") : p -> true,
                onlyAttn ? "c_attn only" : "all weights", onlyAttn ? 2 : 12);
        }
    }

    @Test
    void layerNormBackward() {
        Random r = new Random(3);
        Parameter w = new Parameter("ln.weight", Nd4j.randn(DataType.DOUBLE, 7).muli(0.3).addi(1), true);
        Parameter b = new Parameter("ln.bias", Nd4j.randn(DataType.DOUBLE, 7).muli(0.3), true);
        LayerNorm ln = new LayerNorm(w, b, 1e-5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 5, 7).muli(2).addi(0.7), R = Nd4j.randn(DataType.DOUBLE, 5, 7);
        DoubleSupplier loss = () -> ln.forward(x).mul(R).sumNumber().doubleValue();
        loss.getAsDouble();
        INDArray dx = ln.backward(R).dup();
        for (int i = 0; i < 35; i += 3) fdCheck("LayerNorm dx", x, dx, List.of((long) i), loss);
        fdCheck("LayerNorm dw", w.value(), w.grad().dup(), List.of(0L, 3L, 6L), loss);
        fdCheck("LayerNorm db", b.value(), b.grad().dup(), List.of(1L, 4L), loss);
        // float32 agrees with float64 (PyTorch computes LayerNorm in float32)
        LayerNorm ln32 = new LayerNorm(new Parameter("w", w.value().castTo(DataType.FLOAT), false),
            new Parameter("b", b.value().castTo(DataType.FLOAT), false), 1e-5);
        INDArray y32 = ln32.forward(x.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE), y64 = ln.forward(x);
        assertEquals(0, y32.sub(y64).amaxNumber().doubleValue(), 2e-6);
        INDArray dx32 = ln32.backward(R.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE);
        ln.forward(x);
        assertEquals(0, dx32.sub(ln.backward(R)).amaxNumber().doubleValue(), 2e-5);
        assertFalse(ln32.weight().hasGrad(), "frozen LayerNorm weight: no gradient buffer");
        assertFalse(ln32.bias().hasGrad(), "frozen LayerNorm bias: no gradient buffer");
        // a constant row normalises to the bias, with a finite gradient
        INDArray flat = Nd4j.valueArrayOf(new long[]{1, 7}, 3.0, DataType.DOUBLE);
        assertEquals(0, ln.forward(flat).sub(b.value().reshape(1, 7)).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void blockBackwardWithPaddingAndDropout() {
        Gpt2Model m = model(tiny(true, true, 0.1), 5);
        m.setAllTrainable(true);
        m.zeroGrad();
        Gpt2Block blk = m.blocks[1];
        int B = 3, T = 7;
        int[][] mask = batch().attentionMask();
        INDArray x = Nd4j.randn(DataType.DOUBLE, B * T, 8), R = Nd4j.randn(DataType.DOUBLE, B * T, 8);
        // forward updates its input in place (the residual stream), so each evaluation gets a copy
        DoubleSupplier loss = () -> blk.forward(x.dup(), B, T, mask, ForwardContext.training(9, 1)).mul(R).sumNumber().doubleValue();
        loss.getAsDouble();
        INDArray dx = blk.backward(R).dup();
        Random r = new Random(1);
        fdCheck("block dx", x, dx, pick(dx, r), loss);
        Set<String> seen = new TreeSet<>();
        for (Parameter p : blk.parameters()) {
            INDArray g = p.grad().dup();
            assertTrue(g.amaxNumber().doubleValue() > 0, p.name() + " has an all-zero gradient");
            fdCheck(p.name(), p.value(), g, pick(g, r), loss);
            seen.add(p.name().replace("transformer.h.1.", ""));
        }
        assertEquals(Set.of("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
            "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight",
            "mlp.c_proj.bias"), seen);
    }

    static void checkModel(Gpt2Model m, Set<String> kinds) {
        Batch b = batch();
        DoubleSupplier loss = () -> m.forwardLoss(b, ForwardContext.training(42, 3));
        m.setAllTrainable(true);
        m.zeroGrad();
        loss.getAsDouble();
        m.backward();
        Random r = new Random(7);
        for (Parameter p : m.parameters()) {
            INDArray g = p.grad().dup();
            assertTrue(g.amaxNumber().doubleValue() > 0, p.name() + " has an all-zero gradient");
            fdCheck(p.name(), p.value(), g, pick(g, r).subList(0, 2), loss);
            kinds.add(p.name().replaceAll("h\\.\\d+\\.", "h.N."));
        }
    }

    @Test
    void wholeModelTiedWithDropoutAndInverseLayerScaling() {
        Set<String> kinds = new TreeSet<>();
        checkModel(model(tiny(true, true, 0.1), 11), kinds);
        for (String k : List.of("transformer.wte.weight", "transformer.wpe.weight", "transformer.h.N.ln_1.weight",
            "transformer.h.N.ln_1.bias", "transformer.h.N.attn.c_attn.weight", "transformer.h.N.attn.c_attn.bias",
            "transformer.h.N.attn.c_proj.weight", "transformer.h.N.attn.c_proj.bias", "transformer.h.N.ln_2.weight",
            "transformer.h.N.ln_2.bias", "transformer.h.N.mlp.c_fc.weight", "transformer.h.N.mlp.c_fc.bias",
            "transformer.h.N.mlp.c_proj.weight", "transformer.h.N.mlp.c_proj.bias", "transformer.ln_f.weight", "transformer.ln_f.bias"))
            assertTrue(kinds.contains(k), "checked kind " + k + " in " + kinds);
        assertFalse(kinds.contains("lm_head.weight"), "tied: the head is wte");
    }

    @Test
    void wholeModelUntiedWithoutDropout() {
        Set<String> kinds = new TreeSet<>();
        checkModel(model(tiny(false, false, 0.0), 12), kinds);
        assertTrue(kinds.contains("lm_head.weight"));
    }

    @Test
    void frozenParametersGetNoGradientAndLowerBlocksAreSkipped() {
        Gpt2Model a = model(tiny(true, false, 0.0), 13), b = model(tiny(true, false, 0.0), 13);
        a.setAllTrainable(true);
        b.setAllTrainable(false);
        String name = "transformer.h.1.attn.c_attn.weight";
        Parameter pb = b.baseParameters().get(name);
        pb.setTrainable(true);
        Map<String, INDArray> before = new HashMap<>();
        for (Parameter p : b.parameters()) before.put(p.name(), p.value().dup());
        a.forwardLoss(batch(), ForwardContext.training(1, 0)); a.backward();
        b.forwardLoss(batch(), ForwardContext.training(1, 0)); b.backward();
        assertEquals(0, a.baseParameters().get(name).grad().sub(pb.grad()).amaxNumber().doubleValue(), 1e-12,
            "one trainable weight gets the same gradient as in full training");
        for (Parameter p : b.parameters()) {
            assertEquals(before.get(p.name()), p.value(), p.name() + " unchanged by backward");
            if (!p.name().equals(name)) assertFalse(p.hasGrad(), p.name() + " frozen: no gradient buffer");
        }
    }
}
