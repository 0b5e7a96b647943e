package io.peft4j.cli;

import io.peft4j.tools.DialogueGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Regenerates the project's dialogue-summarization corpus (deterministic, fixed seed). */
@Command(name = "gen-data", description = "Generate datasets/dialogues/{train,dev,test}.jsonl (fixed seed, byte-for-byte reproducible).")
final class GenDataCommand implements Callable<Integer> {
    @Option(names = "--out", description = "output folder (default: $PEFT4J_HOME/datasets/dialogues, else datasets/dialogues)")
    Path out;

    @Override public Integer call() {
        Path dir = out;
        if (dir == null) {
            String home = System.getenv("PEFT4J_HOME");
            dir = (home == null || home.isBlank() ? Path.of(".") : Path.of(home)).resolve("datasets").resolve("dialogues");
        }
        DialogueGenerator.write(dir);
        System.out.println("wrote " + DialogueGenerator.TRAIN + " train, " + DialogueGenerator.DEV + " dev, "
            + DialogueGenerator.TEST + " test dialogues to " + dir.toAbsolutePath().normalize());
        return 0;
    }
}
