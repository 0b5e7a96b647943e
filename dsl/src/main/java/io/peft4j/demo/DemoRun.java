package io.peft4j.demo;

import io.peft4j.Comparison;
import io.peft4j.FineTuned;
import io.peft4j.T5;
import io.peft4j.TrainOptions;
import io.peft4j.data.Dataset;
import io.peft4j.data.DatasetSplits;
import io.peft4j.data.Datasets;
import io.peft4j.hf.AtomicFiles;
import io.peft4j.report.Charts;
import io.peft4j.report.Tables;
import io.peft4j.train.Schedule;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.peft4j.Peft.*;

/**
 * The main job, end to end, written with the DSL exactly as a user would: the seed's arithmetic;
 * a base model (the embedded demo T5, or a user's FLAN-T5 folder); LoRA (r=8 on q and v) and full
 * fine-tuning on dialogue summarization; the parameter and ROUGE tables from generated summaries
 * on held-out data; the LoRA adapter saved in PEFT format, reloaded, merged, and shown to give
 * the same summaries; every table and chart written under the results folder.
 *
 * @param modelDir   a Hugging Face T5 folder, or null for the embedded demo model
 * @param dataDir    DialogSum-layout folder ({train,dev,test}.jsonl), or null for the project's own data
 * @param out        results folder
 * @param trainSize  training examples used (0 = all)
 * @param testSize   held-out examples scored (0 = all)
 * @param epochs     epochs of both fine-tunings
 * @param loraLr     LoRA learning rate
 * @param fullLr     full fine-tuning learning rate
 * @param batchSize  batch size of both
 * @param maxSource  source tokens kept
 * @param maxTarget  target tokens kept (and generated)
 */
