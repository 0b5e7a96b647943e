package io.peft4j.peft;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.Sampling;
import io.peft4j.model.llama.LlamaConfig;
import io.peft4j.model.llama.LlamaModel;
import io.peft4j.model.t5.T5Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Several adapters in one batch (PEFT's {@code adapter_names}), on an encoder-decoder (T5) and two
 * decoder-only models (Llama; GPT-2 with its fused, transposed c_attn): every row of a mixed batch — forward logits, greedy, beam search and
 * sampling — equals the same row of the batch run with that row's adapter alone (or the base model).
 * Row 0 and row 3 share an adapter, so its rows are not contiguous; "__base__" rows run no adapter.
 */
class MixedBatchTest {
    static final String[] ROWS = {"x", LoraModel.BASE, "y", "x", "z"};

    static LanguageModel model(String family) {
        if (family.equals("t5")) return T5Model.fromConfig(PeftFixtures.tinyGated(), 5);
        if (family.equals("gpt2")) {
            ObjectNode g = new ObjectMapper().createObjectNode();
            g.put("vocab_size", 40); g.put("n_positions", 64); g.put("n_embd", 16); g.put("n_layer", 2); g.put("n_head", 2);
            g.put("resid_pdrop", 0.0); g.put("embd_pdrop", 0.0); g.put("attn_pdrop", 0.0); g.put("initializer_range", 0.4);
            g.put("bos_token_id", 1); g.put("eos_token_id", 2); g.put("pad_token_id", 0);
            return io.peft4j.model.gpt2.Gpt2Model.fromConfig(io.peft4j.model.gpt2.Gpt2Config.fromJson(g), 5);
        }
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", "llama"); n.put("vocab_size", 40); n.put("hidden_size", 16); n.put("intermediate_size", 32);
        n.put("num_hidden_layers", 2); n.put("num_attention_heads", 4); n.put("num_key_value_heads", 2);
        n.put("max_position_embeddings", 64); n.put("rms_norm_eps", 1e-5); n.put("tie_word_embeddings", false);
        n.put("bos_token_id", 1); n.put("eos_token_id", 2); n.put("pad_token_id", 0);
        return LlamaModel.fromConfig(LlamaConfig.fromJson(n), 5, DataType.FLOAT, 0.4);
    }

    /** Three adapters with non-zero B on different modules (x: q,v; y: every linear, r 2; z: o, rsLoRA). */
    static LoraModel<LanguageModel> adapters(LanguageModel m) {
        LoraModel<LanguageModel> lora = LoraModel.empty(m);
        lora.addAdapter("x", LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM), 11);
        lora.addAdapter("y", LoraConfig.of("all-linear").withRank(2).withAlpha(4).withInit(LoraInit.RANDOM), 12);
        lora.addAdapter("z", LoraConfig.of("attn.o").withRank(3).withAlpha(6).withRslora(true).withInit(LoraInit.RANDOM), 13);
        return lora;
    }

    static int[][] ids(LanguageModel m, boolean left) {
        int[][] raw = {{5, 9, 12, 3, 7, 8}, {7, 22, 4}, {11, 6, 30, 17, 9}, {5, 9, 12, 3, 7, 8}, {19, 25, 6, 3}};
        int len = 6, pad = 0;
        int[][] out = new int[raw.length][len];
        for (int b = 0; b < raw.length; b++) {
            Arrays.fill(out[b], pad);
            System.arraycopy(raw[b], 0, out[b], left ? len - raw[b].length : 0, raw[b].length);
        }
        return out;
    }

    static int[][] mask(int[][] ids, boolean left, int[][] raw) {
        int[][] m = new int[ids.length][ids[0].length];
        for (int b = 0; b < ids.length; b++) {
            int n = raw[b].length, off = left ? ids[b].length - n : 0;
            Arrays.fill(m[b], off, off + n, 1);
        }
        return m;
    }

    record Inputs(int[][] ids, int[][] mask, Batch batch) {}

    static Inputs inputs(LanguageModel m) {
        boolean left = !m.encoderDecoder();
        int[][] raw = {{5, 9, 12, 3, 7, 8}, {7, 22, 4}, {11, 6, 30, 17, 9}, {5, 9, 12, 3, 7, 8}, {19, 25, 6, 3}};
        int[][] ids = ids(m, left), mask = mask(ids, left, raw);
        int[][] labels = m.encoderDecoder() ? new int[][]{{4, 8, 1}, {6, 1, -100}, {9, 3, 1}, {4, 8, 1}, {13, 1, -100}} : ids;
        return new Inputs(ids, mask, new Batch(ids, mask, labels));
    }

    /** Runs {@code body} with one adapter for every row (base: all disabled). */
    static <T> T alone(LoraModel<LanguageModel> lora, String name, java.util.function.Supplier<T> body) {
        if (name.equals(LoraModel.BASE)) {
            try (AdapterScope s = lora.disableAdapters()) { return body.get(); }
        }
        lora.setActive(name);
        return body.get();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t5", "llama", "gpt2"})
    void everyRowOfAMixedForwardIsItsAdaptersOwnRow(String family) {
        LanguageModel m = model(family);
        LoraModel<LanguageModel> lora = adapters(m);
        Inputs in = inputs(m);
        INDArray mixed;
        try (AdapterScope s = lora.rowAdapters(ROWS)) { mixed = m.logits(in.batch()); }
        Set<String> seen = new LinkedHashSet<>();
        for (int b = 0; b < ROWS.length; b++) {
            INDArray own = alone(lora, ROWS[b], () -> m.logits(in.batch()));
            double diff = mixed.slice(b).sub(own.slice(b)).amaxNumber().doubleValue();
            assertEquals(0, diff, 1e-5, family + " row " + b + " (" + ROWS[b] + ")");
            seen.add(ROWS[b]);
        }
        // the adapters really differ from each other and from the base on these rows
        INDArray base = alone(lora, LoraModel.BASE, () -> m.logits(in.batch()));
        for (int b : new int[]{0, 2, 4})
            assertTrue(mixed.slice(b).sub(base.slice(b)).amaxNumber().doubleValue() > 1e-2, family + " row " + b + " differs from the base");
        assertEquals(4, seen.size());
    }

    /** DoRA adapters take part in mixed batches through their own forward (PEFT refuses them there). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t5", "llama", "gpt2"})
    void doraRowsEqualTheDoraAdaptersOwnRows(String family) {
        LanguageModel m = model(family);
        LoraModel<LanguageModel> lora = adapters(m);
        lora.addAdapter("d", LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM).withDora(true), 14);
        String[] rows = {"d", "x", LoraModel.BASE, "d", "y"};
        Inputs in = inputs(m);
        INDArray mixed;
        try (AdapterScope s = lora.rowAdapters(rows)) { mixed = m.logits(in.batch()); }
        for (int b = 0; b < rows.length; b++) {
            INDArray own = alone(lora, rows[b], () -> m.logits(in.batch()));
            assertEquals(0, mixed.slice(b).sub(own.slice(b)).amaxNumber().doubleValue(), 1e-5, family + " row " + b + " (" + rows[b] + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t5", "llama", "gpt2"})
    void greedyBeamAndSamplingRowsEqualEachAdaptersOwnGeneration(String family) {
        LanguageModel m = model(family);
        LoraModel<LanguageModel> lora = adapters(m);
        Inputs in = inputs(m);
        GenerationConfig greedy = m.defaultGeneration().withMaxNewTokens(8);
        GenerationConfig[] configs = {
            greedy,
            greedy.withNumBeams(3),
            greedy.withEosTokenIds(List.of()).withSampling(Sampling.of(0.9).topK(10).seed(7)),   // no row ends early: one draw per row per step
        };
        for (GenerationConfig g : configs) {
            String what = family + (g.numBeams() > 1 ? " beam" : g.sampling() != null ? " sampling" : " greedy");
            int[][] mixed;
            try (AdapterScope s = lora.rowAdapters(ROWS)) { mixed = Generator.generate(m, in.ids(), in.mask(), g); }
            boolean anyDiffers = false;
            int[][] base = alone(lora, LoraModel.BASE, () -> Generator.generate(m, in.ids(), in.mask(), g));
            for (int b = 0; b < ROWS.length; b++) {
                int[][] own = alone(lora, ROWS[b], () -> Generator.generate(m, in.ids(), in.mask(), g));
                assertArrayEquals(trim(own[b]), trim(mixed[b]), what + " row " + b + " (" + ROWS[b] + ")");
                anyDiffers |= !Arrays.equals(trim(own[b]), trim(base[b]));
            }
            assertTrue(anyDiffers, what + ": some adapter changes some row's tokens (else the test could not fail)");
        }
    }

    /** Rows of one batch are padded to the batch's longest; compare up to the last non-pad token. */
    static int[] trim(int[] row) {
        int n = row.length;
        while (n > 1 && row[n - 1] == 0) n--;
        return Arrays.copyOf(row, n);
    }

    @Test
    void unknownNamesListTheLoadedAdaptersAndMergedOrTrainingPassesAreRefused() {
        LanguageModel m = model("t5");
        LoraModel<LanguageModel> lora = adapters(m);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lora.rowAdapters("x", "nope"));
        assertTrue(e.getMessage().contains("adapter_names[1] = 'nope'") && e.getMessage().contains("[x, y, z]")
            && e.getMessage().contains("__base__"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> lora.addAdapter(LoraModel.BASE, LoraConfig.of("attn.q"), 1));
        Inputs in = inputs(m);
        try (AdapterScope s = lora.rowAdapters(ROWS)) {
            IllegalStateException t = assertThrows(IllegalStateException.class, () -> m.forwardLoss(in.batch(), ForwardContext.training(1, 0)));
            assertTrue(t.getMessage().contains("inference only"), t.getMessage());
            Batch three = new Batch(Arrays.copyOf(in.ids(), 3), Arrays.copyOf(in.mask(), 3), Arrays.copyOf(in.batch().labels(), 3));
            IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> m.logits(three));
            assertTrue(n.getMessage().contains("does not split into the 5 batch rows"), n.getMessage());
        }
        lora.setActive("x");
        lora.merge();
        IllegalStateException merged = assertThrows(IllegalStateException.class, () -> lora.rowAdapters(ROWS));
        assertTrue(merged.getMessage().contains("merged"), merged.getMessage());
        lora.unmerge();
        try (AdapterScope s = lora.rowAdapters(ROWS)) { assertNotNull(m.logits(in.batch())); }
    }

    /**
     * The layer alone, against an explicit computation: few rows per input (decode steps: the
     * adapters stacked, two GEMMs) and many (prefill: one GEMM pair per run of rows), float32 and
     * float64, c and f order.
     */
    @ParameterizedTest(name = "{0} x {1} rows")
    @org.junit.jupiter.params.provider.CsvSource({"FLOAT,3", "DOUBLE,3", "FLOAT,70", "DOUBLE,70"})
    void theLayersRowPathEqualsAnExplicitComputation(String type, int t) {
        DataType dt = DataType.valueOf(type);
        int in = 6, out = 5;
        INDArray w = Nd4j.rand(DataType.DOUBLE, out, in).subi(0.5).castTo(dt);
        LoraLinear l = new LoraLinear("m", new io.peft4j.model.Linear(new io.peft4j.model.Parameter("m.weight", w, false)));
        l.addAdapter("p", 2, 0.5, 0, LoraInit.RANDOM, new java.util.SplittableRandom(1));
        l.addAdapter("q", 3, 2.0, 0, LoraInit.RANDOM, new java.util.SplittableRandom(2));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4 * t, in).subi(0.5).castTo(dt);
        double[][] xs = x.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (String[] rows : new String[][]{{"p", null, "p", "q"}, {"q", "q", null, "p"}, {null, null, null, null}}) {
            double[][] expected = new double[4 * t][out];                       // each row's adapter contribution, in plain Java
            for (int b = 0; b < 4; b++) {
                if (rows[b] == null) continue;
                LoraAdapter a = l.adapter(rows[b]);
                double[][] av = a.a().value().castTo(DataType.DOUBLE).toDoubleMatrix(), bv = a.b().value().castTo(DataType.DOUBLE).toDoubleMatrix();
                for (int i = b * t; i < (b + 1) * t; i++)
                    for (int o = 0; o < out; o++) {
                        double acc = 0;
                        for (int q = 0; q < a.rank(); q++) {
                            double u = 0;
                            for (int j = 0; j < in; j++) u += xs[i][j] * av[q][j];
                            acc += u * bv[o][q];
                        }
                        expected[i][o] = a.scaling() * acc;
                    }
            }
            l.setRowAdapters(rows);
            for (INDArray xi : new INDArray[]{x, x.dup('f')}) {
                INDArray y = l.forward(xi, ForwardContext.inference()).dup();
                double[][] got = y.sub(l.base().forward(xi, ForwardContext.inference())).castTo(DataType.DOUBLE).toDoubleMatrix();
                double worst = 0;
                for (int i = 0; i < 4 * t; i++) for (int o = 0; o < out; o++) worst = Math.max(worst, Math.abs(got[i][o] - expected[i][o]));
                assertEquals(0, worst, dt == DataType.DOUBLE ? 1e-12 : 1e-5, Arrays.toString(rows) + " " + xi.ordering());
            }
            l.setRowAdapters(null);
        }
    }
}
