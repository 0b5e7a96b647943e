package io.peft4j;

import io.peft4j.peft.OtherAdapterIO;
import io.peft4j.peft.PromptTuning;
import io.peft4j.train.TrainingResult;

import java.util.List;

/** Prompt tuning trained on a copy of the base: trainable virtual-token embeddings. */
public final class PromptTuningResult extends FineTuned {
    private final PromptTuning prompt;

    PromptTuningResult(Model copy, PromptTuning prompt, long trainable, long total, TrainingResult training, Provenance provenance) {
        super(Method.PROMPT_TUNING, "prompt tuning (" + prompt.prompt().value().size(0) + " tokens)", copy, trainable, total,
            List.of(prompt.prompt().name()), training, provenance);
        this.prompt = prompt;
    }

    public PromptTuning promptTuning() { return prompt; }

    @Override public Adapter adapter() {
        return new Adapter(this, (dir, dtype) -> OtherAdapterIO.savePrompt(prompt, dir, dtype, model().id()));
    }
}