public record DemoRun(Path modelDir, Path dataDir, Path out, int trainSize, int testSize, int epochs,
                      double loraLr, double fullLr, int batchSize, int maxSource, int maxTarget) {

    public DemoRun {
        if (out == null) throw new IllegalArgumentException("out (results folder) is required");
        if (trainSize < 0) throw new IllegalArgumentException("trainSize = " + trainSize + " is invalid: allowed >= 0 (0 = all)");
        if (testSize < 0) throw new IllegalArgumentException("testSize = " + testSize + " is invalid: allowed >= 0 (0 = all)");
    }

    /** Runs the pipeline, printing to {@code log}; returns the ROUGE comparison table. */
    public Table run(PrintStream log) throws Exception {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        log.println("== 1. The seed's arithmetic: one 512 x 64 weight, full fine-tuning vs LoRA");
        Table arithmetic = loraArithmetic(512, 64, 4, 8, 16);
        show(log, arithmetic, "01-lora-arithmetic");

        log.println("\n== 2. Base model and data");
        T5 base = modelDir == null ? T5.demo() : T5.fromFolder(modelDir, modelDir.getFileName().toString(), "local");
        Path data = dataDir != null ? dataDir : projectData();
        DatasetSplits splits = Datasets.dialogsum(data).withPrompt(SUMMARIZE);
        Dataset train = subset(splits.train(), trainSize, 1);
        Dataset test = subset(splits.test(), testSize, 2);
        log.printf("base: %s%ndata: %s (train %d, held-out %d examples, %s)%n", base, data, train.size(), test.size(),
            splits.hasTest() ? "test split" : "dev split (no test split present)");

        log.println("\n== 3. Fine-tuning: LoRA r=8 on attn.q and attn.v, and full fine-tuning");
        TrainOptions opts = io.peft4j.Peft.epochs(epochs).batchSize(batchSize).maxLengths(maxSource, maxTarget).schedule(Schedule.LINEAR)
            .warmup(Math.max(1, train.size() / batchSize / 10));
        FineTuned lora = lora(base).on("attn.q", "attn.v").rank(8).alpha(16).dropout(0.05).train(train, opts.lr(loraLr));
        log.println(lora);
        FineTuned full = fullFineTune(base).train(train, opts.lr(fullLr));
        log.println(full);

        log.println("\n== 4. Parameters and ROUGE on held-out data (generated summaries)");
        Table params = Table.create("trainable parameters",
            StringColumn.create("model", List.of("full fine-tuning", lora.name())),
            StringColumn.create("trainable", List.of(String.format("%,d", full.trainableParameters()), String.format("%,d", lora.trainableParameters()))),
            StringColumn.create("all", List.of(String.format("%,d", full.totalParameters()), String.format("%,d", lora.totalParameters()))),
            StringColumn.create("% trainable", List.of(String.format("%.4f", full.trainablePercent()), String.format("%.4f", lora.trainablePercent()))));
        show(log, params, "02-parameters");
        log.println(lora.parameterLine());
        show(log, lora.parameters(), "03-lora-modules");
        Comparison cmp = compare(base, full, lora);
        Table rouge = cmp.rouge(test);
        show(log, rouge, "04-rouge");
        show(log, cmp.samples(3), "05-samples");

        log.println("\n== 5. The LoRA adapter in PEFT format: save, reload, merge, same summaries");
        Path adapterDir = lora.adapter().save(out.resolve("adapter-lora-r8"));
        long bytes = io.peft4j.Adapter.sizeOnDisk(adapterDir);
        long modelBytes = 4L * base.parameterCount();
        List<String> original = cmp.predictions().get(lora.name());
        FineTuned reloaded = base.copy().withAdapter(adapterDir);
        List<String> again = reloaded.generate(test.sources());
        List<String> merged = reloaded.merge().generate(test.sources());
        Table check = Table.create("adapter round trip",
            StringColumn.create("check", List.of("adapter folder", "adapter size", "reloaded = trained (summaries)", "merged = trained (summaries)")),
            StringColumn.create("result", List.of(adapterDir.toString(),
                String.format("%,d bytes (%.2f%% of the float32 model's %,d)", bytes, 100.0 * bytes / modelBytes, modelBytes),
                same(original, again), same(original, merged))));
        show(log, check, "06-adapter-round-trip");

        log.println("\n== 6. Results");
        Charts.png(lora.lossCurve(), out.resolve("loss-lora.png"), 800, 450);
        Charts.svg(lora.lossCurve(), out.resolve("loss-lora.svg"), 800, 450);
        Charts.png(full.lossCurve(), out.resolve("loss-full.png"), 800, 450);
        Charts.svg(full.lossCurve(), out.resolve("loss-full.svg"), 800, 450);
        write("07-provenance-lora", lora.toTable());
        write("08-provenance-full", full.toTable());
        log.printf("tables (txt, csv, html) and charts (png, svg) written under %s; total %.0f s%n",
            out.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return rouge;
    }

    private static String same(List<String> a, List<String> b) {
        int n = 0;
        for (int i = 0; i < a.size(); i++) if (a.get(i).equals(b.get(i))) n++;
        return (n == a.size() ? "identical" : "DIFFERENT") + " (" + n + "/" + a.size() + ")";
    }

    private static Dataset subset(Dataset d, int n, long seed) {
        return n == 0 || n >= d.size() ? d : d.shuffle(seed).head(n);
    }

    /** The project's own dialogues: $PEFT4J_HOME/datasets/dialogues, else ./datasets/dialogues. */
    static Path projectData() {
        String home = System.getenv("PEFT4J_HOME");
        Path p = home != null ? Path.of(home, "datasets", "dialogues") : Path.of("datasets", "dialogues");
        if (!Files.isDirectory(p)) throw new IllegalStateException("the project's dialogue data is missing: " + p.toAbsolutePath()
            + " (run from the project root, set PEFT4J_HOME, or pass --data DIR)");
        return p;
    }

    private void show(PrintStream log, Table t, String file) {
        log.println(Tables.text(t));
        write(file, t);
    }

    private void write(String file, Table t) {
        AtomicFiles.writeString(out.resolve(file + ".txt"), Tables.text(t, 200) + "\n");
        AtomicFiles.writeString(out.resolve(file + ".html"), Tables.html(t) + "\n");
        StringBuilder csv = new StringBuilder();
        csv.append(String.join(",", t.columnNames().stream().map(DemoRun::csv).toList())).append('\n');
        for (int r = 0; r < t.rowCount(); r++) {
            for (int c = 0; c < t.columnCount(); c++) csv.append(c == 0 ? "" : ",").append(csv(t.getString(r, c)));
            csv.append('\n');
        }
        AtomicFiles.writeString(out.resolve(file + ".csv"), csv.toString());
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
