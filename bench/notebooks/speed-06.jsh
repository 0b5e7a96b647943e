// Steady-state training speed of notebook 06's two runs (LoRA r=8 on the MLP projections, dropout
// 0.05, lr 1e-2, and full fine-tuning at 6e-3), on the notebook's 1,000 training records with its options, alternating
// the methods ROUNDS times after one untimed engine warm-up. Prints each run's steady tokens/s (after
// its first 5 steps) and the median of each method. No ROUGE (choose-06.jsh scores on dev).
//   bin/peft4j run bench/notebooks/speed-06.jsh
//   ROUNDS=3 MODES=lora DROPOUT=0 TARGETS=q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj bin/peft4j run bench/notebooks/speed-06.jsh
var env = System.getenv();
var tut = Tutorial.fromEnvironment();
var base = tut.causalModel();
var splits = tut.dialogues();
var dataDir = tut.scratch("speed06-data");
var json = new com.fasterxml.jackson.databind.ObjectMapper();
for (var split : List.of("train", "dev")) {
    var part = Tutorial.sample(split.equals("train") ? splits.train() : splits.dev(), split.equals("train") ? 1000 : 60, split.hashCode());
    var lines = new ArrayList<String>();
    for (int i = 0; i < part.size(); i++)
        lines.add(json.writeValueAsString(Map.of("prompt", part.sources().get(i), "response", part.example(i).summary())));
    Files.write(dataDir.resolve(split + ".jsonl"), lines);
}
var data = Datasets.instructions(dataDir);
var opts = epochs(1).batchSize(16).maxLengths(256, 64).warmup(6).progress(false);
System.out.printf("OPENBLAS_CORETYPE=%s; engine warm-up %.1f s%n", env.getOrDefault("OPENBLAS_CORETYPE", "(unset)"), warmUpEngine(base, data.train(), opts, 10));
String[] targets = env.getOrDefault("TARGETS", "gate_proj,up_proj,down_proj").split(",");
double dropout = Double.parseDouble(env.getOrDefault("DROPOUT", "0.05"));
var rates = new LinkedHashMap<String, List<Double>>();
for (int round = 0; round < Integer.parseInt(env.getOrDefault("ROUNDS", "2")); round++)
    for (String mode : env.getOrDefault("MODES", "lora,full").split(",")) {
        FineTuned f = mode.equals("lora")
            ? lora(base).on(targets).rank(8).alpha(16).dropout(dropout).train(data.train(), opts.lr(1e-2))
            : fullFineTune(base).train(data.train(), opts.lr(6e-3));
        double r = f.training().steadyTokensPerSecond(5);
        rates.computeIfAbsent(mode, k -> new ArrayList<>()).add(r);
        System.out.printf("round %d %s: steady %.0f tokens/s, %.1f s, final loss %.4f%n", round + 1, mode, r, f.training().wallSeconds(), f.training().finalLoss());
    }
rates.forEach((m, rs) -> { var s = rs.stream().sorted().toList(); System.out.printf("%s median steady tokens/s: %.0f%n", m, s.get(s.size() / 2)); });
