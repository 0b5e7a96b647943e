// Chooses the demo's settings on a DEV split (never test): LoRA r=8 and full fine-tuning, each over its
// own learning-rate grid, the same 1,000 training dialogues, batches and schedule as `bin/peft4j demo`;
// ROUGE of greedy summaries on DEV_N dev dialogues (default 80).
//   bin/peft4j run bench/demo/choose-lr.jsh            (the embedded demo model)
//   PEFT4J_MODEL=DIR bin/peft4j run bench/demo/choose-lr.jsh
// Environment: FULL_LRS, LORA_LRS (comma lists; empty skips a method), LORA_TARGETS (default
// attn.q,attn.k,attn.v,attn.o; "all-linear"), RANK (8), LORA_DROPOUT (0.05), LORA_PLUS (B's learning-rate ratio; 0 = plain LoRA), EPOCHS (1), DEV_N (80),
// DATA (a DialogSum-layout folder; default datasets/dialogues), DEV_FROM_TRAIN=1 (dev = the training
// split's next DEV_N dialogues after the 1,000 trained on: for DialogSum, whose dev split is where the
// demo reports).
// The demo's defaults (README, "how the demo's defaults were chosen") come from DEV_N=200 runs:
//   EPOCHS=1 FULL_LRS=5e-4,1e-3,2e-3,4e-3 LORA_LRS=2e-3,3e-3,5e-3,1e-2,2e-2 (+ RANK=16, LORA_TARGETS=all-linear,
//   LORA_DROPOUT=0), then EPOCHS=2 FULL_LRS=5e-4,1e-3,2e-3 LORA_LRS=2e-3,3e-3,5e-3.
var dir = System.getenv("PEFT4J_MODEL");
var base = dir == null ? T5.demo() : T5.fromFolder(Path.of(dir), Path.of(dir).getFileName().toString(), "local");
var splits = Datasets.dialogsum(Path.of(System.getenv().getOrDefault("DATA", "datasets/dialogues"))).withPrompt(SUMMARIZE);
var train = splits.train().shuffle(1).head(1000);
int devN = Integer.parseInt(System.getenv().getOrDefault("DEV_N", "80"));
// DEV_FROM_TRAIN=1 (DialogSum, whose dev split is where results are reported): the dev dialogues are
// the training split's next devN after the 1,000 trained on, in the same shuffled order (disjoint from them)
var dev = System.getenv("DEV_FROM_TRAIN") != null ? splits.train().shuffle(1).select(java.util.stream.IntStream.range(1000, 1000 + devN).toArray()) : splits.dev().shuffle(2).head(devN);
var opts = epochs(1).batchSize(16).maxLengths(256, 48).schedule(io.peft4j.train.Schedule.LINEAR).warmup(Math.max(1, 1000 / 16 / 10)).progress(false);
var scorer = new io.peft4j.eval.CorpusRouge();
// a model that writes one summary for every dialogue can still score: say how many differ
String distinct(List<String> preds) { return "distinct summaries " + new HashSet<>(preds).size() + "/" + preds.size(); }
var basePreds = base.generate(dev.sources());
var baseR = scorer.evaluate(dev.references(), basePreds);
System.out.printf("base: R-1 %.2f R-L %.2f, %s%n", 100 * baseR.f1(RougeType.ROUGE1), 100 * baseR.f1(RougeType.ROUGE_L), distinct(basePreds));
String fullGrid = System.getenv().getOrDefault("FULL_LRS", "1e-3,2e-3,4e-3");
String loraGrid = System.getenv().getOrDefault("LORA_LRS", "5e-3,1e-2,2e-2");
String[] loraTargets = System.getenv().getOrDefault("LORA_TARGETS", "attn.q,attn.k,attn.v,attn.o").split(",");
int rankN = Integer.parseInt(System.getenv().getOrDefault("RANK", "8"));
double loraPlus = Double.parseDouble(System.getenv().getOrDefault("LORA_PLUS", "0"));
double loraDropout = Double.parseDouble(System.getenv().getOrDefault("LORA_DROPOUT", "0.05"));
int epochsN = Integer.parseInt(System.getenv().getOrDefault("EPOCHS", "1"));
opts = opts.epochs(epochsN);
for (String s : fullGrid.split(",")) {
    if (s.isBlank()) continue;
    double lr = Double.parseDouble(s);
    var f = fullFineTune(base).train(train, opts.lr(lr));
    var preds = f.generate(dev.sources());
    var r = scorer.evaluate(dev.references(), preds);
    System.out.printf("full epochs " + epochsN + " lr %s: R-1 %.2f R-L %.2f, final loss %.3f, %.0f s, steady %.0f tok/s, %s%n", s, 100 * r.f1(RougeType.ROUGE1),
        100 * r.f1(RougeType.ROUGE_L), f.training().finalLoss(), f.training().wallSeconds(), f.training().steadyTokensPerSecond(5), distinct(preds));
}
for (String s : loraGrid.split(",")) {
    if (s.isBlank()) continue;
    double lr = Double.parseDouble(s);
    var step = lora(base).on(loraTargets).rank(rankN).alpha(2 * rankN).dropout(loraDropout);
    var l = loraPlus > 0 ? step.loraPlus(loraPlus).train(train, opts.lr(lr)) : step.train(train, opts.lr(lr));
    var lpreds = l.generate(dev.sources());
    var r = scorer.evaluate(dev.references(), lpreds);
    System.out.printf("LoRA r=" + rankN + " dropout " + loraDropout + (loraPlus > 0 ? " LoRA+ " + loraPlus : "") + " " + String.join(",", loraTargets) + " epochs " + epochsN + " lr %s: R-1 %.2f R-L %.2f, final loss %.3f, %.0f s, steady %.0f tok/s, %s%n", s, 100 * r.f1(RougeType.ROUGE1),
        100 * r.f1(RougeType.ROUGE_L), l.training().finalLoss(), l.training().wallSeconds(), l.training().steadyTokensPerSecond(5), distinct(lpreds));
}
