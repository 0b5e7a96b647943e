package io.peft4j.tools;

import io.peft4j.data.DatasetSplits;
import io.peft4j.data.Datasets;
import io.peft4j.data.Example;

import io.peft4j.tools.DialogueGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class DialogueGeneratorTest {
    static Path committed() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("datasets/dialogues");
            if (Files.isDirectory(c)) return c;
        }
        throw new AssertionError("datasets/dialogues not found above " + Path.of("").toAbsolutePath());
    }

    @Test void regeneratesCommittedFilesByteForByte(@TempDir Path tmp) throws IOException {
        DialogueGenerator.write(tmp);
        Path dir = committed();
        for (String f : List.of("train.jsonl", "dev.jsonl", "test.jsonl")) {
            byte[] want = Files.readAllBytes(dir.resolve(f)), got = Files.readAllBytes(tmp.resolve(f));
            assertEquals(want.length, got.length, f + ": size differs; regenerate with bin/peft4j gen-data and commit");
            assertArrayEquals(want, got, f + " differs from the generator's output");
        }
        try (var s = Files.list(tmp)) { assertEquals(3, s.count(), "no temp files left behind"); }
    }

    @Test void splitsHaveTheAdvertisedShape() {
        DatasetSplits s = Datasets.dialogsum(committed());
        assertEquals(5000, s.train().size());
        assertEquals(500, s.dev().size());
        assertEquals(500, s.test().size());
        Pattern turn = Pattern.compile("#Person[12]#: \\S.*");
        Set<String> topics = new HashSet<>();
        Set<String> dialogues = new HashSet<>();
        int person2First = 0;
        for (Example e : s.train().examples()) {
            for (String line : e.dialogue().split("\n")) assertTrue(turn.matcher(line).matches(), e.id() + ": " + line);
            assertTrue(e.dialogue().startsWith("#Person1#: "), e.id());
            int words = e.summary().split("\\s+").length;
            assertTrue(words >= 5 && words <= 40, e.id() + " summary has " + words + " words");
            assertTrue(e.summary().contains("#Person") || e.summary().matches("^[A-Z][a-z]+ .*"), e.id());
            if (e.summary().startsWith("#Person2#")) person2First++;
            topics.add(e.topic());
            dialogues.add(e.dialogue());
        }
        assertTrue(topics.size() >= 12, "topics: " + topics);
        assertTrue(person2First > 1000, "summaries led by #Person2#: " + person2First);
        assertEquals(5000, dialogues.size(), "dialogues are distinct");
        // test dialogues do not occur in train
        for (Example e : s.test().examples()) assertFalse(dialogues.contains(e.dialogue()), e.id());
    }

    @Test void summariesFollowTheDialoguesSpecifics() {
        // the same scenario with different draws gives different summaries: the numbers in a summary appear in its dialogue
        int checked = 0;
        for (DialogueGenerator.Record r : DialogueGenerator.generate("x", 300, 99)) {
            var m = Pattern.compile("\\$\\d+(\\.\\d\\d)?|\\d{1,2}(:\\d\\d)? [ap]m").matcher(r.summary());
            while (m.find()) {
                String tok = m.group();
                boolean inDialogue = r.dialogue().contains(tok) || spokenForm(tok, r.dialogue());
                boolean derived = r.summary().contains("costs") || r.summary().contains("pays") || r.summary().contains("bill")
                    || r.summary().contains("for $") || r.summary().contains("late") || r.summary().contains("checkout");
                assertTrue(inDialogue || derived, r.fname() + ": '" + tok + "' not in dialogue:\n" + r.dialogue() + "\n>> " + r.summary());
                checked++;
            }
        }
        assertTrue(checked > 200, "checked " + checked);
    }

    private static boolean spokenForm(String time, String dialogue) {
        String[] words = {"twelve", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"};
        var m = Pattern.compile("(\\d{1,2})(:(\\d\\d))? [ap]m").matcher(time);
        if (!m.matches()) return false;
        int h = Integer.parseInt(m.group(1));
        String min = m.group(3);
        if (min == null) return dialogue.contains(words[h] + " o'clock");
        return min.equals("30") && dialogue.contains("half past " + words[h]);
    }

    @Test void deterministicAndSeedSensitive() {
        assertEquals(DialogueGenerator.generate("a", 20, 5), DialogueGenerator.generate("a", 20, 5));
        assertNotEquals(DialogueGenerator.generate("a", 20, 5), DialogueGenerator.generate("a", 20, 6));
        assertThrows(IllegalArgumentException.class, () -> DialogueGenerator.generate("a", -1, 5));
    }

    @Test void jsonEscaping() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u00e9\"", DialogueGenerator.json("a\"b\\c\nd\u00e9"));
    }
}
