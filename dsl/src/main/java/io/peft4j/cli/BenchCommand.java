package io.peft4j.cli;

import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.ops.Gemm;
import io.peft4j.ops.Par;

import io.peft4j.model.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.Callable;

/**
 * {@code peft4j bench}: training-step and forward time of a T5 or a Llama-shaped decoder-only
 * architecture with random weights (batch 8, source 256, target 64 by default; a decoder-only row is
 * source + target tokens with the loss on the last target tokens, {@link CausalBench}), plus the
 * time of the same step's GEMMs replayed alone, tokens/s and peak RSS. Modes: {@code full} (all
 * weights trainable), {@code lora8} / {@code lora32} and, for T5, {@code qv} (only the attention q
 * and v weights trainable).
 */
@Command(name = "bench", description = "Time forward and training steps of the T5 or Llama engine (random weights).")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", description = "flan-t5-small | demo | a T5 config.json file (T5) | smollm2-135m | demo-causal (Llama-shaped, "
        + "loss on the last --target of --source + --target tokens) (default ${DEFAULT-VALUE})") String config = "flan-t5-small";
    @Option(names = "--mode", description = "full | qv (T5 only) | lora8 (r 8, alpha 16, q,v) | lora32 (r 32, alpha 32, dropout 0.05, q,v) | "
        + "lora8-qkvo (T5 only: r 8, alpha 16, dropout 0.05, q,k,v,o: the demo's LoRA) (default ${DEFAULT-VALUE})") String mode = "full";
    @Option(names = "--threads", description = "ND4J / BLAS threads (default: OMP_NUM_THREADS or cores)") Integer threads;
    @Option(names = "--java-threads", description = "threads of the engine's Java loops (default: --threads)") Integer javaThreads;
    @Option(names = "--steps", description = "timed steps (>= 5; >= 3 for the decoder-only configs; default ${DEFAULT-VALUE})") int steps = 5;
    @Option(names = "--warmup", description = "untimed warm-up steps (default ${DEFAULT-VALUE})") int warmup = 1;
    @Option(names = "--batch", description = "batch size (default ${DEFAULT-VALUE})") int batch = 8;
    @Option(names = "--source", description = "source length (default ${DEFAULT-VALUE})") int source = 256;
    @Option(names = "--target", description = "target length (default ${DEFAULT-VALUE})") int target = 64;
    @Option(names = "--optimizer", description = "adamw (a real training step: forward, backward, AdamW update of the trainable weights) | none (forward + backward) (default ${DEFAULT-VALUE})") String optimizer = "adamw";
    @Option(names = "--gemm-profile", description = "also print the step's GEMMs grouped by shape, slowest first") boolean gemmProfile;
    @Option(names = "--generate", description = "time greedy generation instead of training: batch 1 and 8 (or --batch), "
        + "--source tokens in, --new-tokens forced out, base vs LoRA r=8 on q,v unmerged vs merged") boolean generate;
    @Option(names = "--new-tokens", description = "tokens generated per row with --generate (EOS ignored; default ${DEFAULT-VALUE})") int newTokens = 64;
    @Option(names = "--adapters", description = "with --generate: N > 1 times a batch whose rows use N different LoRA adapters "
        + "(row i: adapter i mod N) against the same batch with one adapter (default ${DEFAULT-VALUE}: base vs one adapter only)") int adapters = 1;
    @Option(names = "--csv", description = "print one CSV header and row instead of text") boolean csv;

    /** The FLAN-T5-small architecture (../shared/models/flan-t5-small/config.json). */
    public static T5Config flanT5Small() {
        var n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("vocab_size", 32128); n.put("d_model", 512); n.put("d_kv", 64); n.put("d_ff", 1024);
        n.put("num_layers", 8); n.put("num_decoder_layers", 8); n.put("num_heads", 6);
        n.put("feed_forward_proj", "gated-gelu"); n.put("dense_act_fn", "gelu_new"); n.put("is_gated_act", true);
        n.put("tie_word_embeddings", false); n.put("dropout_rate", 0.1);
        return T5Config.fromJson(n);
    }

    /** The demo model's architecture: the one {@link io.peft4j.tools.DemoPretraining.Recipe#standard()} makes. */
    public static T5Config demo() {
        return io.peft4j.tools.DemoPretraining.Recipe.standard().config();
    }

    /** Columns of a training-step row (both stacks, every config). Append new columns at the end only. */
    static final String TRAIN_CSV_HEADER = "stack,config,mode,threads,step_s_median,tokens_per_s,peak_rss_mb,trainable_params,"
        + "forward_s_median,optimizer_s_median,optimizer,gemm_s,gemm_calls,gemm_gflop,gemm_peak_gflops,mfu,batch,source,target,blas_core";

    static final List<String> T5_CONFIGS = List.of("flan-t5-small", "demo");

    private static List<String> allConfigs() {
        List<String> all = new ArrayList<>(T5_CONFIGS);
        all.addAll(CausalBench.CONFIGS);
        return all;
    }

    @Override public Integer call() {
        boolean causal = CausalBench.CONFIGS.contains(config);
        boolean jsonConfig = config.endsWith(".json") && java.nio.file.Files.isRegularFile(java.nio.file.Path.of(config));
        if (!causal && !T5_CONFIGS.contains(config) && !jsonConfig) {
            System.err.println("peft4j bench: unknown --config '" + config + "' (valid: " + String.join(", ", allConfigs()) + ", or a T5 config.json file)");
            return 2;
        }
        List<String> modes = causal ? CausalBench.MODES : List.of("full", "qv", "lora8", "lora32", "lora8-qkvo");
        if (!modes.contains(mode)) {
            System.err.println("peft4j bench: unknown --mode '" + mode + "' for --config " + config + " (valid: " + String.join(", ", modes) + ")");
            return 2;
        }
        if (!List.of("adamw", "none").contains(optimizer)) {
            System.err.println("peft4j bench: unknown --optimizer '" + optimizer + "' (valid: adamw, none)");
            return 2;
        }
        int minSteps = causal ? 3 : 5;
        if (steps < minSteps) { System.err.println("peft4j bench: --steps must be >= " + minSteps + " for --config " + config + ", got " + steps); return 2; }
        if (causal && (generate || adapters != 1)) {
            System.err.println("peft4j bench: --generate and --adapters support the T5 configs only (" + String.join(", ", T5_CONFIGS)
                + "), not --config " + config);
            return 2;
        }
        if (batch < 1 || source < 1 || target < 1) {
            System.err.println("peft4j bench: --batch, --source and --target must be >= 1, got " + batch + ", " + source + ", " + target);
            return 2;
        }
        int nThreads = threads != null ? threads : envThreads();
        setThreads(nThreads);
        if (javaThreads != null) Par.setThreads(javaThreads);
        if (causal) {
            var c = CausalBench.config(config);
            var m = io.peft4j.model.llama.LlamaModel.fromConfig(c, 1234);
            CausalBench.prepare(m, mode, 1234);
            return train(m, CausalBench.batch(c, batch, source, target, 99), nThreads);
        }
        T5Config c;
        if (jsonConfig) {
            try {
                c = T5Config.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.nio.file.Path.of(config).toFile()));
            } catch (java.io.IOException e) {
                System.err.println("peft4j bench: cannot read --config " + config + ": " + e.getMessage());
                return 2;
            }
        } else c = config.equals("flan-t5-small") ? flanT5Small() : demo();
        T5Model m = T5Model.fromConfig(c, 1234);
        if (generate) return adapters > 1 ? mixedGeneration(c, m, nThreads) : generation(c, m, nThreads);
        if (mode.equals("full")) m.setAllTrainable(true);
        else if (mode.startsWith("lora")) {
            io.peft4j.peft.LoraConfig lc = switch (mode) {
                case "lora8" -> io.peft4j.peft.LoraConfig.of("attn.q", "attn.v").withRank(8).withAlpha(16);
                case "lora8-qkvo" -> io.peft4j.peft.LoraConfig.of("attn.q", "attn.k", "attn.v", "attn.o").withRank(8).withAlpha(16).withDropout(0.05);
                default -> io.peft4j.peft.LoraConfig.of("attn.q", "attn.v").withRank(32).withAlpha(32).withDropout(0.05);
            };
            io.peft4j.peft.LoraModel.of(m, lc, 1234);
        } else {
            m.setAllTrainable(false);
            for (var e : m.projections().entrySet())
                if (e.getKey().endsWith("Attention.q") || e.getKey().endsWith("Attention.v"))
                    for (Parameter p : e.getValue().get().parameters()) p.setTrainable(true);
        }
        Random r = new Random(99);
        int[][] ids = new int[batch][source], mask = new int[batch][source], labels = new int[batch][target];
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < source; s++) { ids[b][s] = 2 + r.nextInt(c.vocabSize() - 2); mask[b][s] = 1; }
            for (int t = 0; t < target; t++) labels[b][t] = 2 + r.nextInt(c.vocabSize() - 2);
        }
        return train(m, new Batch(ids, mask, labels), nThreads);
    }

    /** Times warm-up + {@code steps} training steps of {@code m} on {@code sb} and prints the result (text or one CSV row). */
    private int train(LanguageModel m, Batch sb, int nThreads) {
        io.peft4j.train.AdamW adamw = optimizer.equals("adamw")
            ? new io.peft4j.train.AdamW(m.parameters(), io.peft4j.train.AdamW.Options.torchDefaults()) : null;
        long trainable = 0;
        for (Parameter p : m.parameters()) if (p.trainable()) trainable += p.size();
        double[] stepS = new double[steps], fwdS = new double[steps], optS = new double[steps];
        List<Gemm.Call> calls = null;
        for (int i = -warmup; i < steps; i++) {
            m.zeroGrad();
            boolean record = i == 0;
            if (record) Gemm.startRecording();
            long t0 = System.nanoTime();
            m.forwardLoss(sb, ForwardContext.training(7, i + warmup));
            long t1 = System.nanoTime();
            m.backward();
            long t2 = System.nanoTime();
            if (record) calls = Gemm.stopRecording();
            if (adamw != null) adamw.step(1e-5);
            long t3 = System.nanoTime();
            if (i >= 0) { stepS[i] = (t3 - t0) / 1e9; fwdS[i] = (t1 - t0) / 1e9; optS[i] = (t3 - t2) / 1e9; }
            if (!csv) System.err.printf("step %d: %.3f s (forward %.3f s, optimizer %.3f s)%n", i, (t3 - t0) / 1e9, (t1 - t0) / 1e9, (t3 - t2) / 1e9);
        }
        double rss = peakRssMb();          // of the training steps: before the GEMM replay allocates its own arrays
        double gemmS = Gemm.replay(calls);
        if (gemmProfile) {
            System.err.printf(Locale.ROOT, "GEMM profile (%.1f GFLOP per step):%n", Gemm.flops(calls) / 1e9);
            for (String l : Gemm.profile(calls)) System.err.println(l);
        }
        double step = median(stepS), fwd = median(fwdS), opt = median(optS);
        double gemmFlop = Gemm.flops(calls), peak = gemmPeakGflops();
        double mfu = gemmFlop / step / 1e9 / peak;
        String core = Objects.requireNonNullElse(System.getenv("OPENBLAS_CORETYPE"), "");
        if (!csv || !core.equals(bestCoreType()))
            System.err.println("OPENBLAS_CORETYPE=" + core + (core.equals(bestCoreType()) ? "" : " (this CPU supports " + bestCoreType() + ", which is faster)"));
        double tokensPerS = (double) batch * (source + target) / step;
        if (csv) {
            System.out.println(TRAIN_CSV_HEADER);
            System.out.printf(Locale.ROOT, "peft4j,%s,%s,%d,%.4f,%.1f,%.0f,%d,%.4f,%.4f,%s,%.4f,%d,%.1f,%.1f,%.3f,%d,%d,%d,%s%n", config, mode, nThreads, step,
                tokensPerS, rss, trainable, fwd, opt, optimizer, gemmS, calls.size(), gemmFlop / 1e9, peak, mfu, batch, source, target, core);
        } else {
            System.out.printf(Locale.ROOT, "config %s, mode %s, threads %d, batch %d, source %d, target %d, trainable params %,d%n",
                config, mode, nThreads, batch, source, target, trainable);
            System.out.printf(Locale.ROOT, "training step  median %.3f s over %d steps (%.1f tokens/s, source+target)%n", step, steps, tokensPerS);
            System.out.printf(Locale.ROOT, "forward        median %.3f s%n", fwd);
            System.out.printf(Locale.ROOT, "optimizer      median %.3f s (%s)%n", opt, optimizer);
            System.out.printf(Locale.ROOT, "MFU            %.1f%% (%.1f GFLOP of GEMMs per step against a measured %.1f GFLOP/s float32 GEMM peak)%n",
                100 * mfu, gemmFlop / 1e9, peak);
            System.out.printf(Locale.ROOT, "GEMMs alone    %.3f s (%d calls replayed; %.0f%% of the step)%n", gemmS, calls.size(), 100 * gemmS / step);
            System.out.printf(Locale.ROOT, "peak RSS       %.0f MB%n", rss);
        }
        return 0;
    }

    /**
     * Greedy decoding with the KV cache, {@code newTokens} forced (EOS never ends a row), for batch 1
     * and 8 (or {@code --batch} when given other than the default 8): the base model, LoRA r=8 alpha=16
     * on q,v unmerged (B non-zero so the branch does real work) and the same adapter merged.
     */
    private int generation(T5Config c, T5Model m, int nThreads) {
        int[] batches = batch == 8 ? new int[]{1, 8} : new int[]{batch};
        var lc = io.peft4j.peft.LoraConfig.of("attn.q", "attn.v").withRank(8).withAlpha(16);
        GenerationConfig g = new GenerationConfig(newTokens, 1, 1.0, false, -1, c.padTokenId(), c.decoderStartTokenId());
        if (csv) System.out.println("stack,config,variant,threads,batch,source,new_tokens,seconds_median,tokens_per_s,peak_rss_mb,blas_core");
        String core = Objects.requireNonNullElse(System.getenv("OPENBLAS_CORETYPE"), "");
        io.peft4j.peft.LoraModel<T5Model> lora = null;
        for (String variant : List.of("base", "lora8-unmerged", "lora8-merged")) {
            if (variant.equals("lora8-unmerged")) {
                lora = io.peft4j.peft.LoraModel.of(m, lc, 1234);
                Random r = new Random(5);
                for (Parameter p : lora.trainable())
                    if (p.name().contains("lora_B")) { INDArray v = p.value(); v.assign(Nd4j.randn(r.nextLong(), v.shape()).castTo(v.dataType()).muli(0.01)); }
            } else if (variant.equals("lora8-merged")) lora.merge();
            for (int bsz : batches) {
                Random r = new Random(99);
                int[][] ids = new int[bsz][source], mask = new int[bsz][source];
                for (int b = 0; b < bsz; b++) for (int s = 0; s < source; s++) { ids[b][s] = 2 + r.nextInt(c.vocabSize() - 2); mask[b][s] = 1; }
                double[] t = new double[Math.max(3, steps / 2)];
                for (int i = -1; i < t.length; i++) {
                    long t0 = System.nanoTime();
                    int[][] out = Generator.generate(m, ids, mask, g);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    if (out[0].length != newTokens + 1) throw new IllegalStateException("generated " + (out[0].length - 1) + " tokens, expected " + newTokens);
                    if (i >= 0) t[i] = sec;
                }
                double med = median(t), tps = (double) bsz * newTokens / med;
                if (csv) System.out.printf(Locale.ROOT, "peft4j,%s,%s,%d,%d,%d,%d,%.4f,%.1f,%.0f,%s%n", config, variant, nThreads, bsz, source, newTokens,
                    med, tps, peakRssMb(), core);
                else System.out.printf(Locale.ROOT, "%-15s batch %d: %.3f s for %d new tokens per row (%.1f tokens/s)%n", variant, bsz, med, newTokens, tps);
            }
        }
        return 0;
    }

    /**
     * Greedy decoding of one batch ({@code --batch}, default 8) with LoRA r=8 alpha=16 on q,v: the
     * whole batch with one adapter (the ordinary active-adapter path), the same batch through the
     * per-row path with every row naming that adapter, and the batch with row i on adapter
     * {@code i mod --adapters} (PEFT's {@code adapter_names}). All adapters have non-zero B.
     */
    private int mixedGeneration(T5Config c, T5Model m, int nThreads) {
        var lc = io.peft4j.peft.LoraConfig.of("attn.q", "attn.v").withRank(8).withAlpha(16);
        var lora = io.peft4j.peft.LoraModel.empty(m);
        Random r = new Random(5);
        for (int a = 0; a < adapters; a++) {
            String name = "task" + a;
            lora.addAdapter(name, lc, 1234 + a);
            for (var l : lora.layers().values()) {
                var ad = l.adapters().get(name);
                if (ad != null) ad.b().value().assign(Nd4j.randn(r.nextLong(), ad.b().value().shape()).castTo(ad.b().value().dataType()).muli(0.01));
            }
        }
        lora.setActive("task0");
        GenerationConfig g = new GenerationConfig(newTokens, 1, 1.0, false, -1, c.padTokenId(), c.decoderStartTokenId());
        String core = Objects.requireNonNullElse(System.getenv("OPENBLAS_CORETYPE"), "");
        Random rr = new Random(99);
        int[][] ids = new int[batch][source], mask = new int[batch][source];
        for (int b = 0; b < batch; b++) for (int s = 0; s < source; s++) { ids[b][s] = 2 + rr.nextInt(c.vocabSize() - 2); mask[b][s] = 1; }
        String[] same = new String[batch], mixed = new String[batch];
        for (int b = 0; b < batch; b++) { same[b] = "task0"; mixed[b] = "task" + (b % adapters); }
        if (csv) System.out.println("stack,config,variant,threads,batch,adapters,source,new_tokens,seconds_median,tokens_per_s,peak_rss_mb,blas_core");
        List<String> variants = List.of("one-adapter", "rows-one-adapter", "rows-" + adapters + "-adapters");
        int rounds = Math.max(3, steps);
        double[][] t = new double[variants.size()][rounds];
        for (int i = -1; i < rounds; i++)                      // variants interleaved round by round: a shared machine's load hits them alike
            for (int v = 0; v < variants.size(); v++) {
                String[] rows = v == 0 ? null : v == 1 ? same : mixed;
                long t0 = System.nanoTime();
                int[][] out;
                try (var scope = rows == null ? null : lora.rowAdapters(rows)) { out = Generator.generate(m, ids, mask, g); }
                double sec = (System.nanoTime() - t0) / 1e9;
                if (out[0].length != newTokens + 1) throw new IllegalStateException("generated " + (out[0].length - 1) + " tokens, expected " + newTokens);
                if (i >= 0) t[v][i] = sec;
            }
        for (int v = 0; v < variants.size(); v++) {
            double med = median(t[v]), tps = (double) batch * newTokens / med;
            int distinct = v == 0 ? 1 : (int) Arrays.stream(v == 1 ? same : mixed).distinct().count();
            if (csv) System.out.printf(Locale.ROOT, "peft4j,%s,lora8-%s,%d,%d,%d,%d,%d,%.4f,%.1f,%.0f,%s%n", config, variants.get(v), nThreads, batch, distinct, source,
                newTokens, med, tps, peakRssMb(), core);
            else System.out.printf(Locale.ROOT, "lora8 %-22s batch %d, %d adapter(s): %.3f s for %d new tokens per row (%.1f tokens/s; runs %s)%n",
                variants.get(v), batch, distinct, med, newTokens, tps, Arrays.toString(t[v]));
        }
        return 0;
    }

    /** Float32 GEMM rate of this process (1024x1024x1024 through {@link Gemm#mm}, best of ~1 s), GFLOP/s. */
    static double gemmPeakGflops() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 1024, 1024), b = Nd4j.rand(DataType.FLOAT, 1024, 1024), c = Nd4j.zeros(DataType.FLOAT, 1024, 1024);
        for (int i = 0; i < 3; i++) Gemm.mm(a, b, c, false, false, 1, 0);
        double best = Double.MAX_VALUE;
        long end = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            Gemm.mm(a, b, c, false, false, 1, 0);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * 1024 * 1024 * 1024 / best / 1e9;
    }

    /** The OpenBLAS core type this CPU can use best (SkylakeX with AVX-512, Haswell with AVX2). */
    static String bestCoreType() {
        try {
            String info = Files.readString(Path.of("/proc/cpuinfo"));
            if (info.contains(" avx512f")) return "SkylakeX";
            if (info.contains(" avx2")) return "Haswell";
        } catch (Exception ignored) { }
        return "";
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static int envThreads() {
        try { return Integer.parseInt(System.getenv("OMP_NUM_THREADS")); } catch (Exception e) { return Runtime.getRuntime().availableProcessors(); }
    }

    static void setThreads(int n) {
        Par.setThreads(n);
        try { Nd4j.getEnvironment().setMaxThreads(n); } catch (Throwable ignored) { }
        try { ((org.nd4j.linalg.api.blas.Blas) Nd4j.factory().blas()).setMaxThreads(n); } catch (Throwable ignored) { }
        Gemm.setBlasThreads(n);
    }

    static double peakRssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status")))
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
        } catch (Exception ignored) { }
        return Double.NaN;
    }
}
