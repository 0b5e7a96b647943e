package io.peft4j.cli;

import io.peft4j.model.Batch;
import io.peft4j.model.llama.LlamaConfig;
import io.peft4j.model.llama.LlamaModel;
import io.peft4j.ops.CrossEntropy;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code peft4j bench}: the CSV columns the published rows use, the decoder-only configurations'
 * shapes and trainable-parameter counts, and one tiny decoder-only run end to end.
 */
class BenchCommandTest {
    /** The training-row columns as published in docs/BENCHMARKS.md; new columns may only be appended. */
    static final String PUBLISHED_COLUMNS = "stack,config,mode,threads,step_s_median,tokens_per_s,peak_rss_mb,trainable_params,"
        + "forward_s_median,optimizer_s_median,optimizer,gemm_s,gemm_calls,gemm_gflop,gemm_peak_gflops,mfu,batch,source,target,blas_core";

    @Test
    void trainingCsvColumnsAreUnchanged() {
        assertTrue(BenchCommand.TRAIN_CSV_HEADER.startsWith(PUBLISHED_COLUMNS), BenchCommand.TRAIN_CSV_HEADER);
        assertEquals(PUBLISHED_COLUMNS, BenchCommand.TRAIN_CSV_HEADER);
    }

    @Test
    void pytorchPeerPrintsTheSameColumns() throws Exception {
        Path peer = Path.of(System.getenv().getOrDefault("PEFT4J_BENCH_DIR", "../bench")).resolve("pytorch_peer.py");
        assumeTrue(Files.isRegularFile(peer), "skipped: " + peer.toAbsolutePath() + " not found (set PEFT4J_BENCH_DIR to the bench/ folder)");
        String src = Files.readString(peer);
        assertTrue(src.contains("\"" + BenchCommand.TRAIN_CSV_HEADER + "\""), "the peer's training header differs from peft4j's");
    }

    @Test
    void smollm2ConfigHasTheRealShapes() {
        LlamaConfig c = CausalBench.smollm2135m();
        assertEquals("llama", c.modelType());
        assertEquals(576, c.hiddenSize());
        assertEquals(30, c.numHiddenLayers());
        assertEquals(9, c.numAttentionHeads());
        assertEquals(3, c.numKeyValueHeads());
        assertEquals(64, c.headDim());
        assertEquals(192, c.kvDim());
        assertEquals(1536, c.intermediateSize());
        assertEquals(49152, c.vocabSize());
        assertEquals(100000.0, c.rope().theta());
        assertEquals(1e-5, c.rmsNormEps());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(134_515_008L, c.parameterCount());        // SmolLM2-135M: 134.5M parameters, lm_head tied
        assertEquals(460_800L, CausalBench.trainableOf(c, "lora8"));
        assertEquals(134_515_008L, CausalBench.trainableOf(c, "full"));
    }

    /** The shape formula agrees with a real model's trainable parameters (demo-causal is small enough to build). */
    @Test
    void trainableCountsMatchARealModel() {
        LlamaConfig c = CausalBench.demoCausal();
        assertEquals(192, c.hiddenSize());
        assertEquals(6, c.numHiddenLayers());
        assertEquals(2612, c.vocabSize());
        for (String mode : CausalBench.MODES) {
            LlamaModel m = LlamaModel.fromConfig(c, 1);
            CausalBench.prepare(m, mode, 1);
            assertEquals(CausalBench.trainableOf(c, mode), CausalBench.trainable(m), mode);
        }
        assertEquals(6L * 8 * ((192 + 192) + (192 + 64)), CausalBench.trainableOf(c, "lora8"));
    }

    @Test
    void batchScoresOnlyTheLastTargetTokens() {
        Batch b = CausalBench.batch(CausalBench.demoCausal(), 2, 5, 3, 7);
        assertEquals(2, b.inputIds().length);
        for (int r = 0; r < 2; r++) {
            assertEquals(8, b.inputIds()[r].length);
            for (int t = 0; t < 8; t++) {
                assertEquals(1, b.attentionMask()[r][t]);
                assertEquals(t < 5 ? CrossEntropy.IGNORE : b.inputIds()[r][t], b.labels()[r][t], "row " + r + " position " + t);
            }
        }
    }

    @Test
    void unknownConfigAndModeAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> CausalBench.config("smollm2-1.7b"));
        Run r = bench("--config", "smollm2-1.7b");
        assertEquals(2, r.rc);
        assertTrue(r.err.contains("'smollm2-1.7b'") && r.err.contains("smollm2-135m"), r.err);
        r = bench("--config", "demo-causal", "--mode", "qv");
        assertEquals(2, r.rc);
        assertTrue(r.err.contains("'qv'") && r.err.contains("full, lora8, lora32"), r.err);
        r = bench("--config", "demo-causal", "--generate");
        assertEquals(2, r.rc);
        assertTrue(r.err.contains("--generate"), r.err);
    }

    @Test
    void tinyDecoderOnlyRunPrintsOneRowInThePublishedColumns() {
        Run r = bench("--config", "demo-causal", "--mode", "lora8", "--threads", String.valueOf(BenchCommand.envThreads()), "--steps", "3",
            "--warmup", "0", "--batch", "2", "--source", "12", "--target", "4", "--csv");
        assertEquals(0, r.rc, r.err);
        String[] lines = r.out.strip().split("\n");
        assertEquals(2, lines.length, r.out);
        assertEquals(PUBLISHED_COLUMNS, lines[0]);
        String[] cols = PUBLISHED_COLUMNS.split(","), row = lines[1].split(",", -1);
        assertEquals(cols.length, row.length, lines[1]);
        java.util.Map<String, String> v = new java.util.HashMap<>();
        for (int i = 0; i < cols.length; i++) v.put(cols[i], row[i]);
        assertEquals("peft4j", v.get("stack"));
        assertEquals("demo-causal", v.get("config"));
        assertEquals("lora8", v.get("mode"));
        assertEquals(String.valueOf(CausalBench.trainableOf(CausalBench.demoCausal(), "lora8")), v.get("trainable_params"));
        assertEquals("2", v.get("batch"));
        assertEquals("12", v.get("source"));
        assertEquals("4", v.get("target"));
        double step = Double.parseDouble(v.get("step_s_median")), tps = Double.parseDouble(v.get("tokens_per_s"));
        assertTrue(step > 0, lines[1]);
        assertEquals(2 * 16 / step, tps, 0.05 * tps + 0.1, lines[1]);
        assertTrue(Integer.parseInt(v.get("gemm_calls")) > 0, lines[1]);
    }

    record Run(int rc, String out, String err) {}

    /** Runs the command in-process; it prints its rows to System.out, captured here. */
    static synchronized Run bench(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = new CommandLine(new BenchCommand()).execute(args);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
