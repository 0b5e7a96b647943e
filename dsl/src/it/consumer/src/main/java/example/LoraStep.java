package example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraModel;
import io.peft4j.train.AdamW;

import java.nio.file.Path;
import java.util.List;

/**
 * Two AdamW steps of LoRA on the tiny T5 fixture, through the installed peft4j-dsl jar only, checked
 * against the PyTorch loss trajectory in the fixture's expected.json (within its 1e-4 tolerance).
 * Exit 0 when they agree.
 */
public final class LoraStep {
    public static void main(String[] args) throws Exception {
        Path fixture = Path.of(args[0]);
        JsonNode expected = new ObjectMapper().readTree(fixture.resolve("expected.json").toFile());
        // PyTorch's reference trajectory ran without dropout: the same model with dropout_rate 0
        Path dir = java.nio.file.Files.createTempDirectory("peft4j-consumer-model");
        com.fasterxml.jackson.databind.node.ObjectNode config =
            (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(fixture.resolve("config.json").toFile());
        config.put("dropout_rate", 0.0);
        java.nio.file.Files.writeString(dir.resolve("config.json"), config.toString());
        java.nio.file.Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        T5Model model = T5Model.load(dir);
        LoraModel<T5Model> lora = AdapterIO.loadLora(model, fixture.resolve("lora_adapter"));
        JsonNode b = expected.get("batches").get(expected.get("adamw").get("batch_index").asInt());
        Batch batch = new Batch(ints(b.get("input_ids")), ints(b.get("attention_mask")), ints(b.get("labels")));
        List<Parameter> trainable = lora.trainable();
        AdamW adamw = new AdamW(trainable, new AdamW.Options(0.9, 0.999, 1e-8, 0.0));
        JsonNode want = expected.get("adamw").get("loss_trajectory");
        double worst = 0;
        for (int step = 0; step < 2; step++) {
            model.zeroGrad();
            double loss = model.forwardLoss(batch, ForwardContext.training(0, step));
            model.backward();
            adamw.step(1e-2);
            double diff = Math.abs(loss - want.get(step).asDouble());
            worst = Math.max(worst, diff);
            System.out.printf("step %d: loss %.6f (PyTorch %.6f)%n", step + 1, loss, want.get(step).asDouble());
        }
        System.out.println("trainable parameters: " + trainable.stream().mapToLong(Parameter::size).sum());
        if (worst > 1e-4) {
            System.out.println("FAILED: loss differs from PyTorch by " + worst);
            System.exit(1);
        }
        System.out.println("consumer LoRA step: OK");
    }

    private static int[][] ints(JsonNode rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            out[i] = new int[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = rows.get(i).get(j).asInt();
        }
        return out;
    }
}
