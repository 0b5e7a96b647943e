package io.peft4j.model.t5;

import io.peft4j.model.Batch;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;

import io.peft4j.model.t5.RelativePositionBias;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.*;

/** Reproduces the base-model numbers of ../shared/fixtures/t5/*&#47;expected.json. */
class T5FixtureTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny_flan", "defaults_minimal_config"})
    void reproducesBaseOutputs(String name) {
        JsonNode exp = Fixtures.expected(name);
        T5Model m = T5Model.load(Fixtures.dir(name));
        JsonNode eff = exp.get("config_effective");
        assertEquals(eff.get("dense_act_fn").asText(), m.config().denseActFn());
        assertEquals(eff.get("is_gated_act").asBoolean(), m.config().isGatedAct());
        assertEquals(eff.get("tie_word_embeddings").asBoolean(), m.config().tieWordEmbeddings());
        assertEquals(eff.get("num_decoder_layers").asInt(), m.config().numDecoderLayers());
        int bi = 0;
        for (JsonNode b : exp.get("batches")) {
            String w = name + " batch " + bi++;
            Batch batch = Fixtures.batch(b);
            JsonNode base = b.get("base");
            assertArrayEquals(Fixtures.ints(b.get("decoder_input_ids")), m.shiftRight(batch.labels()), w + " decoder inputs");
            INDArray enc = m.encode(batch.inputIds(), batch.attentionMask());
            Fixtures.checkSummary(w + " encoder", enc, base.get("encoder_last_hidden_state"), 1e-4);
            double loss = m.forwardLoss(batch, ForwardContext.inference());
            assertEquals(base.get("loss").asDouble(), loss, 1e-5, w + " loss");
            INDArray logits = m.lastLogits();
            Fixtures.checkSummary(w + " logits", logits, base.get("logits"), 1e-4);
            assertArrayEquals(Fixtures.ints(base.get("logits").get("argmax")), Fixtures.argmax(logits), w + " argmax");
            INDArray again = m.logits(batch);
            assertEquals(logits, again, w + " logits() equals forwardLoss logits");
            int[][] greedy = Generator.greedy(m, batch.inputIds(), batch.attentionMask(), 12);
            assertArrayEquals(Fixtures.ints(base.get("greedy").get("sequences")), greedy, w + " greedy");
            // a one-beam beam search is greedy search (up to the filler after EOS: transformers' beam search fills
            // with `pad or eos`, i.e. EOS for T5 whose pad is 0; greedy search pads)
            int[][] oneBeam = Generator.beam(m, batch.inputIds(), batch.attentionMask(),
                m.defaultGeneration().withMaxNewTokens(12).withNumBeams(1));
            assertArrayEquals(afterEos(greedy, 1, 0), afterEos(oneBeam, 1, 0), w + " beam(1) == greedy");
        }
    }

    /** Rows with every position after the first {@code eos} set to {@code fill}. */
    static int[][] afterEos(int[][] rows, int eos, int fill) {
        int[][] out = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i].clone();
            for (int t = 1, seen = 0; t < out[i].length; t++) {
                if (seen == 1) out[i][t] = fill;
                else if (out[i][t] == eos) seen = 1;
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_flan", "defaults_minimal_config"})
    void relativePositionBuckets(String name) {
        JsonNode rb = Fixtures.expected(name).get("relative_position_buckets");
        T5Config c = T5Config.fromJson(Fixtures.dir(name).resolve("config.json"));
        int lo = rb.get("relative_position_range").get(0).asInt();
        for (int i = 0; i < rb.get("bidirectional_encoder").size(); i++) {
            int rp = lo + i;
            assertEquals(rb.get("bidirectional_encoder").get(i).asInt(),
                RelativePositionBias.bucket(rp, true, c.relativeAttentionNumBuckets(), c.relativeAttentionMaxDistance()), "enc rp " + rp);
            assertEquals(rb.get("unidirectional_decoder").get(i).asInt(),
                RelativePositionBias.bucket(rp, false, c.relativeAttentionNumBuckets(), c.relativeAttentionMaxDistance()), "dec rp " + rp);
        }
    }
}
