package io.peft4j.peft;

import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Selective, full, IA3 and prompt tuning on tiny T5 models. */
class OtherMethodsTest {
    static T5Model tiny() { return T5Model.fromConfig(PeftFixtures.tinyGated(), 5); }

    static Stream<Arguments> selections() {
        T5Config c = PeftFixtures.tinyGated();   // d 16, 2 + 2 blocks
        long d = c.dModel();
        long encBlock = 4 * 16 * 16 + 2 * d + 3 * 24 * 16, decBlock = 8 * 16 * 16 + 3 * d + 3 * 24 * 16;
        return Stream.of(
            Arguments.of("layer norms (LN_TUNING)", (Function<T5Model, List<Parameter>>) Selective::layerNorms, 2 * 2 * d + 2 * 3 * d + 2 * d),
            Arguments.of("biases (none in T5)", (Function<T5Model, List<Parameter>>) Selective::biases, 0L),
            Arguments.of("encoder block 1", (Function<T5Model, List<Parameter>>) m -> Selective.blocks(m, "encoder", 1), encBlock),
            Arguments.of("last 1 layer", (Function<T5Model, List<Parameter>>) m -> Selective.lastLayers(m, 1), encBlock + decBlock + 2 * d),
            Arguments.of("full", (Function<T5Model, List<Parameter>>) Selective::full, T5Shapes.baseParameters(c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("selections")
    void selectiveTrainsExactlyTheChosenParameters(String what, Function<T5Model, List<Parameter>> select, long expected) {
        T5Model m = tiny();
        Map<String, INDArray> before = new HashMap<>();
        m.baseParameters().forEach((k, p) -> before.put(k, p.value().dup()));
        List<Parameter> chosen = select.apply(m);
        assertEquals(expected, ParameterCount.of(m).trainable());
        assertEquals(expected, chosen.stream().mapToLong(Parameter::size).sum());
        if (expected == 0) return;
        var batch = LoraModelTest.BATCH;
        double l0 = m.forwardLoss(batch, ForwardContext.training(0, 0));
        m.backward();
        for (Parameter p : chosen) p.value().subi(p.grad().mul(0.2));
        assertTrue(m.forwardLoss(batch, ForwardContext.inference()) < l0, what + " step lowers the loss");
        m.baseParameters().forEach((k, p) -> {
            if (!p.trainable()) assertEquals(before.get(k), p.value(), k + " frozen but changed");
        });
    }

    @Test
    void selectiveRejectsBadChoices() {
        T5Model m = tiny();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Selective.blocks(m, "encoder", 5)).getMessage().contains("encoder block 5 does not exist"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Selective.blocks(m, "middle", 0)).getMessage().contains("'middle'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Selective.lastLayers(m, 0)).getMessage().contains("last 0 layers"));
    }

    @Test
    void ia3DefaultsScaleKVOutputsAndWoInputs(@TempDir Path tmp) {
        T5Model m = tiny();
        INDArray base = m.logits(LoraModelTest.BATCH);
        Ia3Model<T5Model> ia3 = Ia3Model.of(m, Ia3Config.t5Defaults());
        // enc: 2 x (k, v, wo), dec: 2 x (self k, v, cross k, v, wo)
        assertEquals(16, ia3.layers().size());
        assertTrue(ia3.layers().get("encoder.block.0.layer.1.DenseReluDense.wo").feedforward());
        assertFalse(ia3.layers().get("decoder.block.0.layer.1.EncDecAttention.k").feedforward());
        assertEquals(base, m.logits(LoraModelTest.BATCH), "vectors start at ones");
        assertEquals(2 * (16 + 16 + 24) + 2 * (4 * 16 + 24), ia3.trainableParameters().trainable());
        double l0 = m.forwardLoss(LoraModelTest.BATCH, ForwardContext.training(0, 0));
        m.backward();
        for (Ia3Linear l : ia3.layers().values()) l.vector().value().subi(l.vector().grad().mul(0.5));
        INDArray trained = m.logits(LoraModelTest.BATCH);
        assertTrue(m.forwardLoss(LoraModelTest.BATCH, ForwardContext.inference()) < l0);
        try (AdapterScope off = ia3.disableAdapters()) {
            assertEquals(base, m.logits(LoraModelTest.BATCH));
        }
        OtherAdapterIO.saveIa3(ia3, tmp, SafeTensors.Dtype.F32, null);
        var h = SafeTensors.header(tmp.resolve("adapter_model.safetensors"));
        assertArrayEquals(new long[]{16, 1}, h.entries().get("base_model.model.encoder.block.0.layer.0.SelfAttention.k.ia3_l").shape());
        assertArrayEquals(new long[]{1, 24}, h.entries().get("base_model.model.encoder.block.0.layer.1.DenseReluDense.wo.ia3_l").shape());
        assertEquals(trained, OtherAdapterIO.loadIa3(tiny(), tmp).model().logits(LoraModelTest.BATCH));
        T5Model plain = ia3.mergeAndUnload();
        assertEquals(0, plain.logits(LoraModelTest.BATCH).sub(trained).amaxNumber().doubleValue(), 1e-4);
        // a LoRA file is not an IA3 file
        assertThrows(FileFormatException.class, () -> OtherAdapterIO.loadPrompt(tiny(), tmp));
    }

    @Test
    void promptTuningPrependsTrainableVirtualTokens(@TempDir Path tmp) throws Exception {
        T5Model m = tiny();
        Map<String, INDArray> before = new HashMap<>();
        m.baseParameters().forEach((k, p) -> before.put(k, p.value().dup()));
        INDArray base = m.logits(LoraModelTest.BATCH);
        PromptTuning pt = PromptTuning.fromTokens(m, 5, new int[]{7, 9});
        assertEquals(m.sharedEmbedding().value().getRow(9), pt.prompt().value().getRow(3), "TEXT init repeats the token embeddings");
        assertEquals(5 * 16, pt.trainableParameters().trainable());
        assertNotEquals(base, m.logits(LoraModelTest.BATCH));
        assertEquals(5 + 5, m.encode(LoraModelTest.BATCH.inputIds(), LoraModelTest.BATCH.attentionMask()).size(1));
        double l0 = m.forwardLoss(LoraModelTest.BATCH, ForwardContext.training(0, 0));
        m.backward();
        pt.prompt().value().subi(pt.prompt().grad().mul(2.0));
        assertTrue(m.forwardLoss(LoraModelTest.BATCH, ForwardContext.inference()) < l0);
        before.forEach((k, v) -> assertEquals(v, m.baseParameters().get(k).value(), k));
        INDArray trained = m.logits(LoraModelTest.BATCH);
        OtherAdapterIO.savePrompt(pt, tmp, SafeTensors.Dtype.F32, null);
        assertTrue(Files.readString(tmp.resolve("adapter_config.json")).contains("\"num_transformer_submodules\" : 1"));
        assertEquals(trained, OtherAdapterIO.loadPrompt(tiny(), tmp).model().logits(LoraModelTest.BATCH));
        pt.unload();
        assertEquals(base, m.logits(LoraModelTest.BATCH));
        assertThrows(IllegalArgumentException.class, () -> PromptTuning.fromTokens(tiny(), 3, new int[]{-1}));
        assertThrows(IllegalArgumentException.class, () -> PromptTuning.random(tiny(), 0, 1));
    }
}
