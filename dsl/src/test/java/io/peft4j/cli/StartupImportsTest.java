package io.peft4j.cli;

import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every line of the shared startup import list resolves (a class that moves package must fail here,
 * not be skipped silently by the shells), and the classes notebooks use unqualified are among them.
 */
class StartupImportsTest {
    @Test void everyImportResolves() {
        List<String> lines = StartupImports.lines();
        assertTrue(lines.size() >= 15, lines.toString());
        assertTrue(lines.stream().allMatch(l -> l.startsWith("import ") && l.endsWith(";")), lines.toString());
        List<String> rejected = new ArrayList<>();
        try (JShell js = JShell.builder().executionEngine("local").build()) {
            for (String e : JshRunner.classpathEntries()) js.addToClasspath(e);
            for (String line : lines) {
                for (SnippetEvent ev : js.eval(line)) {
                    if (ev.status() == Snippet.Status.REJECTED) {
                        rejected.add(line + ": " + js.diagnostics(ev.snippet()).map(d -> d.getMessage(Locale.ROOT)).toList());
                    }
                }
            }
            for (String use : List.of("T5Config.class", "DialogueGenerator.class", "GenerationConfig.class", "T5.class",
                    "SUMMARIZE", "Table.class", "LoraConfig.class", "CorpusRouge.class", "Charts.class", "TrainingResult.class")) {
                List<SnippetEvent> ev = js.eval(use);
                assertEquals(Snippet.Status.VALID, ev.get(0).status(), use + " must resolve through the startup imports");
            }
        }
        assertEquals(List.of(), rejected);
    }
}
