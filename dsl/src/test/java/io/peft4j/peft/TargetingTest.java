package io.peft4j.peft;

import io.peft4j.model.t5.T5Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every targeting rule on the module names of tiny T5 configurations (no tensors needed). */
class TargetingTest {
    static final T5Config GATED = PeftFixtures.tinyGated();   // 2 enc + 2 dec blocks, wi_0/wi_1
    static final T5Config RELU = PeftFixtures.tinyRelu();     // 3 enc + 2 dec blocks, wi

    static Stream<Arguments> rules() {
        return Stream.of(
            // config, targets, layers, layersPattern, expected count, one module that must be in, one that must not
            Arguments.of(GATED, Targets.of("attn.q", "attn.v"), List.of(), List.of(), 12, "decoder.block.1.layer.1.EncDecAttention.v", "encoder.block.0.layer.0.SelfAttention.k"),
            Arguments.of(GATED, Targets.of("q", "v"), List.of(), List.of(), 12, "encoder.block.0.layer.0.SelfAttention.q", "lm_head"),
            Arguments.of(GATED, Targets.of("attn.k", "attn.o"), List.of(), List.of(), 12, "decoder.block.0.layer.0.SelfAttention.o", "encoder.block.0.layer.0.SelfAttention.q"),
            Arguments.of(GATED, Targets.of("self.q"), List.of(), List.of(), 4, "decoder.block.1.layer.0.SelfAttention.q", "decoder.block.1.layer.1.EncDecAttention.q"),
            Arguments.of(GATED, Targets.of("cross.v"), List.of(), List.of(), 2, "decoder.block.0.layer.1.EncDecAttention.v", "decoder.block.0.layer.0.SelfAttention.v"),
            Arguments.of(GATED, Targets.of("ffn.wi"), List.of(), List.of(), 8, "encoder.block.1.layer.1.DenseReluDense.wi_1", "encoder.block.1.layer.1.DenseReluDense.wo"),
            Arguments.of(RELU, Targets.of("ffn.wi"), List.of(), List.of(), 5, "encoder.block.2.layer.1.DenseReluDense.wi", "decoder.block.0.layer.2.DenseReluDense.wo"),
            Arguments.of(RELU, Targets.of("ffn.wo"), List.of(), List.of(), 5, "decoder.block.1.layer.2.DenseReluDense.wo", "lm_head"),
            Arguments.of(GATED, Targets.of("SelfAttention.q"), List.of(), List.of(), 4, "encoder.block.1.layer.0.SelfAttention.q", "decoder.block.1.layer.1.EncDecAttention.q"),
            Arguments.of(GATED, Targets.of("encoder.block.0.layer.0.SelfAttention.q"), List.of(), List.of(), 1, "encoder.block.0.layer.0.SelfAttention.q", "encoder.block.1.layer.0.SelfAttention.q"),
            Arguments.of(GATED, Targets.regex(".*encoder.*\\.(q|v)"), List.of(), List.of(), 4, "encoder.block.1.layer.0.SelfAttention.v", "decoder.block.0.layer.0.SelfAttention.q"),
            Arguments.of(GATED, Targets.of("all-linear"), List.of(), List.of(), 36, "decoder.block.1.layer.2.DenseReluDense.wo", "lm_head"),
            Arguments.of(RELU, Targets.of("all-linear"), List.of(), List.of(), 3 * 6 + 2 * 10, "encoder.block.2.layer.1.DenseReluDense.wi", "lm_head"),
            Arguments.of(GATED, Targets.of("lm_head"), List.of(), List.of(), 1, "lm_head", "encoder.block.0.layer.0.SelfAttention.q"),
            Arguments.of(GATED, Targets.of("q", "v"), List.of(1), List.of(), 6, "decoder.block.1.layer.1.EncDecAttention.q", "encoder.block.0.layer.0.SelfAttention.q"),
            Arguments.of(RELU, Targets.of("q"), List.of(2), List.of("block"), 1, "encoder.block.2.layer.0.SelfAttention.q", "decoder.block.1.layer.0.SelfAttention.q"),
            // layers_to_transform does not filter a regex (PEFT applies it to list entries only)
            Arguments.of(GATED, Targets.regex(".*\\.q"), List.of(0), List.of(), 6, "decoder.block.1.layer.1.EncDecAttention.q", "lm_head"));
    }

    @ParameterizedTest(name = "{1} layers {2}")
    @MethodSource("rules")
    void rule(T5Config c, Targets t, List<Integer> layers, List<String> pattern, int count, String in, String out) {
        List<String> got = new TargetResolver(T5Shapes.linears(c).keySet()).resolve(t, layers, pattern, List.of());
        assertEquals(count, got.size(), got.toString());
        assertTrue(got.contains(in), in + " in " + got);
        assertFalse(got.contains(out), out + " not in " + got);
    }

    @Test
    void aliasesTranslateToPeftSuffixes() {
        TargetResolver r = new TargetResolver(T5Shapes.linears(GATED).keySet());
        assertEquals(List.of("q", "v"), r.toPeft(Targets.of("attn.q", "attn.v")).patterns());
        assertEquals(List.of("SelfAttention.k", "EncDecAttention.o", "wi_0", "wi_1", "wo"),
            r.toPeft(Targets.of("self.k", "cross.o", "ffn.wi", "ffn.wo")).patterns());
        assertEquals(List.of("q", "k", "v", "o", "wi_0", "wi_1", "wo"), r.toPeft(Targets.of("all-linear")).patterns());
        assertEquals(r.resolve(Targets.of("attn.q", "attn.v")), r.resolve(Targets.of("q", "v")));
        assertThrows(IllegalArgumentException.class, () -> r.resolve(Targets.of("attn.x")));
    }

