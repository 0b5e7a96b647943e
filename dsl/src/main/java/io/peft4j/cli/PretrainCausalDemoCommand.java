package io.peft4j.cli;

import io.peft4j.tools.CausalDemoPretraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Makes the embedded decoder-only demo model (byte-level BPE vocabulary + causal-LM pretraining) from the project's own data. */
@Command(name = "pretrain-causal-demo", mixinStandardHelpOptions = true,
    description = "Pretrain the embedded decoder-only demo model (Llama-shaped, own BPE vocabulary) on datasets/dialogues.")
final class PretrainCausalDemoCommand implements Callable<Integer> {
    @Option(names = "--data", description = "folder with train.jsonl (default: ${DEFAULT-VALUE})")
    Path data = Path.of("datasets/dialogues");

    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("dsl/src/main/resources/io/peft4j/demo/causal");

    @Option(names = "--epochs", description = "passes over the documents (default: the recipe's)")
    Integer epochs;

    @Option(names = "--max-steps", description = "stop after this many optimizer steps (default: the recipe's, 0 = all)")
    Integer maxSteps;

    @Override public Integer call() {
        var recipe = CausalDemoPretraining.Recipe.standard();
        if (epochs != null) recipe = recipe.withEpochs(epochs);
        if (maxSteps != null) recipe = recipe.withMaxSteps(maxSteps);
        var r = CausalDemoPretraining.run(data, out, recipe, true);
        System.out.printf("pretrained %d steps in %.0f s (%.0f tokens/s); final loss %.3f -> %s%n",
            r.steps(), r.wallSeconds(), r.tokensPerSecond(), r.finalLoss(), out);
        return 0;
    }
}
