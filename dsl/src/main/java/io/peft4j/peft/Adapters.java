package io.peft4j.peft;

import io.peft4j.model.LanguageModel;
import io.peft4j.model.t5.T5Model;

import java.nio.file.Path;

/**
 * One entry point for "put the adapter in this folder on this model", whatever its
 * {@code peft_type}: LORA and IA3 (optionally merged into the base weights, leaving a plain model),
 * PROMPT_TUNING (cannot be merged).
 */
public final class Adapters {
    private Adapters() {}

    /** What {@link #apply} did: the model to run and the method it found. */
    public record Applied(LanguageModel model, String peftType, Object wrapper) {}

    public static Applied apply(LanguageModel model, Path dir, boolean merge) {
        String type = AdapterIO.peftType(dir);
        switch (type) {
            case "LORA": {
                LoraModel<LanguageModel> l = AdapterIO.loadLora(model, dir);
                return new Applied(merge ? l.mergeAndUnload() : l.model(), type, merge ? null : l);
            }
            case "IA3": {
                Ia3Model<LanguageModel> i = OtherAdapterIO.loadIa3(model, dir);
                return new Applied(merge ? i.mergeAndUnload() : i.model(), type, merge ? null : i);
            }
            case "PROMPT_TUNING": {
                if (merge) throw new IllegalArgumentException(dir + ": a PROMPT_TUNING adapter has no weights to merge; drop --merge");
                if (!(model instanceof T5Model t5))
                    throw new IllegalArgumentException(dir + ": PROMPT_TUNING adapters are supported on encoder-decoder models (t5), not on "
                        + model.family());
                PromptTuning p = OtherAdapterIO.loadPrompt(t5, dir);
                return new Applied(p.model(), type, p);
            }
            default:
                throw new IllegalArgumentException(dir + ": peft_type '" + type + "' is not supported (peft4j reads LORA, IA3, PROMPT_TUNING)");
        }
    }
}
