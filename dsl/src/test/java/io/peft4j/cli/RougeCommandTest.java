package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.eval.RougeScorer;
import io.peft4j.eval.RougeType;
import io.peft4j.eval.Score;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RougeCommandTest {

    private static List<String> run(String input, String... args) {
        RougeCommand cmd = new RougeCommand();
        cmd.in = new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.out = out;
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute(args);
        assertEquals(0, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("lines"), "summary goes to stderr");
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test void scoresEachLineInOrderAndReportsBadLines() throws Exception {
        String input = String.join("\n",
            "{\"target\": \"The dogs were running\", \"prediction\": \"the dog runs\"}",
            "not json",
            "{\"target\": [\"x y\", \"the dog runs\"], \"prediction\": \"the dog runs\"}",
            "{\"target\": 3, \"prediction\": \"a\"}",
            "",
            "{\"target\": [], \"prediction\": \"a\"}",
            "{\"prediction\": \"a\"}",
            "{\"target\": \"line one\\nline two\", \"prediction\": \"line two\"}") + "\n";
        List<String> lines = run(input, "--stemmer");
        assertEquals(8, lines.size());
        for (String l : lines) assertTrue(l.startsWith("{") && l.endsWith("}"), "one bare JSON object per line: " + l);
        ObjectMapper om = new ObjectMapper();
        RougeScorer stem = new RougeScorer(true);
        JsonNode first = om.readTree(lines.get(0));
        Score expected = stem.score("The dogs were running", "the dog runs").get(RougeType.ROUGE1);
        assertEquals(expected.precision(), first.get("rouge1").get("p").doubleValue());
        assertEquals(expected.recall(), first.get("rouge1").get("r").doubleValue());
        assertEquals(expected.fmeasure(), first.get("rouge1").get("f").doubleValue());
        assertEquals(List.of("rouge1", "rouge2", "rougeL", "rougeLsum"), List.copyOf(iter(first)));
        assertTrue(om.readTree(lines.get(1)).get("error").asText().contains("line 2"));
        assertEquals(1.0, om.readTree(lines.get(2)).get("rougeL").get("f").doubleValue());
        for (int i : new int[]{3, 4, 5, 6}) assertTrue(om.readTree(lines.get(i)).has("error"), lines.get(i));
        assertTrue(om.readTree(lines.get(3)).get("error").asText().contains("number"), lines.get(3));
        assertEquals(stem.score("line one\nline two", "line two").get(RougeType.ROUGE_LSUM).recall(),
            om.readTree(lines.get(7)).get("rougeLsum").get("r").doubleValue());
    }

    @Test void stemmerFlagChangesScores() throws Exception {
        String in = "{\"target\": \"running dogs\", \"prediction\": \"run dog\"}\n";
        ObjectMapper om = new ObjectMapper();
        assertEquals(0.0, om.readTree(run(in).get(0)).get("rouge1").get("f").doubleValue());
        assertEquals(1.0, om.readTree(run(in, "--stemmer").get(0)).get("rouge1").get("f").doubleValue());
    }

    private static List<String> iter(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
