package io.peft4j.cli;

import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;

import java.nio.file.Files;
import java.nio.file.Path;

/** Loads the model (and optionally a PEFT adapter, merged or not) for the command-line tools, turning problems into one-line messages. */
final class CliModels {
    private CliModels() {}

    static LanguageModel load(Path model, Path adapter, boolean merge) {
        if (model == null) throw new JsonLinesCommand.SetupException("--model DIR is required");
        if (!Files.isDirectory(model)) throw new JsonLinesCommand.SetupException(model + ": not a folder");
        LanguageModel m;
        try {
            m = ModelFamilies.load(model);
        } catch (RuntimeException e) {
            throw new JsonLinesCommand.SetupException("cannot load model " + model + ": " + JsonLinesCommand.oneLine(e));
        }
        if (adapter == null) {
            if (merge) throw new JsonLinesCommand.SetupException("--merge needs --adapter");
            return m;
        }
        if (!Files.isDirectory(adapter)) throw new JsonLinesCommand.SetupException(adapter + ": not a folder (--adapter needs a PEFT adapter folder)");
        try {
            return io.peft4j.peft.Adapters.apply(m, adapter, merge).model();
        } catch (RuntimeException e) {
            throw new JsonLinesCommand.SetupException("cannot apply adapter " + adapter + ": " + JsonLinesCommand.oneLine(e));
        }
    }
}