    @Test
    void regexIsAFullMatch() {
        TargetResolver r = new TargetResolver(T5Shapes.linears(GATED).keySet());
        assertThrows(NoMatchingTargetException.class, () -> r.resolve(Targets.regex("q")));   // a single string must match the whole name
        assertEquals(12, r.resolve(Targets.of(List.of("q"))).size() + r.resolve(Targets.of(List.of("v"))).size());
    }

    @Test
    void noMatchNamesPatternsAndClosestModules() {
        TargetResolver r = new TargetResolver(T5Shapes.linears(GATED).keySet());
        NoMatchingTargetException e = assertThrows(NoMatchingTargetException.class, () -> r.resolve(Targets.of("qq", "SelfAtention.v")));
        assertEquals(List.of("qq", "SelfAtention.v"), e.patterns());
        assertTrue(e.getMessage().contains("[qq, SelfAtention.v]"), e.getMessage());
        assertTrue(e.closest().contains("SelfAttention.v"), e.closest().toString());
        assertTrue(e.closest().contains("q"), e.closest().toString());
        NoMatchingTargetException layer = assertThrows(NoMatchingTargetException.class,
            () -> r.resolve(Targets.of("q"), List.of(7), List.of(), List.of()));
        assertTrue(layer.getMessage().contains("layers_to_transform [7]"), layer.getMessage());
    }

    @Test
    void rankAndAlphaPatternsUsePeftKeyMatching() {
        LoraConfig c = LoraConfig.of("q", "v").withRank(8).withAlpha(16)
            .withRankPattern(new java.util.LinkedHashMap<>(Map.of("EncDecAttention.q", 2)))
            .withAlphaPattern(Map.of("decoder.block.1.layer.0.SelfAttention.v", 3.0));
        assertEquals(2, c.rankFor("decoder.block.0.layer.1.EncDecAttention.q"));
        assertEquals(8, c.rankFor("decoder.block.0.layer.0.SelfAttention.q"));
        assertEquals(8, c.rankFor("encoder.block.0.layer.0.SelfAttention.q"));
        assertEquals(3.0, c.alphaFor("decoder.block.1.layer.0.SelfAttention.v"));
        assertEquals(16.0, c.alphaFor("decoder.block.0.layer.0.SelfAttention.v"));
        assertEquals(8.0, c.scalingFor("decoder.block.0.layer.1.EncDecAttention.q"));   // 16 / 2
        // first key in insertion order wins; a key must match at a '.' boundary
        assertEquals("q", TargetResolver.patternKey(List.of("q", "SelfAttention.q"), "encoder.block.0.layer.0.SelfAttention.q"));
        assertNull(TargetResolver.patternKey(List.of("elfAttention.q"), "encoder.block.0.layer.0.SelfAttention.q"));
        assertEquals("block\\.[01]\\..*\\.q", TargetResolver.patternKey(List.of("block\\.[01]\\..*\\.q"), "encoder.block.1.layer.0.SelfAttention.q"));
    }

    @Test
    void layerIndexIsTheFirstNumberedSegment() {
        assertEquals(3, TargetResolver.layerIndex("encoder.block.3.layer.0.SelfAttention.q", List.of()));
        assertEquals(1, TargetResolver.layerIndex("decoder.block.3.layer.1.EncDecAttention.q", List.of("layer")));
        assertNull(TargetResolver.layerIndex("lm_head", List.of()));
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
            Arguments.of((Runnable) () -> LoraConfig.of("q").withRank(0), "r = 0"),
            Arguments.of((Runnable) () -> LoraConfig.of("q").withAlpha(-1), "lora_alpha = -1.0"),
            Arguments.of((Runnable) () -> LoraConfig.of("q").withDropout(1.0), "lora_dropout = 1.0"),
            Arguments.of((Runnable) () -> LoraConfig.of("q").withRankPattern(Map.of("q", 0)), "rank_pattern['q'] = 0"),
            Arguments.of((Runnable) () -> new LoraConfig(8, 8, 0, Targets.of("q"), LoraInit.KAIMING, false, List.of(), List.of(), Map.of(), Map.of(), "all", List.of()), "bias = 'all'"),
            Arguments.of((Runnable) () -> LoraConfig.of("q").withLayers(-1), "layers_to_transform contains -1"),
            Arguments.of((Runnable) () -> Targets.of(List.of()), "list is empty"),
            Arguments.of((Runnable) () -> Targets.regex("(unclosed"), "does not compile"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badConfigs")
    void invalidConfigsNameFieldAndValue(Runnable make, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void flanT5BaseCountsMatchPeft() {
        T5Config base = T5Config.fromJson(io.peft4j.testutil.Shared.require("models/flan-t5-base/config.json"));
        LoraConfig lab = LoraConfig.of("attn.q", "attn.v").withRank(32).withAlpha(32);
        ParameterCount pc = T5Shapes.loraCount(base, lab);
        assertEquals(3_538_944L, pc.trainable());
        assertEquals(251_116_800L, pc.all());
        assertEquals("trainable params: 3,538,944 || all params: 251,116,800 || trainable%: 1.4093", pc.toString());
    }
}
