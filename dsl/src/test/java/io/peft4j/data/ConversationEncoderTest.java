package io.peft4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.chat.ChatTemplate;
import io.peft4j.model.Batch;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Conversations rendered with chat templates and labelled for assistant-only loss, against
 * transformers: {@code chat-labels.json} holds the text, ids and labels that
 * {@code src/test/python/gen_chat_labels.py} computed with transformers 5.17 (labels found its own
 * way: prefix renderings with {@code add_generation_prompt} and offset mappings), for the shared
 * causal fixtures' tokenizers and templates and for the project's template collection.
 */
class ConversationEncoderTest {
    static final ObjectMapper OM = new ObjectMapper();

    static Path res(String p) throws Exception {
        return Path.of(ConversationEncoderTest.class.getResource(p).toURI());
    }

    /** The tokenizer folder of a case: {@code fixture:NAME} in ../shared, {@code bpe/NAME} in the test resources. */
    static Path tokenizerDir(String id) throws Exception {
        if (id.startsWith("fixture:")) return Shared.require("fixtures/causal/" + id.substring("fixture:".length()));
        return res("/tokenizer/" + id);
    }

    static ChatTemplate template(Path tokDir, String name) throws Exception {
        if (name == null) return ChatTemplate.load(tokDir).orElseThrow();
        return ChatTemplate.of(Files.readString(res("/tokenizer/chat/templates/" + name + ".jinja")));
    }

    static ConversationEncoder encoder(String tok, String tpl) throws Exception {
        Path dir = tokenizerDir(tok);
        return new ConversationEncoder(TextTokenizer.load(dir), template(dir, tpl));
    }

