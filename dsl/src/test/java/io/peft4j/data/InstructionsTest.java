package io.peft4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class InstructionsTest {
    @Test
    void readsPromptResponseAndConversations(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("mixed.jsonl");
        Files.writeString(f, """
            {"prompt": "Say hi.", "response": "Hi!"}

            {"id": "c1", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a fruit."}, {"role": "assistant", "content": "Apple."}]}
            """);
        Dataset d = Instructions.read(f);
        assertEquals(2, d.size());
        assertEquals(List.of("Say hi.", "Name a fruit."), d.sources());
        assertEquals(List.of("Hi!", "Apple."), d.targets());
        assertEquals("mixed_0", d.example(0).id());
        assertEquals("c1", d.example(1).id());
        assertTrue(d.hasMessages());
        assertEquals("", d.messages().get(0));
        assertTrue(d.messages().get(1).contains("\"Be brief.\""));
        assertEquals(d.messages(), d.select(0, 1).messages(), "the messages column travels with selections");
    }

    @Test
    void conversationsThatDifferInEarlierTurnsHaveDifferentFingerprints(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl");
        String tail = "{\"role\": \"user\", \"content\": \"Again?\"}, {\"role\": \"assistant\", \"content\": \"Yes.\"}]}";
        Files.writeString(a, "{\"messages\": [{\"role\": \"user\", \"content\": \"One?\"}, {\"role\": \"assistant\", \"content\": \"One.\"}, " + tail + "\n");
        Files.writeString(b, "{\"messages\": [{\"role\": \"user\", \"content\": \"Two?\"}, {\"role\": \"assistant\", \"content\": \"Two.\"}, " + tail + "\n");
        Dataset da = Instructions.read(a), db = Instructions.read(b);
        assertEquals(da.sources(), db.sources());
        assertEquals(da.targets(), db.targets());
        assertNotEquals(da.fingerprint(), db.fingerprint());
        // prompt/response records keep the fingerprint of the same examples without the extra columns
        Path p = dir.resolve("p.jsonl");
        Files.writeString(p, "{\"id\": \"x\", \"prompt\": \"Say hi.\", \"response\": \"Hi!\"}\n");
        assertEquals(Dataset.of("p", List.of(new Example("x", "Say hi.", "Hi!", ""))).fingerprint(), Instructions.read(p).fingerprint());
        assertEquals(List.of(p + ":1"), Instructions.read(p).origins());
    }

    @Test
    void oneFileIsSplit80_10_10AndAFolderUsesItsFiles(@TempDir Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 50; i++) lines.add("{\"prompt\": \"p" + i + "\", \"response\": \"r" + i + "\"}");
        Path f = dir.resolve("data.jsonl");
        Files.write(f, lines);
        DatasetSplits s = Datasets.instructions(f);
        assertEquals(40, s.train().size());
        assertEquals(5, s.dev().size());
        assertEquals(5, s.test().size());
        Path folder = Files.createDirectory(dir.resolve("folder"));
        Files.write(folder.resolve("train.jsonl"), lines.subList(0, 10));
        Files.write(folder.resolve("test.jsonl"), lines.subList(10, 13));
        DatasetSplits t = Datasets.instructions(folder);
        assertEquals(10, t.train().size());
        assertEquals(3, t.test().size());
    }

    @Test
    void badRecordsNameFileAndLine(@TempDir Path dir) throws IOException {
        String[][] cases = {
            {"{\"prompt\": \"x\"}", ":1: missing field \"response\""},
            {"{\"prompt\": \"x\", \"response\": 3}", ":1: field \"response\" must be a string"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", ":1: the conversation has no assistant turn"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"assistant\", \"content\": \"y\"}, {\"role\": \"user\", \"content\": \"z\"}]}",
                ":1: the last message must be the assistant's"},
            {"{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}", "messages[0]: role \"bot\" is invalid"},
            {"{\"messages\": []}", ":1: \"messages\" must be a non-empty array"},
            {"not json", ":1: not valid JSON"},
            {"[1, 2]", ":1: expected a JSON object"},
        };
        for (String[] c : cases) {
            Path f = dir.resolve("bad.jsonl");
            Files.writeString(f, c[0] + "\n");
            var e = assertThrows(IllegalArgumentException.class, () -> Instructions.read(f), c[0]);
            assertTrue(e.getMessage().contains(f + c[1]) || e.getMessage().contains(c[1]), e.getMessage());
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
    }
}
