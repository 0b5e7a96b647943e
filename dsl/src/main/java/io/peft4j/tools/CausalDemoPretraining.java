package io.peft4j.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.data.BatchConfig;
import io.peft4j.data.CausalBatcher;
import io.peft4j.data.Dataset;
import io.peft4j.data.Datasets;
import io.peft4j.data.Example;
import io.peft4j.data.PromptTemplate;
import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.SafeTensors;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.Batch;
import io.peft4j.model.llama.LlamaConfig;
import io.peft4j.model.llama.LlamaModel;
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
import java.util.List;

/**
 * The recipe of the embedded decoder-only demo model: a small Llama-shaped model (grouped-query
 * attention, SwiGLU, RMSNorm, rotary positions, tied embeddings) with its own byte-level BPE
 * vocabulary ({@link BpeTrainer}), pretrained from scratch as a causal language model on the
 * project's own dialogue data ({@code datasets/dialogues/train.jsonl}: each dialogue and each
 * summary is a document; never the dev/test splits). Nothing is downloaded.
 *
 * <p>Run by {@code bin/peft4j pretrain-causal-demo}; the output folder is a Hugging Face-layout
 * checkpoint (config.json, model.safetensors in BF16, tokenizer.json, tokenizer_config.json,
 * chat_template.jinja, generation_config.json) plus a {@code RECIPE.md} with the settings and the
 * loss reached, which transformers loads as a {@code LlamaForCausalLM}.
 */
public final class CausalDemoPretraining {

    /** Every setting of the recipe; the defaults are what the committed checkpoint was made with. */
    public record Recipe(int vocabSize, int hidden, int intermediate, int layers, int heads, int kvHeads, int epochs,
                         int batchSize, int maxLength, double learningRate, int warmupSteps, int maxSteps, long seed) {
        public Recipe {
            if (vocabSize < 300) throw new IllegalArgumentException("vocabSize = " + vocabSize + " is invalid: allowed >= 300");
            if (hidden < 8 || hidden % heads != 0)
                throw new IllegalArgumentException("hidden = " + hidden + " is invalid: allowed >= 8 and a multiple of heads (" + heads + ")");
            if (heads % kvHeads != 0) throw new IllegalArgumentException("kvHeads = " + kvHeads + " is invalid: must divide heads (" + heads + ")");
            if (epochs < 1) throw new IllegalArgumentException("epochs = " + epochs + " is invalid: allowed >= 1");
            if (batchSize < 1) throw new IllegalArgumentException("batchSize = " + batchSize + " is invalid: allowed >= 1");
            if (maxLength < 16) throw new IllegalArgumentException("maxLength = " + maxLength + " is invalid: allowed >= 16");
            if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate = " + learningRate + " is invalid: allowed > 0");
            if (maxSteps < 0) throw new IllegalArgumentException("maxSteps = " + maxSteps + " is invalid: allowed >= 0 (0 = the epochs decide)");
        }

        public static Recipe standard() {
            return new Recipe(4000, 192, 512, 6, 6, 2, 3, 16, 256, 2e-3, 100, 0, 20261202L);
        }

        public Recipe withMaxSteps(int s) {
            return new Recipe(vocabSize, hidden, intermediate, layers, heads, kvHeads, epochs, batchSize, maxLength, learningRate,
                warmupSteps, s, seed);
        }

        public Recipe withEpochs(int e) {
            return new Recipe(vocabSize, hidden, intermediate, layers, heads, kvHeads, e, batchSize, maxLength, learningRate,
                warmupSteps, maxSteps, seed);
        }

        /** The model's config.json, given the tokenizer's special ids. */
        public LlamaConfig config(BpeTrainer.Vocabulary v) {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("model_type", "llama"); n.put("vocab_size", v.tokens().size()); n.put("hidden_size", hidden);
            n.put("intermediate_size", intermediate); n.put("num_hidden_layers", layers); n.put("num_attention_heads", heads);
            n.put("num_key_value_heads", kvHeads); n.put("max_position_embeddings", 1024); n.put("rope_theta", 10000.0);
            n.put("rms_norm_eps", 1e-5); n.put("tie_word_embeddings", true); n.put("bos_token_id", v.bosId());
            n.put("eos_token_id", v.eosId()); n.put("pad_token_id", v.padId()); n.put("torch_dtype", "bfloat16");
            return LlamaConfig.fromJson(n);
        }
    }

    private CausalDemoPretraining() {}

