package io.peft4j.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.data.Batcher;
import io.peft4j.data.Dataset;
import io.peft4j.data.Datasets;
import io.peft4j.data.PromptTemplate;
import io.peft4j.tools.SpanCorruption;
import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.SafeTensors;
import io.peft4j.hf.SentencePieceTokenizer;
import io.peft4j.hf.TokenizerJsonWriter;
import io.peft4j.tools.UnigramTrainer;
import io.peft4j.model.Batch;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.train.ProgressBar;
import io.peft4j.train.Schedule;
import io.peft4j.train.Trainer;
import io.peft4j.train.TrainingConfig;
import io.peft4j.train.TrainingResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The recipe of the embedded demo model: a small FLAN-T5-shaped model (gated-GELU, untied head)
 * with its own Unigram vocabulary, pretrained from scratch on the project's own dialogue data
 * ({@code datasets/dialogues/train.jsonl} only, never the dev/test splits) with a FLAN-style
 * mixture: T5's span corruption over dialogues and summaries, and the instruction tasks of
 * {@link DemoTasks} (one-sentence gist under several wordings, topic, next turn, speaker). The
 * full multi-sentence summaries are never a target, so fine-tuning still has the DialogSum-style
 * summary to teach, as with FLAN-T5. Nothing is downloaded.
 *
 * <p>Run by {@code bin/peft4j pretrain-demo}; the output folder is a Hugging Face-layout checkpoint
 * (config.json, model.safetensors, tokenizer.json, generation_config.json) plus a
 * {@code RECIPE.md} with the settings and the loss reached.
 */
public final class DemoPretraining {

    /** Every setting of the recipe; the defaults are what the committed checkpoint was made with. */
    public record Recipe(int vocabSize, int dModel, int dKv, int dFf, int layers, int heads, double dropout,
                         int steps, int batchSize, int maxLength, double learningRate, int warmupSteps, long seed,
                         double instructionShare) {
        public Recipe {
            if (!(instructionShare >= 0 && instructionShare <= 1))
                throw new IllegalArgumentException("instructionShare must be in [0, 1], got " + instructionShare);
            if (vocabSize < 300) throw new IllegalArgumentException("vocabSize must be >= 300, got " + vocabSize);
            if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            if (maxLength < 16) throw new IllegalArgumentException("maxLength must be >= 16, got " + maxLength);
            if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
        }

        public static Recipe standard() {
            return new Recipe(4000, DMODEL, DMODEL / 4, DFF, 4, 4, 0.1, STEPS, 32, 160, 2e-3, 40, 20261202L, 0.7);
        }

        public Recipe withSteps(int s) {
            return new Recipe(vocabSize, dModel, dKv, dFf, layers, heads, dropout, s, batchSize, maxLength, learningRate, warmupSteps, seed, instructionShare);
        }

        /** The same recipe with pretraining examples of up to {@code n} tokens (longer texts are cut there). */
        public Recipe withMaxLength(int n) {
            return new Recipe(vocabSize, dModel, dKv, dFf, layers, heads, dropout, steps, batchSize, n, learningRate, warmupSteps, seed, instructionShare);
        }

        public T5Config config() {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("vocab_size", vocabSize); n.put("d_model", dModel); n.put("d_kv", dKv); n.put("d_ff", dFf);
            n.put("num_layers", layers); n.put("num_decoder_layers", layers); n.put("num_heads", heads);
            n.put("dropout_rate", dropout); n.put("feed_forward_proj", "gated-gelu"); n.put("tie_word_embeddings", false);
            return T5Config.fromJson(n);
        }
    }

    static final int DMODEL = Integer.getInteger("peft4j.demo.dModel", 192);
    static final int DFF = Integer.getInteger("peft4j.demo.dFf", 768);
    static final int STEPS = Integer.getInteger("peft4j.demo.steps", 1200);

    /** Shares of the instruction tasks among the instruction examples (TITLE, DETAILS, TOPIC, NEXT, SPEAKER). */
    static final double[] TASK_SHARES = {0.35, 0.3, 0.1, 0.15, 0.1};

    private DemoPretraining() {}

