package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Batch;
import io.peft4j.model.LanguageModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code peft4j forward}: reads {@code {"input_ids", "attention_mask", "labels"}} lines, writes
 * {@code {"loss", "argmax", "logits_sum", "logits_first16"}} lines (decoder inputs = labels shifted
 * right, no decoder padding mask, as in transformers).
 */
@Command(name = "forward", description = "JSON lines in/out: loss, argmax and logits checksums of any supported model for given inputs and labels.")
final class ForwardCommand extends JsonLinesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
        description = "model folder (config.json + model.safetensors), or a hub id fetched into the Hugging Face cache") String model;
    @Option(names = "--adapter", paramLabel = "DIR|ORG/NAME[@REV]", description = "PEFT adapter folder, or a hub id") String adapter;
    @Option(names = "--merge", description = "merge the adapter into the base weights") boolean merge;
    LanguageModel m;

    @Override String name() { return "forward"; }
    @Override void setUp() { m = CliModels.load(model, adapter, merge, err).model(); }
    @Override public Integer call() { return runLines(); }

    @Override ObjectNode answer(JsonNode req) {
        int[][] ids = matrix(req, "input_ids");
        Batch batch = new Batch(ids, maskOrOnes(req, ids), matrix(req, "labels"));
        double loss = m.forwardLoss(batch, ForwardContext.inference());
        INDArray logits = m.lastLogits();                         // [B, T, V]
        double[] v = logits.data().asDouble();
        double sum = 0;
        for (double x : v) sum += x;
        ObjectNode o = JSON.createObjectNode();
        if (batch.targetTokens() == 0) o.putNull("loss"); else o.put("loss", loss);
        ArrayNode am = o.putArray("argmax");
        int b = (int) logits.size(0), t = (int) logits.size(1), vocab = (int) logits.size(2);
        for (int i = 0; i < b; i++) {
            ArrayNode row = am.addArray();
            for (int j = 0; j < t; j++) {
                int base = (i * t + j) * vocab, best = 0;
                for (int k = 1; k < vocab; k++) if (v[base + k] > v[base + best]) best = k;
                row.add(best);
            }
        }
        o.put("logits_sum", sum);
        ArrayNode f = o.putArray("logits_first16");
        for (int i = 0; i < Math.min(16, v.length); i++) f.add(v[i]);
        return o;
    }
}
