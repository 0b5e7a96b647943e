package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.data.DatasetSplits;
import io.peft4j.data.Datasets;
import io.peft4j.model.Batch;
import io.peft4j.model.Parameter;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Conversation records ({"messages": [...]}) through the DSL: rendered with the model's chat
 * template, the loss on the assistant turns only, LoRA lowering it; refused with a clear message
 * for T5 and for a model without a chat template. Uses the shared causal fixtures (skipped where absent).
 */
class ConversationTrainingTest {
    static final String[] TOPICS = {"weather", "shopping", "travel", "work", "music", "sports", "food", "school"};

    /** Eight two-turn conversations with a system message; the assistant answers the topic, then repeats it. */
    static Path conversations(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String t = TOPICS[i];
            lines.add("{\"messages\": [{\"role\": \"system\", \"content\": \"You name topics.\"}, "
                + "{\"role\": \"user\", \"content\": \"#Person1#: Let us talk about " + t + ". #Person2#: Sure. Topic?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"" + t + "\"}, "
                + "{\"role\": \"user\", \"content\": \"Again?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"The topic is " + t + ".\"}]}");
        }
        Path folder = Files.createDirectories(dir.resolve("chats"));
        Files.write(folder.resolve("train.jsonl"), lines);
        return folder;
    }

    @ParameterizedTest
    @CsvSource({"tiny_qwen2, <|im_end|>", "tiny_llama, <|eot_id|>"})
    void loraTrainsOnTheAssistantTurnsOnly(String fixture, String endOfTurn, @TempDir Path dir) throws IOException {
        Path model = Shared.require("fixtures/causal/" + fixture);
        CausalLM base = CausalLM.load(model.toString());
        DatasetSplits data = Datasets.instructions(conversations(dir));
        Dataset train = data.train();
        assertTrue(train.hasMessages());
        TrainOptions o = epochs(12).lr(5e-2).batchSize(4).maxLengths(96, 32).progress(false);

        // labels: exactly the assistant contents and their end-of-turn token, -100 elsewhere (padding included)
        List<Batch> batches = Training.batches(base, train, o, false);
        List<String> seen = new ArrayList<>();
        for (Batch b : batches)
            for (int r = 0; r < b.size(); r++) {
                int[] ids = b.inputIds()[r], labels = b.labels()[r];
                int len = 0;
                while (len < ids.length && b.attentionMask()[r][len] == 1) len++;
                for (int t = len; t < ids.length; t++) assertEquals(-100, labels[t], "padding on the right carries no loss");
                List<String> runs = new ArrayList<>();
                for (int t = 0; t < len; ) {
                    if (labels[t] == -100) { t++; continue; }
                    int s = t;
                    while (t < len && labels[t] != -100) { assertEquals(ids[t], labels[t]); t++; }
                    runs.add(base.tokenizer().decode(Arrays.copyOfRange(ids, s, t), false));
                }
                assertEquals(2, runs.size(), "two assistant turns: " + runs);
                String topic = runs.get(0).replace(endOfTurn, "");
                assertEquals(List.of(topic + endOfTurn, "The topic is " + topic + "." + endOfTurn), runs);
                seen.add(topic);
            }
        assertEquals(List.of(TOPICS), seen, "dataset order, every record once");

        LoraResult lora = lora(base).on("q_proj", "v_proj").rank(8).train(train, o);
        assertEquals(4, lora.trainedModules().size());
        var r = lora.training();
        double first = r.epochs().get(0).trainLoss(), last = r.epochs().get(r.epochs().size() - 1).trainLoss();
        System.out.printf("%s: assistant-token loss, first step %.4f, epoch 1 %.4f, epoch %d %.4f%n", fixture, r.stepLosses().get(0), first,
            r.epochs().size(), last);
        assertTrue(last < 0.8 * first, "LoRA lowers the loss on the assistant tokens: " + first + " -> " + last);
        assertTrue(r.finalLoss() < r.stepLosses().get(0));
    }

    @Test
    void t5RefusesConversationsAndSaysWhatToUse(@TempDir Path dir) throws IOException {
        T5 t5 = TinyModels.t5(1);
        Dataset train = Datasets.instructions(conversations(dir)).train();
        Map<String, Object> before = new HashMap<>();
        for (Parameter p : t5.model().baseParameters().values()) before.put(p.name(), p.value().dup());
        var e = assertThrows(UnsupportedOperationException.class,
            () -> lora(t5).on("attn.q", "attn.v").rank(4).train(train, epochs(1).batchSize(2).progress(false)));
        assertTrue(e.getMessage().contains("tiny-t5 is an encoder-decoder model (t5)"), e.getMessage());
        assertTrue(e.getMessage().contains("{\"prompt\", \"response\"} records") && e.getMessage().contains("decoder-only model"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("chats").resolve("train.jsonl") + ":1"), "names the first conversation: " + e.getMessage());
        for (Parameter p : t5.model().baseParameters().values()) assertEquals(before.get(p.name()), p.value());
    }

    @Test
    void aModelWithoutAChatTemplateIsNamedWithWhatToDo(@TempDir Path dir) throws IOException {
        CausalLM noFolder = TinyModels.llama(1);
        Dataset train = Datasets.instructions(conversations(dir)).train();
        var e = assertThrows(IllegalArgumentException.class,
            () -> lora(noFolder).on("q_proj", "v_proj").rank(4).train(train, epochs(1).batchSize(2).progress(false)));
        assertTrue(e.getMessage().contains("the model tiny-llama has no chat template"), e.getMessage());
        assertTrue(e.getMessage().contains("it was not loaded from a Hugging Face folder") && e.getMessage().contains("{\"prompt\", \"response\"}"),
            e.getMessage());

        // a folder without a template: the message names the file to add
        Path fixture = Shared.require("fixtures/causal/tiny_qwen2");
        Path copy = Files.createDirectories(dir.resolve("qwen2-no-template"));
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json"))
            Files.copy(fixture.resolve(f), copy.resolve(f));
        CausalLM plain = CausalLM.load(copy.toString());
        var e2 = assertThrows(IllegalArgumentException.class,
            () -> lora(plain).on("q_proj", "v_proj").rank(4).train(train, epochs(1).batchSize(2).progress(false)));
        assertTrue(e2.getMessage().contains("has no chat template") && e2.getMessage().contains(copy.resolve("chat_template.jinja").toString()),
            e2.getMessage());
        assertFalse(plain.hasAdapters(), "a failed run leaves no adapter behind");
    }
}
