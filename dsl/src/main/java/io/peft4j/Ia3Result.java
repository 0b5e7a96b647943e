package io.peft4j;

import io.peft4j.model.LanguageModel;
import io.peft4j.peft.Ia3Model;
import io.peft4j.peft.OtherAdapterIO;
import io.peft4j.train.TrainingResult;

import java.util.List;

/** (IA)^3 trained on a copy of the base: learned scaling vectors on the chosen modules. */
public final class Ia3Result extends FineTuned {
    private final Ia3Model<LanguageModel> ia3;

    Ia3Result(Model copy, Ia3Model<LanguageModel> ia3, long trainable, long total, List<String> modules,
              TrainingResult training, Provenance provenance) {
        super(Method.IA3, "IA3", copy, trainable, total, modules, training, provenance);
        this.ia3 = ia3;
    }

    public Ia3Model<LanguageModel> ia3() { return ia3; }

    @Override public Adapter adapter() {
        return new Adapter(this, (dir, dtype) -> OtherAdapterIO.saveIa3(ia3, dir, dtype, model().id()));
    }
}
