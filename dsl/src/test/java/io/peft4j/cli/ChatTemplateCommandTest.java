package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code chat-template --tokenizer DIR}: the CLI contract, against transformers' output in the shared fixtures. */
class ChatTemplateCommandTest {
    record Run(int rc, String out, String err) {}

    static Run run(String stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new ChatTemplateCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test void answersEveryExpectedCaseOfTheSharedFixtures() throws Exception {
        ObjectMapper om = new ObjectMapper();
        for (String name : List.of("tiny_llama", "tiny_qwen2")) {
            Path dir = Shared.require("fixtures/causal/" + name);
            JsonNode cases = om.readTree(dir.resolve("expected.json").toFile()).get("chat_template");
            StringBuilder in = new StringBuilder();
            for (JsonNode c : cases) {
                var req = om.createObjectNode();
                req.set("messages", c.get("messages"));
                req.put("add_generation_prompt", c.get("add_generation_prompt").asBoolean());
                in.append(req).append('\n');
            }
            Run r = run(in.toString(), "--tokenizer", dir.toString());
            assertEquals(0, r.rc(), r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals(cases.size(), lines.size());
            for (int i = 0; i < cases.size(); i++) {
                JsonNode ans = om.readTree(lines.get(i));
                assertEquals(cases.get(i).get("rendered").asText(), ans.get("text").asText(), name + " case " + i);
                assertEquals(cases.get(i).get("ids"), ans.get("ids"), name + " case " + i);
            }
        }
    }

    @Test void badLinesAndFailingTemplatesAreAnsweredInPlace(@TempDir Path tmp) throws Exception {
        Path src = Path.of(getClass().getResource("/tokenizer/bpe/llama2").toURI());
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(src.resolve(f), tmp.resolve(f));
        Files.copy(Path.of(getClass().getResource("/tokenizer/chat/templates/llama2.jinja").toURI()), tmp.resolve("chat_template.jinja"));
        String in = String.join("\n",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true}",
            "not json",
            "{\"messages\": []}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": \"yes\"}",
            "{\"messages\": [{\"content\": \"no role\"}]}",
            "[1]") + "\n";
        Run r = run(in, "--tokenizer", tmp.toString());
        assertEquals(0, r.rc(), r.err());
        ObjectMapper om = new ObjectMapper();
        List<JsonNode> lines = r.out().lines().map(l -> { try { return om.readTree(l); } catch (Exception e) { throw new RuntimeException(e); } }).toList();
        assertEquals(7, lines.size());
        assertEquals("<s>[INST] Hi [/INST]", lines.get(0).get("text").asText());
        assertEquals(1, lines.get(0).get("ids").get(0).asInt(), "the template's own BOS, exactly once");
        assertNotEquals(1, lines.get(0).get("ids").get(1).asInt());
        assertTrue(lines.get(1).get("error").asText().contains("JSON"));
        assertTrue(lines.get(2).get("error").asText().contains("messages"));
        assertEquals("line 4: template raised: Conversation roles must alternate user/assistant/user/assistant/...", lines.get(3).get("error").asText());
        assertTrue(lines.get(4).get("error").asText().contains("add_generation_prompt"));
        assertTrue(lines.get(5).get("error").asText().contains("role"));
        assertTrue(lines.get(6).has("error"));
    }

    @Test void aFolderWithoutTokenizerOrTemplateFailsWithOneLine(@TempDir Path tmp) throws Exception {
        Run r = run("{}\n", "--tokenizer", tmp.toString());
        assertEquals(2, r.rc());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(tmp.toString()), r.err());
        Path src = Path.of(getClass().getResource("/tokenizer/bpe/gpt2").toURI());
        Files.copy(src.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        r = run("{}\n", "--tokenizer", tmp.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("no chat template"), r.err());
        assertEquals("", r.out());
    }

    @Test void registeredInMain() {
        assertTrue(Main.commandLine().getSubcommands().containsKey("chat-template"));
    }
}