    /** Pretrains the demo model from {@code dataDir} (train.jsonl) into {@code out}. */
    public static TrainingResult run(Path dataDir, Path out, Recipe recipe, boolean progress) {
        Dataset train = Datasets.dialogsum(dataDir).train();
        List<String> texts = texts(train, PromptTemplate.SUMMARIZE.apply(train.example(0).dialogue()));
        SplittableRandom promptRng = new SplittableRandom(recipe.seed() + 1);
        for (int i = 0; i < 200; i++)
            for (DemoTasks.Kind k : DemoTasks.Kind.values()) {
                String[] st = DemoTasks.make(k, train.example(i % train.size()), promptRng);
                if (st != null) texts.add(st[0].replace(train.example(i % train.size()).dialogue(), ""));
            }

        long t0 = System.nanoTime();
        SentencePieceTokenizer tok = new UnigramTrainer(UnigramTrainer.Options.of(recipe.vocabSize())).train(texts);
        System.err.printf("vocabulary: %d pieces in %.1f s%n", tok.vocabSize(), (System.nanoTime() - t0) / 1e9);
        int firstSentinel = tok.vocabSize() - 1;

        // span-corruption examples: each dialogue or summary (plus the prompt wording) cut to maxLength tokens
        SplittableRandom rng = new SplittableRandom(recipe.seed());
        SpanCorruption sc = SpanCorruption.t5(firstSentinel, tok.eosId());
        List<int[][]> pairs = new ArrayList<>();
        int needed = recipe.steps() * recipe.batchSize();
        List<int[]> pieces = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            var ex = train.example(i);
            pieces.add(strip(tok.encode(PromptTemplate.SUMMARIZE.apply(ex.dialogue()) + ex.summary()), recipe.maxLength() - 8));
        }
        int instruction = 0;
        while (pairs.size() < needed) {
            if (rng.nextDouble() < recipe.instructionShare()) {
                DemoTasks.Kind kind = pickKind(rng);
                var ex = train.example(rng.nextInt(train.size()));
                String[] st = DemoTasks.make(kind, ex, rng);
                if (st == null) continue;
                int[] src = tok.encode(st[0]), tgt = tok.encode(st[1]);
                if (src.length > recipe.maxLength()) { src = Arrays.copyOf(src, recipe.maxLength()); src[src.length - 1] = tok.eosId(); }
                if (tgt.length > 64) { tgt = Arrays.copyOf(tgt, 64); tgt[63] = tok.eosId(); }
                pairs.add(new int[][]{src, tgt});
                instruction++;
            } else {
                int[] p = pieces.get(rng.nextInt(pieces.size()));
                SpanCorruption.Example e = sc.apply(p, rng);
                pairs.add(new int[][]{e.input(), e.target()});
            }
        }
        System.err.printf("examples: %d (%d instruction-task, %d span-corruption)%n", pairs.size(), instruction, pairs.size() - instruction);
        List<Batch> batches = new ArrayList<>();
        for (int b = 0; b < recipe.steps(); b++)
            batches.add(pad(pairs.subList(b * recipe.batchSize(), (b + 1) * recipe.batchSize()), tok.padId()));

        T5Model model = T5Model.fromConfig(recipe.config(), recipe.seed());
        model.setAllTrainable(true);
        TrainingConfig tc = TrainingConfig.builder().epochs(1).learningRate(recipe.learningRate())
            .warmupSteps(recipe.warmupSteps()).schedule(Schedule.COSINE).batchSize(recipe.batchSize())
            .seed(recipe.seed()).shuffle(false).evalEveryEpoch(false).build();
        Trainer trainer = new Trainer(model, tc);
        if (progress) trainer.addListener(new ProgressBar());
        TrainingResult result = trainer.train(batches, List.of());

