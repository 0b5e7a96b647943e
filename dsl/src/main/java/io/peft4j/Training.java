package io.peft4j;

import io.peft4j.data.BatchConfig;
import io.peft4j.data.Batcher;
import io.peft4j.data.CausalBatcher;
import io.peft4j.data.Dataset;
import io.peft4j.model.Batch;
import io.peft4j.model.LanguageModel;
import io.peft4j.train.ProgressBar;
import io.peft4j.train.Trainer;
import io.peft4j.train.TrainingListener;
import io.peft4j.train.TrainingResult;

import java.util.List;
import java.util.Objects;
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
            if (data.hasMessages())
                throw new UnsupportedOperationException("'" + data.name() + "' holds conversations (\"messages\"): rendering them with the "
                    + "tokenizer's chat template is not available yet; use {\"prompt\", \"response\"} records");
            return new CausalBatcher(base.tokenizer(), bc).batches(data);
        }
        return new Batcher(base.tokenizer(), bc).batches(data);
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
