package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Generator;
import io.peft4j.model.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code peft4j generate}: reads {@code {"input_ids", "attention_mask"}} lines, writes {@code {"sequences"}} lines. */
@Command(name = "generate", description = "JSON lines in/out: greedy or beam-search generation with any supported model (T5, Llama, Mistral, Qwen2, GPT-2).")
final class GenerateCommand extends JsonLinesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
        description = "model folder (config.json + model.safetensors), or a hub id fetched into the Hugging Face cache") String model;
    @Option(names = "--adapter", paramLabel = "DIR|ORG/NAME[@REV]", description = "PEFT adapter folder (LORA, IA3, PROMPT_TUNING), or a hub id") String adapter;
    @Option(names = "--merge", description = "merge the adapter into the base weights") boolean merge;
    @Option(names = "--max-new-tokens", required = true, description = "maximum number of generated tokens") int maxNewTokens;
    @Option(names = "--num-beams", description = "beam width (default: generation_config.json, else 1)") Integer numBeams;
    LanguageModel m;
    GenerationConfig g;

    @Override String name() { return "generate"; }

    @Override void setUp() {
        if (maxNewTokens < 1) throw new SetupException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        if (numBeams != null && numBeams < 1) throw new SetupException("--num-beams must be >= 1, got " + numBeams);
        CliModels.Loaded loaded = CliModels.load(model, adapter, merge, err);
        m = loaded.model();
        try {
            // the command's contract is greedy or beam search: a checkpoint's do_sample does not apply here
            g = GenerationConfig.forModel(loaded.folder(), m).withMaxNewTokens(maxNewTokens).withSampling(null);
        } catch (RuntimeException e) {
            throw new SetupException(oneLine(e));
        }
        if (numBeams != null) g = g.withNumBeams(numBeams);
    }

    @Override public Integer call() { return runLines(); }

    @Override ObjectNode answer(JsonNode req) {
        int[][] ids = matrix(req, "input_ids");
        int[][] seqs = Generator.generate(m, ids, maskOrOnes(req, ids), g);
        ObjectNode o = JSON.createObjectNode();
        ArrayNode s = o.putArray("sequences");
        for (int[] r : seqs) { ArrayNode a = s.addArray(); for (int x : r) a.add(x); }
        return o;
    }
}
