package io.peft4j.cli;

import io.peft4j.demo.DemoRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The main job: LoRA vs full fine-tuning vs base on dialogue summarization, end to end. */
@Command(name = "demo", description = {
    "The main job: the seed's arithmetic, LoRA (r=8, q,k,v,o) and full fine-tuning of a T5 on dialogue summarization,",
    "parameter and ROUGE tables, the adapter saved in PEFT format, reloaded and merged. Defaults: the embedded demo",
    "model and the project's own data (no download, no GPU)."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|ORG/NAME[@REV]",
        description = "a Hugging Face T5 / FLAN-T5 folder or hub id, e.g. google/flan-t5-small (default: the embedded demo model)")
    String model;
    @Option(names = "--data", description = "DialogSum-layout folder with train/dev[/test] JSONL (default: datasets/dialogues)")
    Path data;
    @Option(names = "--out", description = "results folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("results/demo");
    @Option(names = "--train", description = "training examples (0 = all; default ${DEFAULT-VALUE})")
    int train = 1000;
    @Option(names = "--test", description = "held-out examples scored (0 = all; default ${DEFAULT-VALUE})")
    int test = 200;
    @Option(names = "--epochs", description = "epochs (default ${DEFAULT-VALUE})")
    int epochs = 2;
    @Option(names = "--lora-lr", description = "LoRA learning rate (default ${DEFAULT-VALUE}: best of 2e-3, 3e-3, 5e-3 at 2 epochs on the 500 dev dialogues, bench/demo/choose-lr.jsh)")
    double loraLr = 3e-3;
    @Option(names = "--full-lr", description = "full fine-tuning learning rate (default ${DEFAULT-VALUE}: best of 2.5e-4, 5e-4, 1e-3, 2e-3 at 2 epochs on the 500 dev dialogues by mean of ROUGE-1 and ROUGE-L, bench/demo/choose-lr.jsh)")
    double fullLr = 5e-4;
    @Option(names = "--batch-size", description = "batch size (default ${DEFAULT-VALUE})")
    int batchSize = 16;
    @Option(names = "--max-source", description = "source tokens kept (default ${DEFAULT-VALUE})")
    int maxSource = 256;
    @Option(names = "--max-target", description = "target tokens kept (default ${DEFAULT-VALUE})")
    int maxTarget = 48;

    @Option(names = "--held-out", description = "test (report) | dev (choose settings on it) (default ${DEFAULT-VALUE})")
    String heldOut = "test";
    @Option(names = "--lora-targets", split = ",", description = "modules LoRA r=8 adapts (default: attn.q,attn.k,attn.v,attn.o)")
    java.util.List<String> loraTargets = DemoRun.LORA_TARGETS;
    @Option(names = "--samples", description = "held-out examples written to 05-samples.csv (default ${DEFAULT-VALUE})")
    int samples = 10;

    @Override public Integer call() throws Exception {
        Path modelDir;
        try {
            modelDir = model == null ? null : CliModels.folder("--model", model, CliModels.Need.MODEL, System.err);
        } catch (JsonLinesCommand.SetupException e) {
            System.err.println("demo: " + e.getMessage());
            return 2;
        }
        new DemoRun(modelDir, data, out, train, test, epochs, loraLr, fullLr, batchSize, maxSource, maxTarget,
            heldOut, loraTargets, samples).run(System.out);
        return 0;
    }
}