        try {
            Files.createDirectories(out);
        } catch (IOException e) { throw new UncheckedIOException(e); }
        model.save(out, SafeTensors.Dtype.BF16);
        try {
            TokenizerJsonWriter.write(tok, out.resolve("tokenizer.json"));
        } catch (IOException e) { throw new UncheckedIOException(e); }
        ObjectNode gen = new ObjectMapper().createObjectNode();
        gen.put("decoder_start_token_id", 0); gen.put("eos_token_id", 1); gen.put("pad_token_id", 0);
        gen.put("max_new_tokens", 64);
        gen.put("no_repeat_ngram_size", 3);
        AtomicFiles.writeString(out.resolve("generation_config.json"), gen.toPrettyString() + "\n");
        List<Double> losses = result.stepLosses();
        double first = mean(losses.subList(0, Math.min(20, losses.size())));
        double last = mean(losses.subList(Math.max(0, losses.size() - 20), losses.size()));
        AtomicFiles.writeString(out.resolve("RECIPE.md"), """
            # peft4j demo model

            Made by `bin/peft4j pretrain-demo` (class `io.peft4j.tools.DemoPretraining`) from the
            %s only. Nothing was downloaded.

            - recipe: %s
            - parameters: %,d
            - vocabulary: %d pieces (Unigram, trained by `io.peft4j.tools.UnigramTrainer`), sentinels `<extra_id_N>` = %d - N
            - objective, FLAN-style mixture (class `io.peft4j.tools.DemoTasks`): %.0f%% instruction tasks made from
              training dialogues (shares among them: one-sentence gist %.0f%% under six wordings, one of them
              "Summarize the following conversation in one sentence."; the details it settles (the summary's
              later sentences) %.0f%% under three wordings; topic label %.0f%%; next turn %.0f%%; speaker of a
              line %.0f%%), %.0f%% T5 span corruption (15%% noise, mean span 3) over prompt + dialogue + summary
              texts (up to %d tokens). The whole summaries the demo fine-tunes on (gist and details in one
              text) are never a target: the base has the skills, fine-tuning teaches the format, as with FLAN-T5.
            - steps: %d of batch %d, tokens: %,d, wall time: %.0f s, threads: %s
            - training loss: %.3f (mean of the first 20 steps) -> %.3f (mean of the last 20)
            - stored as bfloat16 (`model.safetensors`); `generation_config.json` sets `no_repeat_ngram_size` 3
              (greedy decoding of a small model otherwise loops on phrases)
            """.formatted(source(dataDir), recipe, count(model), tok.vocabSize(), firstSentinel, 100 * recipe.instructionShare(),
            100 * TASK_SHARES[0], 100 * TASK_SHARES[1], 100 * TASK_SHARES[2], 100 * TASK_SHARES[3], 100 * TASK_SHARES[4],
            100 * (1 - recipe.instructionShare()), recipe.maxLength() - 8, result.steps(), recipe.batchSize(), result.tokens(),
            result.wallSeconds(), System.getenv("OMP_NUM_THREADS"), first, last));
        return result;
    }

    /** What RECIPE.md says the model was made from: the project's own dialogues, or the folder given. */
    public static String source(Path dataDir) {
        Path d = dataDir.toAbsolutePath().normalize();
        return d.endsWith(Path.of("datasets", "dialogues")) ? "project's own `datasets/dialogues/train.jsonl`"
            : "training split of `" + d.getFileName() + "` (`--data`, a folder outside the project's own data)";
    }

    private static DemoTasks.Kind pickKind(SplittableRandom rng) {
        double u = rng.nextDouble(), acc = 0;
        DemoTasks.Kind[] kinds = DemoTasks.Kind.values();
        for (int i = 0; i < kinds.length; i++) {
            acc += TASK_SHARES[i];
            if (u < acc) return kinds[i];
        }
        return kinds[kinds.length - 1];
    }

    private static long count(T5Model m) {
        long n = 0;
        for (var p : m.parameters()) n += p.size();
        return n;
    }

    /**
     * The pretraining texts of a demo model: every dialogue and every summary of {@code train}, and
     * 50 copies of {@code prompt} (the instruction words the fine-tuning prompt uses must be in the
     * vocabulary and known to the model).
     */
    static List<String> texts(Dataset train, String prompt) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            var ex = train.example(i);
            texts.add(ex.dialogue());
            texts.add(ex.summary());
        }
        for (int i = 0; i < 50; i++) texts.add(prompt);
        return texts;
    }

    static double mean(List<Double> xs) {
        double s = 0;
        for (double x : xs) s += x;
        return xs.isEmpty() ? Double.NaN : s / xs.size();
    }

    /** Drops the trailing {@code </s>} and truncates. */
    private static int[] strip(int[] ids, int max) {
        int n = Math.min(ids.length - 1, max);
        return Arrays.copyOf(ids, Math.max(n, 0));
    }

    private static Batch pad(List<int[][]> rows, int pad) {
        int s = 0, t = 0;
        for (int[][] r : rows) { s = Math.max(s, r[0].length); t = Math.max(t, r[1].length); }
        int[][] in = new int[rows.size()][s], mask = new int[rows.size()][s], lab = new int[rows.size()][t];
        for (int i = 0; i < rows.size(); i++) {
            int[] x = rows.get(i)[0], y = rows.get(i)[1];
            Arrays.fill(in[i], pad);
            System.arraycopy(x, 0, in[i], 0, x.length);
            Arrays.fill(mask[i], 0, x.length, 1);
            Arrays.fill(lab[i], Batcher.IGNORE);
            System.arraycopy(y, 0, lab[i], 0, y.length);
        }
        return new Batch(in, mask, lab);
    }
}
