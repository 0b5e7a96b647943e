package io.peft4j.cli;

import io.peft4j.hf.DownloadListener;
import io.peft4j.hf.DownloadListeners;
import io.peft4j.hf.DownloadProgressBar;
import io.peft4j.hf.FileSelection;
import io.peft4j.hf.HubEnvironment;
import io.peft4j.hf.HubException;
import io.peft4j.hf.HubResolver;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Resolves and loads what the command-line tools take: {@code --model}, {@code --adapter} and
 * {@code --tokenizer} accept a folder or a hub id ({@code org/name}, optionally {@code org/name@revision});
 * an existing folder wins. Hub ids go through {@link HubResolver} (the cache, {@code HF_ENDPOINT},
 * {@code HF_HUB_OFFLINE}, {@code HF_TOKEN}), with a download progress bar on standard error. Problems
 * become one-line messages.
 */
final class CliModels {
    private CliModels() {}

    /** What a model option fetches from the hub. */
    enum Need { WEIGHTS, MODEL, TOKENIZER, ADAPTER }

    /**
     * The folder for an option value.
     *
     * @param option the option's name for messages ({@code --model})
     * @param value  a folder, {@code org/name} or {@code org/name@revision}
     * @param err    where the download progress bar goes
     */
    static Path folder(String option, String value, Need need, PrintStream err) {
        if (value == null || value.isBlank()) throw new JsonLinesCommand.SetupException(option + " DIR|ORG/NAME is required");
        String id = value, revision = null;
        int at = value.lastIndexOf('@');
        if (at > 0 && !java.nio.file.Files.isDirectory(Path.of(value)) && HubResolver.isHubId(value.substring(0, at))) {
            id = value.substring(0, at);
            revision = value.substring(at + 1);
        }
        FileSelection sel = switch (need) {
            case WEIGHTS -> FileSelection.weights();
            case MODEL -> FileSelection.model();
            case TOKENIZER -> FileSelection.tokenizer();
            case ADAPTER -> FileSelection.adapter();
        };
        try {
            HubEnvironment env = HubEnvironment.fromProcess();
            DownloadListener progress = !DownloadListeners.registered().isEmpty() || !env.progressBars() ? null
                : new DownloadProgressBar(err, 200);
            return new HubResolver(env, progress).resolve(id, revision, sel);
        } catch (HubException e) {
            throw new JsonLinesCommand.SetupException(option + " " + value + ": " + JsonLinesCommand.oneLine(e));
        } catch (IllegalArgumentException e) {
            throw new JsonLinesCommand.SetupException(option + " " + value + ": " + JsonLinesCommand.oneLine(e));
        }
    }

    /** Loads the model folder, and the adapter folder (merged or not) when given. */
    static LanguageModel load(Path model, Path adapter, boolean merge) {
        if (model == null) throw new JsonLinesCommand.SetupException("--model DIR|ORG/NAME is required");
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
        try {
            return io.peft4j.peft.Adapters.apply(m, adapter, merge).model();
        } catch (RuntimeException e) {
            throw new JsonLinesCommand.SetupException("cannot apply adapter " + adapter + ": " + JsonLinesCommand.oneLine(e));
        }
    }

    /** Resolves {@code --model} (weights only: forward and generate take token ids) and {@code --adapter}, then loads them. */
    static Loaded load(String model, String adapter, boolean merge, PrintStream err) {
        if (merge && adapter == null) throw new JsonLinesCommand.SetupException("--merge needs --adapter");
        Path m = folder("--model", model, Need.WEIGHTS, err);
        Path a = adapter == null ? null : folder("--adapter", adapter, Need.ADAPTER, err);
        return new Loaded(load(m, a, merge), m);
    }

    /** A loaded model and the folder it came from (generation_config.json lives there). */
    record Loaded(LanguageModel model, Path folder) {}
}
