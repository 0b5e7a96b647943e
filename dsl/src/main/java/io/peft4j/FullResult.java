package io.peft4j;

import io.peft4j.train.TrainingResult;

import java.util.List;

/** Full or selective fine-tuning: a copy of the base whose own weights (all, or the chosen ones) were trained. */
public final class FullResult extends FineTuned {
    FullResult(Method method, String name, Model copy, long trainable, long total, List<String> parameters,
               TrainingResult training, Provenance provenance) {
        super(method, name, copy, trainable, total, parameters, training, provenance);
        if (method != Method.FULL && method != Method.SELECTIVE)
            throw new IllegalArgumentException("FullResult holds full or selective fine-tuning, not " + method.label());
    }
}
