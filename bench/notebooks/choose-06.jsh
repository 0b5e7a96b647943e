// Chooses notebook 06's settings on the DEV split (never test): LoRA r=8 on the causal demo model and full
// fine-tuning, on the notebook's instruction records (1,000 training, 60 dev), with the notebook's options
// (same batches, greedy decoding with no_repeat_ngram_size 3, 48 new tokens). Prints per run: dev ROUGE-1 /
// ROUGE-L, final loss, steady tokens/s (after the first 5 steps; the engine is warmed up first).
//   bin/peft4j run bench/notebooks/choose-06.jsh      (the notebook's grids: LoRA r=8 on the MLP projections, full fine-tuning)
//   MODES=lora LORA_LRS=1e-2 DROPOUTS=0,0.05 TARGETS=q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj bin/peft4j run bench/notebooks/choose-06.jsh
var env = System.getenv();
var tut = Tutorial.fromEnvironment();
var base = tut.causalModel();
base.withGeneration(base.generationConfig().withMaxNewTokens(48).withNoRepeatNgramSize(3));
var splits = tut.dialogues();
var dataDir = tut.scratch("choose06-data");
var json = new com.fasterxml.jackson.databind.ObjectMapper();
for (var split : List.of("train", "dev")) {
    var part = Tutorial.sample(split.equals("train") ? splits.train() : splits.dev(), split.equals("train") ? 1000 : 60, split.hashCode());
    var lines = new ArrayList<String>();
    for (int i = 0; i < part.size(); i++)
        lines.add(json.writeValueAsString(Map.of("prompt", part.sources().get(i), "response", part.example(i).summary())));
    Files.write(dataDir.resolve(split + ".jsonl"), lines);
}
var data = Datasets.instructions(dataDir);
var dev = data.dev();
var opts = epochs(1).batchSize(16).maxLengths(256, 64).warmup(6).progress(false);
System.out.printf("engine warm-up %.1f s%n", warmUpEngine(base, data.train(), opts, 10));
var scorer = new io.peft4j.eval.CorpusRouge();
var baseR = scorer.evaluate(dev.references(), base.generate(dev.sources()));
System.out.printf("base: dev R-1 %.2f R-L %.2f%n", 100 * baseR.f1(RougeType.ROUGE1), 100 * baseR.f1(RougeType.ROUGE_L));
String[] targets = env.getOrDefault("TARGETS", "gate_proj,up_proj,down_proj").split(",");
for (String mode : env.getOrDefault("MODES", "lora,full").split(",")) {
    String grid = mode.equals("lora") ? env.getOrDefault("LORA_LRS", "5e-3,1e-2,2e-2") : env.getOrDefault("FULL_LRS", "3e-3,6e-3,1.2e-2");
    for (String drop : mode.equals("lora") ? env.getOrDefault("DROPOUTS", "0.05").split(",") : new String[]{"-"})
        for (String s : grid.split(",")) {
            double lr = Double.parseDouble(s);
            FineTuned f = mode.equals("lora")
                ? lora(base).on(targets).rank(8).alpha(16).dropout(Double.parseDouble(drop)).train(data.train(), opts.lr(lr))
                : fullFineTune(base).train(data.train(), opts.lr(lr));
            var r = scorer.evaluate(dev.references(), f.generate(dev.sources()));
            System.out.printf("%s%s lr %s: dev R-1 %.2f R-L %.2f | final loss %.3f | steady %.0f tok/s, %.1f s%n", mode,
                mode.equals("lora") ? " dropout " + drop : "", s, 100 * r.f1(RougeType.ROUGE1), 100 * r.f1(RougeType.ROUGE_L),
                f.training().finalLoss(), f.training().steadyTokensPerSecond(5), f.training().wallSeconds());
        }
}
