package io.peft4j;

import io.peft4j.data.BatchConfig;
import io.peft4j.data.Batcher;
import io.peft4j.data.CausalBatcher;
import io.peft4j.data.Dataset;
import io.peft4j.hf.TokenizerFileException;
import io.peft4j.hf.chat.ChatTemplate;
import io.peft4j.model.Batch;
import io.peft4j.model.LanguageModel;
import io.peft4j.train.ProgressBar;
import io.peft4j.train.Trainer;
import io.peft4j.train.TrainingListener;
import io.peft4j.train.TrainingResult;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** The one training routine behind every DSL method: tokenize and batch, then run the trainer. */
final class Training {
    /** Listeners every DSL training run reports to (the notebook kernel registers its live display here). */
    static final List<TrainingListener> GLOBAL = new CopyOnWriteArrayList<>();

    private Training() {}

    static List<Batch> batches(Model base, Dataset data, TrainOptions o, boolean shuffle) {
        Objects.requireNonNull(data, "training data");
        if (data.isEmpty()) throw new IllegalArgumentException("the training data '" + data.name() + "' is empty: need at least one example");
        if (o.batchSize() > data.size())
            throw new IllegalArgumentException("TrainOptions.batchSize = " + o.batchSize() + " is invalid: allowed <= "
                + data.size() + " (the number of examples in '" + data.name() + "')");
        BatchConfig bc = new BatchConfig(o.batchSize(), o.maxSourceLength(), o.maxTargetLength(), shuffle,
            shuffle ? 50 * o.batchSize() : 0, o.seed());
        if (!base.model().encoderDecoder()) {
            CausalBatcher cb = new CausalBatcher(base.tokenizer(), bc);
            if (data.hasMessages()) cb = cb.withChatTemplate(chatTemplate(base, data), base.id());
            return cb.batches(data);
        }
        if (data.hasMessages())
            throw new UnsupportedOperationException("'" + data.name() + "' holds conversations (\"messages\", the first at " + firstConversation(data)
                + "), and " + base.id() + " is an encoder-decoder model (" + base.family() + ") with no chat template to render them: for it, write "
                + "{\"prompt\", \"response\"} records (e.g. the conversation so far as the prompt, the assistant's reply as the response), "
                + "or fine-tune a decoder-only model (Llama, Mistral, Qwen2, GPT-2) whose tokenizer has a chat template");
        return new Batcher(base.tokenizer(), bc).batches(data);
    }

    /** The chat template of the model's folder; a clear error when it has none. */
    static ChatTemplate chatTemplate(Model base, Dataset data) {
        Path dir = base.folder();
        Optional<ChatTemplate> t;
        if (dir == null) t = Optional.empty();
        else {
            try {
                t = ChatTemplate.load(dir);
            } catch (TokenizerFileException e) {
                throw new IllegalArgumentException("cannot read the chat template of " + base.id() + ": " + e.getMessage(), e);
            }
        }
        if (t.isPresent()) return t.get();
        String where = dir == null ? "it was not loaded from a Hugging Face folder"
            : dir + " has no chat_template.jinja and its tokenizer_config.json no \"chat_template\"";
        throw new IllegalArgumentException("'" + data.name() + "' holds conversations (\"messages\", the first at " + firstConversation(data)
            + ") but the model " + base.id() + " has no chat template to render them (" + where + "): load the model's chat/instruct variant, "
            + (dir == null ? "load the model from a folder that has one" : "put the chat template the model was trained with into " + dir.resolve("chat_template.jinja"))
            + ", or write the records as {\"prompt\", \"response\"} (trained as plain prompt + response + eos)");
    }

    private static String firstConversation(Dataset data) {
        List<String> m = data.messages();
        for (int i = 0; i < m.size(); i++) if (!m.get(i).isEmpty()) return data.origins().get(i);
        return "?";
    }

    static TrainingResult run(Model base, LanguageModel model, Dataset train, TrainOptions o) { return run(base, model, train, o, 0); }

    /** As {@link #run(Model, LanguageModel, Dataset, TrainOptions)} with LoRA+'s ratio (0 = plain AdamW). */
    static TrainingResult run(Model base, LanguageModel model, Dataset train, TrainOptions o, double loraPlusLrRatio) {
        List<Batch> tb = batches(base, train, o, true);
        List<Batch> eb = o.eval() == null ? List.of()
            : batches(base, o.eval(), o.batchSize(Math.min(o.batchSize(), o.eval().size())), false);
        Trainer trainer = new Trainer(model, o.toTrainingConfig().toBuilder().loraPlusLrRatio(loraPlusLrRatio).build());
        for (TrainingListener l : GLOBAL) trainer.addListener(l);
        if (o.progress() && GLOBAL.isEmpty()) trainer.addListener(new ProgressBar());
        TrainingResult r = trainer.train(tb, eb);
        // the trainer consumed the interrupt to end cleanly; restore it so the caller's next safe point stops too
        if (r.outcome() == TrainingResult.Outcome.INTERRUPTED) Thread.currentThread().interrupt();
        return r;
    }
}
