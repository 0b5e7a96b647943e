package io.peft4j.cli;

import io.peft4j.tools.DemoPretraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Makes the embedded demo model (vocabulary + FLAN-style multitask pretraining) from the project's own training data. */
@Command(name = "pretrain-demo", description = "Pretrain the embedded demo T5 (own vocabulary; FLAN-style mixture of span corruption and instruction tasks made from datasets/dialogues/train.jsonl; recipe in the model folder's RECIPE.md).")
final class PretrainDemoCommand implements Callable<Integer> {
    @Option(names = "--data", description = "folder with train.jsonl (default: ${DEFAULT-VALUE})")
    Path data = Path.of("datasets/dialogues");

    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("dsl/src/main/resources/io/peft4j/demo/model");

    @Option(names = "--steps", description = "optimizer steps (default: the recipe's)")
    Integer steps;

    @Option(names = "--max-length", description = "tokens per pretraining example, longer texts cut (default: the recipe's 160; DialogSum's dialogues are often longer)")
    Integer maxLength;

    @Override public Integer call() {
        var recipe = DemoPretraining.Recipe.standard();
        if (steps != null) recipe = recipe.withSteps(steps);
        if (maxLength != null) recipe = recipe.withMaxLength(maxLength);
        var r = DemoPretraining.run(data, out, recipe, true);
        System.out.printf("pretrained %d steps in %.0f s (%.0f tokens/s); final loss %.3f -> %s%n",
            r.steps(), r.wallSeconds(), r.tokensPerSecond(), r.finalLoss(), out);
        return 0;
    }
}
