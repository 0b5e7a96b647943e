package io.peft4j.peft;

import io.peft4j.model.Batch;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * "Exact where PEFT is not" (PEFT issue #3761): for every LoRA variant peft4j has (plain, rsLoRA,
 * alpha_pattern, rank_pattern, layers_to_transform), a combination of one adapter — any type — gives
 * {@code w dW} and one with weight 1.0 gives the adapter back (same outputs); {@code cat} and
 * full-rank {@code svd} of two adapters give {@code w1 dW1 + w2 dW2}. "Explicit" here means through
 * the layers' own forward paths: each module's output change for a probe input is compared with
 * the weighted sum of the inputs' output changes. What cannot be combined exactly is refused with
 * a message naming why.
 */
class AdapterCombinerTest {
    static final Batch BATCH = LoraModelTest.BATCH;

    static Stream<Arguments> variants() {
        LoraConfig plain = LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM);
        return Stream.of(
            Arguments.of("plain", plain),
            Arguments.of("rslora", plain.withRslora(true).withAlpha(6)),
            Arguments.of("alpha_pattern", plain.withAlphaPattern(Map.of("EncDecAttention.q", 3.0))),
            Arguments.of("rank_pattern", plain.withRankPattern(Map.of("SelfAttention.v", 2))),
            Arguments.of("layers_to_transform", plain.withLayers(1)),
            Arguments.of("all-linear rslora", LoraConfig.of("all-linear").withRank(3).withAlpha(5).withRslora(true).withInit(LoraInit.RANDOM)));
    }

    static LoraModel<LanguageModel> model() {
        return LoraModel.empty(T5Model.fromConfig(PeftFixtures.tinyGated(), 5));
    }

    /** Every module of {@code name}'s output change equals sum_i w_i (output change of input i), for a probe input. */
    static double worstAgainstWeightedSum(LoraModel<LanguageModel> lora, String name, List<String> inputs, double[] w) {
        double worst = 0;
        for (String m : lora.targetedModules(name)) {
            LoraLinear l = lora.layers().get(m);
            INDArray x = Nd4j.rand(DataType.FLOAT, 5, l.inFeatures()).subi(0.5);
            INDArray got = l.adapterOutput(name, x);
            INDArray want = Nd4j.zeros(DataType.FLOAT, 5, l.outFeatures());
            for (int i = 0; i < inputs.size(); i++)
                if (l.adapters().containsKey(inputs.get(i))) want.addi(l.adapterOutput(inputs.get(i), x).muli(w[i]));
            worst = Math.max(worst, got.sub(want).amaxNumber().doubleValue() / Math.max(1, want.amaxNumber().doubleValue()));
        }
        for (int i = 0; i < inputs.size(); i++)
            for (String m : lora.targetedModules(inputs.get(i)))
                assertTrue(lora.targetedModules(name).contains(m), name + " covers " + m + " of " + inputs.get(i));
        return worst;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void oneAdapterOfAnyTypeComesBackScaledAndWithWeightOneUnchanged(String variant, LoraConfig c) {
        LoraModel<LanguageModel> lora = model();
        lora.addAdapter("v", c, 3);
        lora.setActive("v");
        INDArray own = lora.model().logits(BATCH);
        for (Combination type : Combination.values()) {
            String name = "one_" + type.peftName();
            CombineOptions o = new CombineOptions(type, List.of(1.0), type.rule().needsDensity() ? 0.3 : null, null, null, null, null);
            AdapterCombiner.combine(lora, List.of("v"), name, o);
            assertEquals(0, worstAgainstWeightedSum(lora, name, List.of("v"), new double[]{1}), 1e-5, variant + " " + type);
            lora.setActive(name);
            double diff = lora.model().logits(BATCH).sub(own).amaxNumber().doubleValue();
            assertEquals(0, diff, 1e-4, variant + " " + type + ": the model answers as with the adapter itself");
            lora.deleteAdapter(name);
            String scaled = "scaled_" + type.peftName();
            CombineOptions neg = new CombineOptions(type, List.of(-0.7), type.rule().needsDensity() ? 0.3 : null, null, null, null, null);
            AdapterCombiner.combine(lora, List.of("v"), scaled, neg);
            assertEquals(0, worstAgainstWeightedSum(lora, scaled, List.of("v"), new double[]{-0.7}), 1e-5, variant + " " + type + " weight -0.7");
            lora.deleteAdapter(scaled);
            lora.setActive("v");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void catAndFullRankSvdOfTwoAdaptersAreTheWeightedSum(String variant, LoraConfig c) {
        LoraModel<LanguageModel> lora = model();
        lora.addAdapter("v", c, 3);
        lora.addAdapter("w", LoraConfig.of("attn.v", "attn.o").withRank(2).withAlpha(8).withInit(LoraInit.RANDOM), 4);
        double[] w = {0.6, -1.3};
        AdapterCombiner.combine(lora, List.of("v", "w"), "cat", CombineOptions.of(Combination.CAT, w));
        assertEquals(0, worstAgainstWeightedSum(lora, "cat", List.of("v", "w"), w), 1e-5, variant + " cat");
        int rank = c.r() + 2;
        AdapterCombiner.combine(lora, List.of("v", "w"), "svd", CombineOptions.of(Combination.SVD, w).withSvdRank(rank));
        assertEquals(0, worstAgainstWeightedSum(lora, "svd", List.of("v", "w"), w), 1e-5, variant + " svd at rank " + rank);
        assertEquals(1.0, lora.layers().values().iterator().next().adapter("cat").scaling(), 0, "scaling 1");
        assertFalse(lora.config("cat").useRslora(), "the result is plain LoRA with alpha = r, whatever the inputs");
        // a rank-1 svd is only an approximation: it must differ here (else the check above could not fail)
        AdapterCombiner.combine(lora, List.of("v", "w"), "svd1", CombineOptions.of(Combination.SVD, w).withSvdRank(1));
        assertTrue(worstAgainstWeightedSum(lora, "svd1", List.of("v", "w"), w) > 1e-3, variant + " rank-1 svd is approximate");
    }

    @Test
    void whatCannotBeCombinedExactlyIsRefusedNamingWhy() {
        LoraModel<LanguageModel> lora = model();
        LoraConfig plain = LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM);
        lora.addAdapter("a", plain, 1);
        lora.addAdapter("r2", plain.withRank(2), 2);
        lora.addAdapter("pattern", plain.withRankPattern(Map.of("EncDecAttention.q", 2)), 3);
        lora.addAdapter("saves", plain.withModulesToSave(List.of("lm_head")), 4);
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "r2"), "n", CombineOptions.of(Combination.TIES, 1, 1).withDensity(0.5)),
            "same rank", "a r=4", "r2 r=2", "cat");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "pattern"), "n", CombineOptions.of(Combination.LINEAR, 1, 1)),
            "EncDecAttention.q", "rank 2", "rank 4");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "saves"), "n", CombineOptions.of(Combination.CAT, 1, 1)),
            "modules_to_save", "lm_head");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "nope"), "n", CombineOptions.of(Combination.CAT, 1, 1)),
            "'nope' is not loaded", "[a, r2, pattern, saves]");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "r2"), "a", CombineOptions.of(Combination.CAT, 1, 1)), "exists already");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "r2"), "n", CombineOptions.of(Combination.CAT, 1)), "2 adapters", "1 weights");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("a", "r2"), "n", CombineOptions.of(Combination.TIES_SVD, 1, 1)), "density");
        assertMessage(() -> CombineOptions.of(Combination.DARE_TIES, 1, 1).withDensity(0), "density = 0", "1/density");
        assertMessage(() -> CombineOptions.of(Combination.CAT, 1, Double.NaN), "weights[1] = NaN");
        assertMessage(() -> Combination.fromPeft("avg"), "'avg'", "dare_ties_svd");
        assertFalse(lora.adapters().containsKey("n"), "a refused combination adds nothing");
        lora.setActive("a");
        lora.merge();
        IllegalStateException merged = assertThrows(IllegalStateException.class,
            () -> AdapterCombiner.combine(lora, List.of("a", "r2"), "n", CombineOptions.of(Combination.CAT, 1, 1)));
        assertTrue(merged.getMessage().contains("merged"), merged.getMessage());
        lora.unmerge();
        // ranks that differ are fine for cat (rank = sum, padded like PEFT) and svd
        AdapterCombiner.combine(lora, List.of("a", "r2", "pattern"), "n", CombineOptions.of(Combination.CAT, 1, 1, 1));
        assertEquals(10, lora.config("n").r(), "4 + 2 + 4 (the largest rank of each input)");
    }

    /** DoRA (PEFT #3761: not even one adapter with weight 1.0 comes back) and PiSSA / OLoRA inputs are refused, naming why. */
    @Test
    void doraAndResidualInitialisationsAreRefusedExplicitly() {
        LoraModel<LanguageModel> lora = model();
        LoraConfig plain = LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM);
        lora.addAdapter("plain", plain, 1);
        lora.addAdapter("dora", plain.withDora(true), 2);
        for (Combination type : List.of(Combination.LINEAR, Combination.CAT, Combination.SVD))
            assertMessage(() -> AdapterCombiner.combine(lora, List.of("dora"), "n", CombineOptions.of(type, 1.0)),
                "adapter 'dora' is DoRA", "not even of it alone", "#3761");
        assertMessage(() -> AdapterCombiner.combine(lora, List.of("plain", "dora"), "n", CombineOptions.of(Combination.CAT, 1, 1)), "'dora' is DoRA");
        // the generic probe (the layer's own forward against x (s B A)^T) catches DoRA as well
        LoraLinear l = lora.layers().get(lora.targetedModules("dora").get(0));
        for (var a : List.of(l.adapter("dora").b().value())) a.muli(3);      // make the magnitude's rescaling visible
        assertMessage(() -> AdapterCombiner.checkPlain(l, "dora"), "does not compute x (scaling B A)^T");
        AdapterCombiner.checkPlain(l, "plain");
        LoraModel<LanguageModel> pissa = model();
        pissa.addAdapter("p", LoraConfig.of("attn.q").withRank(2).withInit(LoraInit.PISSA), 3);
        assertMessage(() -> AdapterCombiner.combine(pissa, List.of("p"), "n", CombineOptions.of(Combination.CAT, 1.0)), "initialised with pissa", "residual");
        assertFalse(lora.adapters().containsKey("n"));
    }

    /** svd_clamp: torch.quantile's interpolation (numbers from torch 2.13), and the result's factors within [-q, q]. */
    @Test
    void svdClampUsesTorchsQuantileAndBoundsTheFactors() {
        double[] v = {0.3, -1.2, 2.5, 0.0, 0.7, -0.4, 1.1};
        double[][] want = {{0.0, -1.2}, {0.1, -0.72}, {0.5, 0.3}, {0.9, 1.66}, {0.99, 2.416}, {1.0, 2.5}};
        for (double[] w : want) assertEquals(w[1], TruncatedSvd.quantile(v, w[0]), 1e-12, "quantile " + w[0]);
        LoraModel<LanguageModel> lora = model();
        LoraConfig plain = LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM);
        lora.addAdapter("a", plain, 1);
        lora.addAdapter("b", plain, 2);
        AdapterCombiner.combine(lora, List.of("a", "b"), "free", CombineOptions.of(Combination.SVD, 1, 1));
        AdapterCombiner.combine(lora, List.of("a", "b"), "clamped", CombineOptions.of(Combination.SVD, 1, 1).withSvdClamp(0.9));
        LoraLinear l = lora.layers().get(lora.targetedModules("a").get(0));
        double[] all = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(AdapterCombiner.doubles(l.adapter("free").b().value())),
            java.util.Arrays.stream(AdapterCombiner.doubles(l.adapter("free").a().value()))).toArray();
        double hi = TruncatedSvd.quantile(all, 0.9);
        assertEquals(hi, Math.max(l.adapter("clamped").a().value().amaxNumber().doubleValue(), l.adapter("clamped").b().value().amaxNumber().doubleValue()), 1e-5,
            "clamped to the 0.9 quantile of the unclamped factors");
        assertTrue(Math.max(l.adapter("free").a().value().amaxNumber().doubleValue(), l.adapter("free").b().value().amaxNumber().doubleValue()) > hi + 1e-3);
    }

    @Test
    void dareMasksAreSeededAndRepeatable() {
        LoraModel<LanguageModel> lora = model();
        LoraConfig plain = LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM);
        lora.addAdapter("a", plain, 1);
        lora.addAdapter("b", plain, 2);
        CombineOptions o = CombineOptions.of(Combination.DARE_TIES, 0.5, 0.5).withDensity(0.4).withSeed(9);
        AdapterCombiner.combine(lora, List.of("a", "b"), "d1", o);
        AdapterCombiner.combine(lora, List.of("a", "b"), "d2", o);
        AdapterCombiner.combine(lora, List.of("a", "b"), "d3", o.withSeed(10));
        String m = lora.targetedModules("d1").get(0);
        LoraLinear l = lora.layers().get(m);
        assertEquals(l.adapter("d1").a().value(), l.adapter("d2").a().value(), "same seed, same masks");
        assertNotEquals(l.adapter("d1").a().value(), l.adapter("d3").a().value(), "another seed, other masks");
        boolean[] mask = PruneMasks.seeded(9).mask(m, "lora_A", 0, 4, 16, 0.4);
        int kept = 0;
        for (boolean k : mask) if (k) kept++;
        assertTrue(kept > 10 && kept < 45, "about 40% of 64 kept: " + kept);
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        Throwable t = assertThrows(RuntimeException.class, e);
        for (String p : parts) assertTrue(t.getMessage().contains(p), "'" + p + "' in: " + t.getMessage());
    }
}
