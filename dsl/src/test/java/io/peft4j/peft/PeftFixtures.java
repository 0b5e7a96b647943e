package io.peft4j.peft;

import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;

import java.nio.file.Path;

/** Loading helpers for the fixtures in ../shared/fixtures/t5. */
final class PeftFixtures {
    private PeftFixtures() {}

    /** The fixture model with dropout 0, so that training-mode passes are deterministic (as the fixtures were made). */
    static T5Model loadNoDropout(String model) {
        Path dir = Fixtures.dir(model);
        T5Model loaded = T5Model.load(dir);
        T5Model m = T5Model.fromConfig(T5Config.fromJson(dir.resolve("config.json")).withDropout(0), 1);
        for (Parameter p : m.baseParameters().values()) p.value().assign(loaded.baseParameters().get(p.name()).value());
        return m;
    }

    /** A tiny gated (FLAN-style) config: 2+2 layers, d 16, 2 heads, vocab 40, no dropout. */
    static T5Config tinyGated() {
        return new T5Config(40, 16, 8, 24, 2, 2, 2, 8, 20, 0.0, 1e-6, "gated-gelu", "gelu_new", true, false, 0, 1, 0, 1.0);
    }

    /** A tiny original-T5 config: relu, tied embeddings, 3 encoder and 2 decoder layers. */
    static T5Config tinyRelu() {
        return new T5Config(30, 12, 4, 20, 3, 2, 3, 8, 20, 0.0, 1e-6, "relu", "relu", false, true, 0, 1, 0, 1.0);
    }
}