    static List<Map<String, Object>> msgs(Object... roleContent) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < roleContent.length; i += 2) out.add(Map.of("role", roleContent[i], "content", roleContent[i + 1]));
        return out;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @TestFactory
    List<DynamicTest> idsAndLabelsMatchTransformers() throws Exception {
        JsonNode doc = OM.readTree(res("/io/peft4j/data/chat-labels.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : doc.get("cases")) {
            String tok = c.get("tokenizer").asText(), tpl = c.get("template").isNull() ? null : c.get("template").asText();
            tests.add(DynamicTest.dynamicTest(tok + " " + tpl + " " + c.get("conversation").asText(), () -> {
                ConversationEncoder enc = encoder(tok, tpl);
                ConversationEncoder.Encoded e = enc.encode(ConversationEncoder.parse(c.get("messages").toString()));
                assertEquals(c.get("text").asText(), e.text());
                assertArrayEquals(ints(c.get("ids")), e.ids(), "ids");
                assertArrayEquals(ints(c.get("labels")), e.labels(), "labels");
                assertEquals(c.get("end_of_turn").size(), e.turns().size());
                int withoutEnd = 0;
                for (JsonNode x : c.get("end_of_turn")) if (x.isNull()) withoutEnd++;
                assertEquals(withoutEnd, e.turnsWithoutEndToken());
            }));
        }
        assertTrue(tests.size() >= 30, "cases: " + tests.size());
        return tests;
    }

    /** The tokens before each assistant turn are exactly what the template's generation prompt gives for the conversation so far. */
    @TestFactory
    List<DynamicTest> theUnlabelledPrefixOfEachTurnIsTheGenerationPrompt() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String tok : List.of("fixture:tiny_llama", "fixture:tiny_qwen2")) {
            tests.add(DynamicTest.dynamicTest(tok, () -> {
                Path dir = tokenizerDir(tok);
                TextTokenizer t = TextTokenizer.load(dir);
                ChatTemplate tpl = template(dir, null);
                var m = msgs("system", "Be brief.", "user", "Hi", "assistant", " Hello! ", "user", "Bye?", "assistant", "Bye.");
                ConversationEncoder.Encoded e = new ConversationEncoder(t, tpl).encode(m);
                int[] assistantAt = {2, 4};
                for (int k = 0; k < 2; k++) {
                    int[] prompt = tpl.apply(t, m.subList(0, assistantAt[k]), true).ids();
                    int start = e.turns().get(k).start();
                    assertArrayEquals(prompt, Arrays.copyOf(e.ids(), start), "turn " + k);
                    int end = e.turns().get(k).end();
                    assertEquals(t.eosId(), e.ids()[end - 1], "turn " + k + " ends with the template's end-of-turn token (the eos here)");
                    for (int i = 0; i < e.ids().length; i++)
                        if (i < start && (k == 0 || i >= e.turns().get(k - 1).end())) assertEquals(-100, e.labels()[i]);
                }
            }));
        }
        return tests;
    }

    /** Templates the Python reference leaves out (their prefix renderings change): peft4j still labels content + end of turn. */
    @Test
    void templatesWhoseEarlierTurnsChangeStillLabelContentAndEndOfTurn() throws Exception {
        // Qwen3 writes an empty <think></think> block only on the last turn; the labels are the contents and <|im_end|>
        ConversationEncoder q3 = encoder("bpe/qwen2", "qwen3");
        TextTokenizer qt = TextTokenizer.load(tokenizerDir("bpe/qwen2"));
        ConversationEncoder.Encoded e = q3.encode(msgs("user", "Hi there", "assistant", "Hello!", "user", "Joke?", "assistant", "No."));
        assertTrue(e.text().contains("<think>\n\n</think>\n\nNo.<|im_end|>"), e.text());
        assertEquals(List.of("Hello!<|im_end|>", "No.<|im_end|>"), labelled(qt, e));
        // Phi-3 ends a conversation with eos: the turns still end at <|end|>, here not a special token, so no end of turn is learned
        ConversationEncoder phi = encoder("bpe/llama2", "phi3");
        TextTokenizer lt = TextTokenizer.load(tokenizerDir("bpe/llama2"));
        ConversationEncoder.Encoded p = phi.encode(msgs("user", "Hi", "assistant", "Hello there", "user", "Bye", "assistant", "Bye now"));
        assertEquals(2, p.turnsWithoutEndToken());
        assertEquals(List.of("Hello there", "Bye now"), labelled(lt, p));
        // DeepSeek: the generation prompt opens <think>, the training rendering does not; the content is what is labelled
        // (its end of turn, <｜end▁of▁sentence｜>, is plain text for this tokenizer)
        ConversationEncoder.Encoded d = encoder("bpe/llama2", "deepseek").encode(msgs("user", "2+2?", "assistant", "4"));
        assertEquals(List.of("4"), labelled(lt, d));
        assertEquals(1, d.turnsWithoutEndToken());
        // Zephyr ends every turn with eos (</s>), a special token
        ConversationEncoder.Encoded z = encoder("bpe/llama2", "zephyr").encode(msgs("system", "s", "user", "Hi", "assistant", "Hello there"));
        assertEquals(List.of("Hello there</s>"), labelled(lt, z));
    }

    /** The labelled stretches, decoded with special tokens. */
    static List<String> labelled(TextTokenizer t, ConversationEncoder.Encoded e) {
        List<String> out = new ArrayList<>();
        for (ConversationEncoder.Turn turn : e.turns()) {
            for (int i = turn.start(); i < turn.end(); i++) assertEquals(e.ids()[i], e.labels()[i]);
            out.add(t.decode(Arrays.copyOfRange(e.ids(), turn.start(), turn.end()), false).strip());
        }
        int n = 0;
        for (int l : e.labels()) if (l != -100) n++;
        int inTurns = e.turns().stream().mapToInt(x -> x.end() - x.start()).sum();
        assertEquals(inTurns, n, "nothing outside the assistant turns is labelled");
        return out;
    }

    @Test
    void contentTheTemplateRewritesIsRefusedWithTheReason() throws Exception {
        ConversationEncoder q3 = encoder("bpe/qwen2", "qwen3");
        // Qwen3 drops the reasoning of turns before the last question: what it writes of them is labelled
        ConversationEncoder.Encoded earlier = q3.encode(msgs("user", "2+2?", "assistant", "<think>\nadd\n</think>\n\n4", "user", "3+3?", "assistant", "6"));
        assertEquals(List.of("4<|im_end|>", "6<|im_end|>"), labelled(TextTokenizer.load(tokenizerDir("bpe/qwen2")), earlier));
        // on the last turn it moves the reasoning into its own block: refused, with the reason
        var e = assertThrows(IllegalArgumentException.class, () -> q3.encode(msgs("user", "2+2?", "assistant", "<think>\nadd\n</think>\n\n4")));
        assertTrue(e.getMessage().startsWith("messages[1]: the chat template writes other text differently depending on this assistant turn's content"), e.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> q3.encode(msgs("user", "hi")));
        assertTrue(none.getMessage().contains("no assistant turn"), none.getMessage());
        var raised = assertThrows(IllegalArgumentException.class, () -> encoder("bpe/mistral", "mistral").encode(msgs("system", "s", "user", "u", "assistant", "a")));
        assertTrue(raised.getMessage().contains("the chat template refuses the conversation") && raised.getMessage().contains("Conversation roles must alternate"),
            raised.getMessage());
    }

    static CausalBatcher batcher(int maxSource, int maxTarget) throws Exception {
        Path dir = tokenizerDir("bpe/qwen2");
        return new CausalBatcher(TextTokenizer.load(dir), new BatchConfig(2, maxSource, maxTarget, false, 0, 0))
            .withChatTemplate(template(dir, "chatml"), "bpe/qwen2 + chatml");
    }

    @Test
    void aLongConversationLosesItsEarliestTokensAndKeepsItsLastTurn() throws Exception {
        var m = msgs("system", "You are a helpful assistant who answers questions about dialogues.", "user", "Who speaks first in the dialogue?",
            "assistant", "Person one speaks first.", "user", "And what do they talk about?", "assistant", "They talk about the weather today.");
        CausalBatcher b = batcher(200, 64);
        CausalBatcher.Encoded whole = b.encodeConversation(m, 1000, 64);
        assertEquals(0, b.truncated());
        ConversationEncoder.Encoded full = new ConversationEncoder(TextTokenizer.load(tokenizerDir("bpe/qwen2")), template(tokenizerDir("bpe/qwen2"), "chatml")).encode(m);
        assertArrayEquals(full.ids(), whole.ids());
        ConversationEncoder.Turn last = full.turns().get(1);
        int lastLen = last.end() - last.start(), tail = full.ids().length - last.end();
        assertEquals(1, tail, "chatml writes a newline after <|im_end|>");
        int max = lastLen + 10;
        CausalBatcher.Encoded cut = b.encodeConversation(m, max, 64);
        assertEquals(1, b.truncated());
        assertEquals(max, cut.ids().length);
        // the last turn whole at the end, the text after it dropped, the ten tokens before it kept
        assertArrayEquals(Arrays.copyOfRange(full.ids(), last.start() - 10, last.end()), cut.ids());
        assertArrayEquals(Arrays.copyOfRange(full.labels(), last.start() - 10, last.end()), cut.labels());
        // a last turn longer than maxTargetLength keeps its start and its end-of-turn token
        CausalBatcher.Encoded shortTurn = b.encodeConversation(m, max, 4);
        assertEquals(2, b.truncated());
        assertEquals(max, shortTurn.ids().length);
        int[] turn = Arrays.copyOfRange(shortTurn.ids(), max - 4, max);
        assertArrayEquals(new int[]{full.ids()[last.start()], full.ids()[last.start() + 1], full.ids()[last.start() + 2], full.ids()[last.end() - 1]}, turn);
        assertArrayEquals(turn, Arrays.copyOfRange(shortTurn.labels(), max - 4, max));
        assertEquals(-100, shortTurn.labels()[max - 5]);
    }

    @Test
    void aBosStaysFirstWhenTheStartIsCut() throws Exception {
        Path dir = tokenizerDir("bpe/llama3");
        TextTokenizer tok = TextTokenizer.load(dir);
        CausalBatcher b = new CausalBatcher(tok, new BatchConfig(1, 16, 16, false, 0, 0)).withChatTemplate(template(dir, "llama3"), "llama3");
        var m = msgs("user", "Tell me about the meeting that was moved to Friday afternoon.", "assistant", "It moved to Friday.");
        CausalBatcher.Encoded cut = b.encodeConversation(m, 12, 8);
        assertEquals(12, cut.ids().length);
        assertEquals(tok.bosId(), cut.ids()[0]);
        assertEquals(tok.tokenId("<|eot_id|>").getAsInt(), cut.ids()[11]);
        assertEquals(tok.tokenId("<|eot_id|>").getAsInt(), cut.labels()[11]);
        assertEquals(1, b.truncated());
    }

    @Test
    void batchesOfAMixedFileAreRightPaddedAndCountTheCuts(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("mixed.jsonl");
        Files.writeString(f, """
            {"prompt": "Say hi.", "response": " Hi!"}
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a fruit."}, {"role": "assistant", "content": "Apple."}]}
            {"messages": [{"role": "user", "content": "A long question about %s things?"}, {"role": "assistant", "content": "Yes."}]}
            """.formatted("many ".repeat(40)));
        Dataset d = Instructions.read(f);
        CausalBatcher b = batcher(40, 8);
        List<Batch> batches = b.batches(d);
        assertEquals(1, b.truncated(), "the long conversation is cut to 48 tokens");
        int rows = 0;
        for (Batch batch : batches)
            for (int r = 0; r < batch.size(); r++, rows++) {
                int len = 0;
                while (len < batch.attentionMask()[r].length && batch.attentionMask()[r][len] == 1) len++;
                assertTrue(len <= 48);
                for (int t = len; t < batch.labels()[r].length; t++) assertEquals(-100, batch.labels()[r][t], "padding on the right, no loss");
                for (int t = 0; t < len; t++) assertTrue(batch.labels()[r][t] == -100 || batch.labels()[r][t] == batch.inputIds()[r][t]);
            }
        assertEquals(3, rows);
        // without a chat template, a conversation is an error naming the file and line
        var plain = new CausalBatcher(TextTokenizer.load(tokenizerDir("bpe/qwen2")), new BatchConfig(1, 64, 64, false, 0, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> plain.batches(d));
        assertTrue(e.getMessage().startsWith(f + ":2: a conversation (\"messages\") needs a chat template"), e.getMessage());
    }

    @Test
    void aRecordTheTemplateRefusesIsNamedByFileAndLine(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("chat.jsonl");
        Files.writeString(f, """
            {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}

            {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}
            """);
        Dataset d = Instructions.read(f);
        Path dir = tokenizerDir("bpe/mistral");
        CausalBatcher b = new CausalBatcher(TextTokenizer.load(dir), new BatchConfig(1, 64, 64, false, 0, 0))
            .withChatTemplate(template(dir, "mistral"), "tiny-mistral");
        var e = assertThrows(IllegalArgumentException.class, () -> b.batches(d));
        assertTrue(e.getMessage().startsWith(f + ":3: the chat template refuses the conversation"), e.getMessage());
        assertTrue(e.getMessage().contains("Conversation roles must alternate") && e.getMessage().endsWith("(chat template of tiny-mistral)"), e.getMessage());
        assertEquals(List.of(f + ":1", f + ":3"), d.origins());
    }
}
