package io.peft4j.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** The main job. Until the full pipeline lands it prints the seed's parameter arithmetic. */
@Command(name = "demo", description = "Run the main job on the embedded default (no download, no GPU).")
final class DemoCommand implements Callable<Integer> {
    @Override public Integer call() {
        long in = 512, out = 64, r = 8;
        long full = in * out, lora = r * (in + out);
        System.out.printf("weight %dx%d: full fine-tuning trains %,d parameters; LoRA r=%d trains %,d (%.2f%% fewer)%n",
            in, out, full, r, lora, 100.0 * (full - lora) / full);
        return 0;
    }
}
