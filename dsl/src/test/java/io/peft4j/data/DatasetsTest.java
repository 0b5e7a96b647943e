package io.peft4j.data;

import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DatasetsTest {
    @TempDir Path dir;

    static final String TRAIN = """
        {"fname": "train_0", "dialogue": "#Person1#: Hi.\\n#Person2#: Hello. ", "summary": "#Person1# greets #Person2#.", "topic": "greeting"}

        {"fname": "train_1", "dialogue": "#Person1#: Caf\\u00e9?\\n#Person2#: Yes \\"please\\".", "summary": "They go to a caf\\u00e9.", "topic": "coffee"}
        """;
    static final String TEST = """
        {"fname": "test_0_1", "dialogue": "#Person1#: A\\n#Person2#: B", "summary1": "r1", "summary2": "r2", "summary3": "r3", "topic1": "t"}
        """;

    @Test void dialogsumFolderWithFallbackToDev() throws IOException {
        Files.writeString(dir.resolve("dialogsum.train.jsonl"), TRAIN);
        Files.writeString(dir.resolve("dialogsum.dev.jsonl"), TEST.replace("test_", "dev_"));
        DatasetSplits s = Datasets.dialogsum(dir);
        assertFalse(s.hasTest());
        Dataset train = s.train();
        assertEquals(2, train.size());
        Example e = train.example(1);
        assertEquals("train_1", e.id());
        assertEquals("#Person1#: Café?\n#Person2#: Yes \"please\".", e.dialogue());
        assertEquals("#Person1#: Hi.\n#Person2#: Hello. ", train.example(0).dialogue());   // trailing space kept
        assertEquals("coffee", e.topic());
        assertSame(s.dev(), s.test());
        assertEquals(List.of("r1", "r2", "r3"), s.test().example(0).references());
        assertEquals("r1", s.test().example(0).summary());
        assertEquals("t", s.test().example(0).topic());
        // withPrompt applies to every split
        assertEquals(PromptTemplate.SUMMARIZE, s.withPrompt(PromptTemplate.SUMMARIZE).test().prompt());
    }

    @Test void plainSplitNamesAndSingleFile() throws IOException {
        Files.writeString(dir.resolve("train.jsonl"), TRAIN);
        Files.writeString(dir.resolve("test.jsonl"), TEST);
        DatasetSplits s = Datasets.dialogsum(dir);
        assertEquals(2, s.train().size());
        assertEquals(1, s.test().size());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::dev);
        assertTrue(e.getMessage().contains("no dev split"), e.getMessage());
        DatasetSplits one = Datasets.dialogsum(dir.resolve("test.jsonl"));
        assertTrue(one.hasTest() && !one.hasTrain());
        assertThrows(IllegalArgumentException.class, () -> Datasets.dialogsum(dir.resolve("absent")));
    }

    @Test void huggingFaceJsonlExport() throws IOException {
        Path f = dir.resolve("hf.jsonl");
        Files.writeString(f, "{\"id\":\"test_1\",\"dialogue\":\"d\",\"summary\":\"s\",\"topic\":\"x\"}\n{\"dialogue\":\"d2\",\"summary\":\"s2\"}\n");
        Dataset d = Datasets.jsonl(f);
        assertEquals(List.of("test_1", "hf_1"), d.table().stringColumn("id").asList());
        assertEquals("", d.example(1).topic());
        assertFalse(d.table().containsColumn("summary1"));
    }

    @Test void badJsonNamesFileAndLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"dialogue\":\"d\",\"summary\":\"s\"}\n{\"dialogue\": \n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.jsonl(f));
        assertTrue(e.getMessage().contains("bad.jsonl:2"), e.getMessage());
        Files.writeString(f, "{\"dialogue\":\"d\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Datasets.jsonl(f));
        assertTrue(e.getMessage().contains("summary"), e.getMessage());
    }

    @Test void csvWithQuotesCommasNewlinesAndNA() throws IOException {
        Path f = dir.resolve("d.csv");
        Files.writeString(f, "id,dialogue,summary,topic\n"
            + "a1,\"#Person1#: Hi, there.\n#Person2#: \"\"Yes\"\".\",NA,  spaced\n"
            + "a2,plain,\"s, with comma\",\n");
        Dataset d = Datasets.csv(f);
        assertEquals(2, d.size());
        assertEquals("#Person1#: Hi, there.\n#Person2#: \"Yes\".", d.example(0).dialogue());
        assertEquals("NA", d.example(0).summary());
        assertEquals("s, with comma", d.example(1).summary());
        assertEquals("", d.example(1).topic());
    }

    @Test void sharedDialogSum() {
        Path p = Shared.require("datasets/dialogsum");
        DatasetSplits s = Datasets.dialogsum(p);
        Dataset dev = s.dev();
        assertEquals(500, dev.size());
        assertEquals("dev_0", dev.example(0).id());
        assertTrue(dev.example(0).dialogue().startsWith("#Person1#: "));
        assertEquals(List.of("dev_0", "dev_100", "dev_200", "dev_300", "dev_400"),
            dev.everyNth(100).table().stringColumn("id").asList());
        assertSame(dev, s.test());
        assertEquals(dev.fingerprint(), Datasets.jsonl(p.resolve("dialogsum.dev.jsonl")).fingerprint());
        Dataset train = s.train();
        assertEquals(12_460, train.size());
    }
}
