package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The forward / generate JSON-lines tools, run in-process against the tiny_flan fixture. */
class ForwardGenerateCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int rc, String[] lines, String err) {}

    static Run run(JsonLinesCommand cmd, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute(args);
        String o = out.toString(StandardCharsets.UTF_8);
        return new Run(rc, o.isEmpty() ? new String[0] : o.split("\n"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void forwardAnswersEveryLineAndReportsBadLines() throws Exception {
        Path dir = Shared.require("fixtures/t5/tiny_flan");
        JsonNode exp = JSON.readTree(dir.resolve("expected.json").toFile());
        StringBuilder in = new StringBuilder();
        for (JsonNode b : exp.get("batches")) {
            var req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids")); req.set("attention_mask", b.get("attention_mask")); req.set("labels", b.get("labels"));
            in.append(req).append('\n');
        }
        in.append("not json\n");
        in.append("{\"input_ids\": [[5, 500, 1]], \"labels\": [[1]]}\n");
        in.append("{\"input_ids\": [[5, -3, 1]], \"labels\": [[1]]}\n");
        Run r = run(new ForwardCommand(), in.toString(), "--model", dir.toString());
        assertEquals(0, r.rc, r.err);
        int nb = exp.get("batches").size();
        assertEquals(nb + 3, r.lines.length);
        for (int i = 0; i < nb; i++) {
            JsonNode a = JSON.readTree(r.lines[i]), base = exp.get("batches").get(i).get("base");
            assertEquals(base.get("loss").asDouble(), a.get("loss").asDouble(), 1e-5);
            assertEquals(base.get("logits").get("argmax"), a.get("argmax"));
            double absSum = base.get("logits").get("abs_sum").asDouble();
            assertEquals(base.get("logits").get("sum").asDouble(), a.get("logits_sum").asDouble(), 1e-5 * absSum);
            for (int k = 0; k < 16; k++)
                assertEquals(base.get("logits").get("first16").get(k).asDouble(), a.get("logits_first16").get(k).asDouble(), 1e-4);
        }
        assertTrue(JSON.readTree(r.lines[nb]).get("error").asText().contains("not valid JSON"));
        String e1 = JSON.readTree(r.lines[nb + 1]).get("error").asText();
        assertTrue(e1.contains("500") && e1.contains("[0][1]") && e1.contains("128"), e1);
        String e2 = JSON.readTree(r.lines[nb + 2]).get("error").asText();
        assertTrue(e2.contains("-3"), e2);
    }

    @Test
    void generateMatchesGreedyFixture() throws Exception {
        Path dir = Shared.require("fixtures/t5/defaults_minimal_config");
        JsonNode exp = JSON.readTree(dir.resolve("expected.json").toFile());
        StringBuilder in = new StringBuilder();
        for (JsonNode b : exp.get("batches")) {
            var req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids")); req.set("attention_mask", b.get("attention_mask"));
            in.append(req).append('\n');
        }
        in.append("{\"attention_mask\": [[1]]}\n");
        Run r = run(new GenerateCommand(), in.toString(), "--model", dir.toString(), "--max-new-tokens", "12");
        assertEquals(0, r.rc, r.err);
        int nb = exp.get("batches").size();
        for (int i = 0; i < nb; i++)
            assertEquals(exp.get("batches").get(i).get("base").get("greedy").get("sequences"), JSON.readTree(r.lines[i]).get("sequences"));
        assertTrue(JSON.readTree(r.lines[nb]).get("error").asText().contains("input_ids"));
        Run beams = run(new GenerateCommand(), in.toString(), "--model", dir.toString(), "--max-new-tokens", "5", "--num-beams", "3");
        assertEquals(0, beams.rc, beams.err);
        assertEquals(nb + 1, beams.lines.length);
        JsonNode seq = JSON.readTree(beams.lines[0]).get("sequences");
        assertEquals(0, seq.get(0).get(0).asInt(), "starts with the decoder start token");
        assertTrue(seq.get(0).size() <= 6);
    }

    @Test
    void unreadableModelIsAOneLineErrorWithNonZeroExit() {
        Run r = run(new ForwardCommand(), "", "--model", "/nonexistent/model-dir");
        assertNotEquals(0, r.rc);
        assertEquals(1, r.err.strip().split("\n").length, r.err);
        assertTrue(r.err.contains("/nonexistent/model-dir"), r.err);
        assertEquals(0, r.lines.length);
        Path dir = Shared.require("fixtures/t5/tiny_flan");
        Run a = run(new ForwardCommand(), "", "--model", dir.toString(), "--adapter", "/tmp/some-adapter");
        assertNotEquals(0, a.rc);
        assertTrue(a.err.contains("/tmp/some-adapter"), a.err);
    }
}
