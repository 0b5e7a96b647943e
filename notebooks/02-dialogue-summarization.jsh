// Dialogue summarization with the peft4j DSL: base vs full fine-tuning vs LoRA.
// The script version of notebooks/02-dialogue-summarization.ipynb:  bin/peft4j run notebooks/02-dialogue-summarization.jsh
// PEFT4J_CI=1 runs a small preset; PEFT4J_DIALOGSUM=DIR and PEFT4J_MODEL=DIR point at DialogSum and a FLAN-T5 folder.

var tut = Tutorial.fromEnvironment();
System.out.println("setting: " + tut);

// 1. The base model and the data
var base = tut.model();
base.withGeneration(base.generationConfig().withMaxNewTokens(tut.pick(16, 64)));
var splits = tut.dialogues();
var train = Tutorial.sample(splits.train(), tut.pick(64, 1000), 1);
var test = Tutorial.sample(splits.test(), tut.pick(16, 100), 2);
System.out.println(base);
System.out.println("train " + train.size() + " examples, held-out " + test.size());

// 2. Fine-tune twice on the same batches: LoRA (r=8 on q, k, v, o) and full fine-tuning; learning
//    rates chosen on the dev split (bench/demo/choose-lr.jsh), as in bin/peft4j demo
var opts = epochs(tut.pick(1, 2)).batchSize(tut.pick(8, 16)).maxLengths(tut.pick(192, 256), tut.pick(48, 64)).warmup(tut.pick(1, 6));
// untimed steps of both methods on a throwaway copy, so that JIT compilation lands in neither timed run
System.out.printf("engine warm-up (untimed): %.1f s%n", warmUpEngine(base, train, opts, tut.pick(2, 10)));
var lora = lora(base).on("attn.q", "attn.k", "attn.v", "attn.o").rank(8).alpha(16).dropout(0.05).train(train, opts.lr(3e-3));
var full = fullFineTune(base).train(train, opts.lr(5e-4));
System.out.println(lora);
System.out.println(full);
System.out.println(Tables.text(DemoSummary.speedTable(List.of(full.name(), lora.name()), List.of(full, lora))));

// 3. How many parameters each one trains
System.out.println(lora.parameterLine());
System.out.println(Tables.text(lora.parameters()));

// 4. ROUGE of generated summaries on held-out dialogues, with deltas against the base and full fine-tuning
var cmp = compare(base, full, lora);
var rouge = cmp.rouge(test);
System.out.println(Tables.text(rouge));
System.out.println(Tables.text(DemoSummary.of(cmp, full, lora).compact()));
System.out.println(Tables.text(cmp.samples(3), 50));

// 5. Loss curves, written next to the adapter
var out = tut.scratch("nb02");
Charts.png(lora.lossCurve().titled("LoRA r=8: training loss"), out.resolve("loss-lora.png"), 800, 450);
Charts.svg(full.lossCurve().titled("Full fine-tuning: training loss"), out.resolve("loss-full.svg"), 800, 450);
var saved = lora.adapter().save(out.resolve("adapter-lora-r8"));
System.out.println("loss curves and the adapter are in " + out);
if (!Files.exists(saved.resolve("adapter_model.safetensors"))) throw new IllegalStateException("adapter not written");
