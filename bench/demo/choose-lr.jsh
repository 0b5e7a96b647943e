// Chooses the demo's learning rates on the DEV split (never test): LoRA r=8 on q,k,v,o and full
// fine-tuning, each over the same three-point grid spacing, same 1,000 training dialogues, same
// batches and schedule as `bin/peft4j demo`; ROUGE of greedy summaries on 80 dev dialogues.
//   bin/peft4j run bench/demo/choose-lr.jsh            (the embedded demo model)
//   PEFT4J_MODEL=DIR bin/peft4j run bench/demo/choose-lr.jsh
var dir = System.getenv("PEFT4J_MODEL");
var base = dir == null ? T5.demo() : T5.fromFolder(Path.of(dir), Path.of(dir).getFileName().toString(), "local");
var splits = Datasets.dialogsum(Path.of(System.getenv().getOrDefault("DATA", "datasets/dialogues"))).withPrompt(SUMMARIZE);
var train = splits.train().shuffle(1).head(1000);
int devN = Integer.parseInt(System.getenv().getOrDefault("DEV_N", "80"));
// DEV_FROM_TRAIN=1 (DialogSum, whose dev split is where results are reported): the dev dialogues are
// the training split's next devN after the 1,000 trained on, in the same shuffled order (disjoint from them)
var dev = System.getenv("DEV_FROM_TRAIN") != null
    ? splits.train().shuffle(1).select(java.util.stream.IntStream.range(1000, 1000 + devN).toArray())
    : splits.dev().shuffle(2).head(devN);
var opts = epochs(1).batchSize(16).maxLengths(256, 48).schedule(io.peft4j.train.Schedule.LINEAR).warmup(Math.max(1, 1000 / 16 / 10)).progress(false);
var scorer = new io.peft4j.eval.CorpusRouge();
var baseR = scorer.evaluate(dev.references(), base.generate(dev.sources()));
System.out.printf("base: R-1 %.2f R-L %.2f%n", 100 * baseR.f1(RougeType.ROUGE1), 100 * baseR.f1(RougeType.ROUGE_L));
String fullGrid = System.getenv().getOrDefault("FULL_LRS", "1e-3,2e-3,4e-3");
String loraGrid = System.getenv().getOrDefault("LORA_LRS", "5e-3,1e-2,2e-2");
String[] loraTargets = System.getenv().getOrDefault("LORA_TARGETS", "attn.q,attn.k,attn.v,attn.o").split(",");
int rankN = Integer.parseInt(System.getenv().getOrDefault("RANK", "8"));
double loraDropout = Double.parseDouble(System.getenv().getOrDefault("LORA_DROPOUT", "0.05"));
int epochsN = Integer.parseInt(System.getenv().getOrDefault("EPOCHS", "1"));
opts = opts.epochs(epochsN);
for (String s : fullGrid.split(",")) {
    if (s.isBlank()) continue;
    double lr = Double.parseDouble(s);
    var f = fullFineTune(base).train(train, opts.lr(lr));
    var r = scorer.evaluate(dev.references(), f.generate(dev.sources()));
    System.out.printf("full epochs " + epochsN + " lr %s: R-1 %.2f R-L %.2f, final loss %.3f, %.0f s, steady %.0f tok/s%n", s, 100 * r.f1(RougeType.ROUGE1),
        100 * r.f1(RougeType.ROUGE_L), f.training().finalLoss(), f.training().wallSeconds(), f.training().steadyTokensPerSecond(5));
}
for (String s : loraGrid.split(",")) {
    if (s.isBlank()) continue;
    double lr = Double.parseDouble(s);
    var l = lora(base).on(loraTargets).rank(rankN).alpha(2 * rankN).dropout(loraDropout).train(train, opts.lr(lr));
    var r = scorer.evaluate(dev.references(), l.generate(dev.sources()));
    System.out.printf("LoRA r=" + rankN + " dropout " + loraDropout + " " + String.join(",", loraTargets) + " epochs " + epochsN + " lr %s: R-1 %.2f R-L %.2f, final loss %.3f, %.0f s, steady %.0f tok/s%n", s, 100 * r.f1(RougeType.ROUGE1),
        100 * r.f1(RougeType.ROUGE_L), l.training().finalLoss(), l.training().wallSeconds(), l.training().steadyTokensPerSecond(5));
}
