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

class TokenizeCommandTest {
    record Run(int rc, String out, String err) {}

    static Run run(String stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new TokenizeCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test void oneAnswerPerLineWithErrorsInPlace() throws Exception {
        Path dir = Shared.require("models/t5-tokenizer");
        String longText = "word ".repeat(2000);
        String in = String.join("\n",
            "{\"text\": \"summarize: The quick brown fox\"}",
            "not json",
            "{\"txt\": 1}",
            "{\"text\": \"The <extra_id_0> walks in <extra_id_1> park.\"}",
            "{\"text\": \"" + longText + "\"}",
            "[1]") + "\n";
        Run r = run(in, "--tokenizer", dir.toString());
        assertEquals(0, r.rc(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(6, lines.size(), r.out());
        ObjectMapper om = new ObjectMapper();
        assertEquals("[21603,10,37,1704,4216,3,20400,1]", om.readTree(lines.get(0)).get("ids").toString());
        assertTrue(om.readTree(lines.get(1)).get("error").asText().contains("JSON"));
        assertTrue(om.readTree(lines.get(2)).get("error").asText().contains("text"));
        assertEquals("[37,32099,10681,16,32098,2447,5,1]", om.readTree(lines.get(3)).get("ids").toString());
        JsonNode longIds = om.readTree(lines.get(4)).get("ids");
        assertTrue(longIds.size() > 2000, "no truncation: " + longIds.size());
        assertEquals(1, longIds.get(longIds.size() - 1).asInt());
        assertTrue(om.readTree(lines.get(5)).has("error"));
        assertEquals("", r.err());
    }

    @Test void unreadableTokenizerFailsWithOneLineNamingTheFile(@TempDir Path tmp) throws Exception {
        Run r = run("{\"text\": \"x\"}\n", "--tokenizer", tmp.toString());
        assertNotEquals(0, r.rc());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(tmp.toString()), r.err());
        Files.writeString(tmp.resolve("tokenizer.json"), "{broken");
        r = run("", "--tokenizer", tmp.toString());
        assertNotEquals(0, r.rc());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(tmp.resolve("tokenizer.json").toString()), r.err());
    }

    @Test void registeredInMain() {
        assertTrue(Main.commandLine().getSubcommands().containsKey("tokenize"));
    }
}