    /** Pretrains the causal demo model from {@code dataDir} (train.jsonl) into {@code out}. */
    public static TrainingResult run(Path dataDir, Path out, Recipe recipe, boolean progress) {
        List<String> texts = DemoPretraining.texts(Datasets.dialogsum(dataDir).train(), PromptTemplate.SUMMARIZE.apply(""));

        long t0 = System.nanoTime();
        BpeTrainer.Vocabulary vocab = new BpeTrainer(recipe.vocabSize(), 2).train(texts);
        System.err.printf("vocabulary: %d tokens (%d merges) in %.1f s%n", vocab.tokens().size(), vocab.merges().size(), (System.nanoTime() - t0) / 1e9);
        try {
            Files.createDirectories(out);
        } catch (IOException e) { throw new UncheckedIOException(e); }
        BpeTrainer.write(vocab, out);
        TextTokenizer tok;
        try {
            tok = TextTokenizer.load(out);
        } catch (IOException e) { throw new UncheckedIOException(e); }

        // language-model documents: the loss on every token after the BOS, eos at the end
        List<Example> docs = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) docs.add(new Example("doc" + i, "", texts.get(i), ""));
        Dataset corpus = Dataset.of("pretraining", docs);
        BatchConfig bc = new BatchConfig(recipe.batchSize(), 2, recipe.maxLength() - 2, true, 50 * recipe.batchSize(), recipe.seed());
        List<Batch> batches = new ArrayList<>();
        for (int e = 0; e < recipe.epochs(); e++) batches.addAll(new CausalBatcher(tok, bc.withSeed(recipe.seed() + e)).batches(corpus));
        if (recipe.maxSteps() > 0 && batches.size() > recipe.maxSteps()) batches = batches.subList(0, recipe.maxSteps());

        LlamaConfig config = recipe.config(vocab);
        LlamaModel model = LlamaModel.fromConfig(config, recipe.seed());
        model.setAllTrainable(true);
        TrainingConfig tc = TrainingConfig.builder().epochs(1).learningRate(recipe.learningRate())
            .warmupSteps(recipe.warmupSteps()).schedule(Schedule.COSINE).batchSize(recipe.batchSize())
            .seed(recipe.seed()).shuffle(false).evalEveryEpoch(false).build();
        Trainer trainer = new Trainer(model, tc);
        if (progress) trainer.addListener(new ProgressBar());
        TrainingResult result = trainer.train(batches, List.of());

        model.save(out, SafeTensors.Dtype.BF16);
        ObjectNode gen = new ObjectMapper().createObjectNode();
        gen.put("bos_token_id", vocab.bosId()); gen.put("eos_token_id", vocab.eosId()); gen.put("pad_token_id", vocab.padId());
        gen.put("max_new_tokens", 64);
        AtomicFiles.writeString(out.resolve("generation_config.json"), gen.toPrettyString() + "\n");
        List<Double> losses = result.stepLosses();
        double first = DemoPretraining.mean(losses.subList(0, Math.min(20, losses.size())));
        double last = DemoPretraining.mean(losses.subList(Math.max(0, losses.size() - 20), losses.size()));
        long params = 0;
        for (var p : model.baseParameters().values()) params += p.size();
        AtomicFiles.writeString(out.resolve("RECIPE.md"), """
            # peft4j causal demo model

            Made by `bin/peft4j pretrain-causal-demo` (class `io.peft4j.tools.CausalDemoPretraining`) from the
            project's own `datasets/dialogues/train.jsonl` only. Nothing was downloaded.

            - recipe: %s
            - architecture: LlamaForCausalLM, hidden %d, %d layers, %d heads (%d key/value heads), SwiGLU %d, tied embeddings
            - parameters: %,d (stored as BF16)
            - vocabulary: %d tokens (byte-level BPE, Llama 3 pre-tokenizer, trained by `io.peft4j.tools.BpeTrainer`), %d merges
            - objective: next-token prediction over each dialogue and each summary as its own document (up to %d tokens), plus the prompt wording
            - steps: %d, tokens: %,d, wall time: %.0f s, threads: %s
            - training loss: %.3f (mean of the first 20 steps) -> %.3f (mean of the last 20)
            """.formatted(recipe, recipe.hidden(), recipe.layers(), recipe.heads(), recipe.kvHeads(), recipe.intermediate(), params,
            vocab.tokens().size(), vocab.merges().size(), recipe.maxLength(), result.steps(), result.tokens(), result.wallSeconds(),
            System.getenv("OMP_NUM_THREADS"), first, last));
        return result;
    }
}
