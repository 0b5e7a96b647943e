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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.peft4j.eval.RougeReport;
import io.peft4j.eval.RougeType;
import io.peft4j.train.TrainingResult;

import static io.peft4j.Peft.*;

/**
 * The main job, end to end, written with the DSL exactly as a user would: the seed's arithmetic;
 * a base model (the embedded demo T5, or a user's FLAN-T5 folder); LoRA (r=8 on the attention
 * projections) and full fine-tuning on dialogue summarization, on the same batches; their training
 * speed (warm-up steps apart from the steady state); the parameter and ROUGE tables from generated
 * summaries on held-out data, with paired-bootstrap intervals against the base and the share of
 * full fine-tuning's gain LoRA recovers; the LoRA adapter saved in PEFT format, reloaded, merged,
 * and shown to give the same summaries; every table and chart written under the results folder,
 * and {@code summary.json}.
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
 * @param heldOut    "test" (the held-out split results are reported on) or "dev" (the split settings are chosen on)
 * @param loraTargets modules LoRA adapts
 * @param samples    held-out examples written to 05-samples (>= 1)
 */
public record DemoRun(Path modelDir, Path dataDir, Path out, int trainSize, int testSize, int epochs,
                      double loraLr, double fullLr, int batchSize, int maxSource, int maxTarget,
                      String heldOut, List<String> loraTargets, int samples) {

    /** Steps at the start of each training run timed apart as warm-up (JIT, allocator), never in the steady rate. */
    public static final int WARMUP_STEPS = 5;

    /** Untimed steps of each method run on a throwaway copy before the timed runs ({@link io.peft4j.Peft#warmUpEngine}). */
    public static final int ENGINE_WARMUP_STEPS = 10;

    /** Held-out examples (the first ones) the adapter round trip re-generates: reloaded and merged must equal trained. */
    public static final int ROUND_TRIP_EXAMPLES = 40;

    /** The recommended LoRA targets: every attention projection. */
    public static final List<String> LORA_TARGETS = List.of("attn.q", "attn.k", "attn.v", "attn.o");

    public DemoRun(Path modelDir, Path dataDir, Path out, int trainSize, int testSize, int epochs,
                   double loraLr, double fullLr, int batchSize, int maxSource, int maxTarget) {
        this(modelDir, dataDir, out, trainSize, testSize, epochs, loraLr, fullLr, batchSize, maxSource, maxTarget, "test", LORA_TARGETS, 10);
    }

    public DemoRun {
        if (out == null) throw new IllegalArgumentException("out (results folder) is required");
        if (!"test".equals(heldOut) && !"dev".equals(heldOut))
            throw new IllegalArgumentException("heldOut = " + heldOut + " is invalid: allowed \"test\" (report) or \"dev\" (choose settings)");
        if (loraTargets == null || loraTargets.isEmpty()) throw new IllegalArgumentException("loraTargets is empty: give at least one module, e.g. attn.q");
        loraTargets = List.copyOf(loraTargets);
        if (samples < 1) throw new IllegalArgumentException("samples = " + samples + " is invalid: allowed >= 1");
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
        Dataset test = subset(heldOut.equals("dev") ? splits.dev() : splits.test(), testSize, 2);
        String heldOutName = heldOut.equals("dev") ? "dev split (where settings are chosen)"
            : splits.hasTest() ? "test split" : "dev split (no test split present)";
        log.printf("base: %s%ndata: %s (train %d, held-out %d examples, %s)%n", base, data, train.size(), test.size(), heldOutName);

        String targets = String.join(",", loraTargets.stream().map(t -> t.startsWith("attn.") ? t.substring(5) : t).toList());
        log.printf("%n== 3. Fine-tuning on the same batches: LoRA r=8 on %s (lr %s), and full fine-tuning (lr %s)%n",
            String.join(", ", loraTargets), loraLr, fullLr);
        TrainOptions opts = io.peft4j.Peft.epochs(epochs).batchSize(batchSize).maxLengths(maxSource, maxTarget).schedule(Schedule.LINEAR)
            .warmup(Math.max(1, train.size() / batchSize / 10));
        double warm = io.peft4j.Peft.warmUpEngine(base, train, opts, ENGINE_WARMUP_STEPS);
        log.printf("engine warm-up: %d untimed steps of LoRA and of full fine-tuning on a copy of the base, %.1f s (JIT compilation,%n"
            + "  so that it falls inside neither timed run)%n", ENGINE_WARMUP_STEPS, warm);
        FineTuned lora = lora(base).on(loraTargets.toArray(String[]::new)).rank(8).alpha(16).dropout(0.05).train(train, opts.lr(loraLr));
        log.println(lora);
        FineTuned full = fullFineTune(base).train(train, opts.lr(fullLr));
        log.println(full);
        String loraName = "LoRA r=8 (" + targets + ")";
        Table speed = DemoSummary.speedTable(List.of("full fine-tuning", loraName), List.of(full, lora));
        show(log, speed, "02-training-speed");

        log.println("\n== 4. Parameters and ROUGE on held-out data (generated summaries)");
        Table params = Table.create("trainable parameters",
            StringColumn.create("model", List.of("full fine-tuning", lora.name())),
            StringColumn.create("trainable", List.of(String.format("%,d", full.trainableParameters()), String.format("%,d", lora.trainableParameters()))),
            StringColumn.create("all", List.of(String.format("%,d", full.totalParameters()), String.format("%,d", lora.totalParameters()))),
            StringColumn.create("% trainable", List.of(String.format("%.4f", full.trainablePercent()), String.format("%.4f", lora.trainablePercent()))));
        show(log, params, "02-parameters");
        log.println(lora.parameterLine());
        write("03-lora-modules", lora.parameters());
        log.printf("(%d adapted modules, one row each: %s)%n", lora.trainedModules().size(), out.resolve("03-lora-modules.txt"));
        Comparison cmp = compare(base, full, lora);
        Table rouge = cmp.rouge(test);
        write("04-rouge-full", rouge);     // the full form (every ROUGE type, deltas, intervals): CSV / HTML / text
        Map<String, RougeReport> reports = cmp.reports();
        String baseName = rouge.stringColumn(0).get(0);
        DemoSummary summary = new DemoSummary()
            .add(new DemoSummary.Method(baseName, reports.get(baseName), 0, Double.NaN, Double.NaN, Double.NaN))
            .add(DemoSummary.method("full fine-tuning", full, reports.get(full.name())))
            .add(DemoSummary.method(loraName, lora, reports.get(lora.name())));
        Table compact = summary.compact();
        show(log, compact, "04-rouge");
        log.printf("(%d held-out examples of the %s; the full table with ROUGE-Lsum and every interval: %s)%n",
            test.size(), heldOutName, out.resolve("04-rouge-full.csv"));
        byte[] png = Charts.pngBytes(rougeChart(summary), 800, 450);
        AtomicFiles.write(out.resolve("rouge.png"), o -> o.write(png));
        AtomicFiles.writeString(out.resolve("rouge.svg"), Charts.svgText(rougeChart(summary), 800, 450));
        Table samplesTable = renamed(cmp.samples(samples), Map.of(full.name(), "full fine-tuning", lora.name(), loraName));
        write("05-samples", samplesTable);
        log.println(Tables.text(samplesTable.first(Math.min(3, samplesTable.rowCount()))));
        log.printf("(%d samples with the exact scored strings: %s)%n", samplesTable.rowCount(), out.resolve("05-samples.csv"));
        Map<String, List<String>> preds = new LinkedHashMap<>();
        preds.put(baseName, cmp.predictions().get(baseName));
        preds.put("full fine-tuning", cmp.predictions().get(full.name()));
        preds.put(loraName, cmp.predictions().get(lora.name()));
        log.println(degenerateLine(preds));
        log.println(distinctLine(preds));

        log.println("\n== 5. The LoRA adapter in PEFT format: save, reload, merge, same summaries");
        Path adapterDir = lora.adapter().save(out.resolve("adapter-lora-r8"));
        long bytes = io.peft4j.Adapter.sizeOnDisk(adapterDir);
        long modelBytes = 4L * base.parameterCount();
        int checked = Math.min(ROUND_TRIP_EXAMPLES, test.size());
        List<String> original = cmp.predictions().get(lora.name()).subList(0, checked);
        List<String> checkSources = test.sources().subList(0, checked);
        FineTuned reloaded = base.copy().withAdapter(adapterDir);
        List<String> again = reloaded.generate(checkSources);
        List<String> merged = reloaded.merge().generate(checkSources);
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
        Map<String, Object> setting = new LinkedHashMap<>();
        setting.put("model", base.toString());
        setting.put("data", data.toString());
        setting.put("held_out", heldOutName);
        setting.put("held_out_examples", test.size());
        setting.put("train_examples", train.size());
        setting.put("epochs", epochs);
        setting.put("batch_size", batchSize);
        setting.put("lora_lr", loraLr);
        setting.put("full_lr", fullLr);
        setting.put("lora_targets", loraTargets);
        setting.put("engine_warmup", ENGINE_WARMUP_STEPS + " untimed steps of each method on a throwaway copy before the timed runs");
        setting.put("engine_warmup_seconds", Math.round(warm * 10) / 10.0);
        setting.put("warmup_steps_excluded_from_steady_rate", WARMUP_STEPS);
        setting.put("generation", "greedy, no_repeat_ngram_size from the model's generation_config.json");
        setting.put("bootstrap", "paired, 1000 resamples, 95%");
        AtomicFiles.writeString(out.resolve("summary.json"), summary.json(setting));
        log.printf("tables (txt, csv, html) and charts (png, svg) written under %s; total %.0f s%n",
            out.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return rouge;
    }

    /** Counts the empty or looping summaries (some 3-word sequence 3+ times) of every model. */
    public static String degenerateLine(Map<String, List<String>> predictions) {
        StringBuilder b = new StringBuilder("degenerate summaries (empty, or a 3-word sequence repeated 3+ times):");
        for (var e : predictions.entrySet()) {
            long n = e.getValue().stream().filter(DemoSummary::degenerate).count();
            b.append(String.format(Locale.ROOT, " %s %d/%d;", e.getKey(), n, e.getValue().size()));
        }
        return b.toString();
    }

    /**
     * Counts each model's distinct summaries: a model that writes the same summary for every dialogue
     * is not summarizing, whatever its ROUGE (a generic summary scores against every reference).
     */
    public static String distinctLine(Map<String, List<String>> predictions) {
        StringBuilder b = new StringBuilder("distinct summaries:");
        for (var e : predictions.entrySet())
            b.append(String.format(Locale.ROOT, " %s %d/%d;", e.getKey(), new java.util.HashSet<>(e.getValue()).size(), e.getValue().size()));
        return b.toString();
    }

    private static Table renamed(Table t, Map<String, String> names) {
        for (var c : t.columns()) if (names.containsKey(c.name())) c.setName(names.get(c.name()));
        return t;
    }

    private static org.jfree.chart.JFreeChart rougeChart(DemoSummary s) {
        var ds = new org.jfree.data.category.DefaultCategoryDataset();
        for (DemoSummary.Method m : s.methods())
            for (RougeType t : new RougeType[]{RougeType.ROUGE1, RougeType.ROUGE2, RougeType.ROUGE_L})
                ds.addValue(100 * m.report().f1(t), m.name(), t == RougeType.ROUGE1 ? "ROUGE-1" : t == RougeType.ROUGE2 ? "ROUGE-2" : "ROUGE-L");
        return org.jfree.chart.ChartFactory.createBarChart("ROUGE on held-out dialogues", "", "F1 x 100", ds);
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
