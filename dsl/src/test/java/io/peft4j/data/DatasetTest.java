package io.peft4j.data;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class DatasetTest {
    static Dataset sample(int n) {
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < n; i++)
            ex.add(new Example("ex_" + i, "#Person1#: line " + i + "\n#Person2#: reply " + "x ".repeat(i % 7),
                "#Person1# says " + i + ".", i % 2 == 0 ? "even" : "odd"));
        return Dataset.of("sample", ex);
    }

    static List<String> ids(Dataset d) { return d.table().stringColumn("id").asList(); }

    @Test void shuffleIsSeededAndAPermutation() {
        Dataset d = sample(50);
        List<String> a = ids(d.shuffle(7)), b = ids(d.shuffle(7)), c = ids(d.shuffle(8));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertNotEquals(ids(d), a);
        assertEquals(new HashSet<>(ids(d)), new HashSet<>(a));
        // rows stay intact: the dialogue belongs to its id
        Dataset s = d.shuffle(7);
        for (int i = 0; i < s.size(); i++) {
            Example e = s.example(i);
            int k = Integer.parseInt(e.id().substring(3));
            assertEquals(d.example(k), e);
        }
    }

    @Test void splitCoversRowsOnceWithRoundedSizes() {
        Dataset d = sample(101);
        List<Dataset> parts = d.split(3, 0.8, 0.1, 0.1);
        assertEquals(List.of(81, 10, 10), parts.stream().map(Dataset::size).toList());
        Set<String> all = new HashSet<>();
        for (Dataset p : parts) all.addAll(ids(p));
        assertEquals(101, all.size());
        assertEquals(ids(parts.get(0)), ids(d.split(3, 0.8, 0.1, 0.1).get(0)));
        assertEquals(51, d.split(1, 0.5).get(0).size());   // round(50.5)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.split(1, 0.7, 0.5));
        assertTrue(e.getMessage().contains("1.2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.split(1, -0.1));
    }

    @Test void filterEveryNthHead() {
        Dataset d = sample(250);
        assertEquals(List.of("ex_0", "ex_100", "ex_200"), ids(d.everyNth(100)));
        assertEquals(125, d.filter(e -> e.topic().equals("even")).size());
        assertEquals(List.of("ex_0", "ex_1"), ids(d.head(2)));
        assertEquals(250, d.head(1000).size());
        assertThrows(IllegalArgumentException.class, () -> d.everyNth(0));
        assertThrows(IllegalArgumentException.class, () -> d.head(-1));
    }

    @Test void fingerprintDependsOnContentOnly() {
        Dataset d = sample(20);
        String f = d.fingerprint();
        assertEquals(64, f.length());
        assertEquals(f, sample(20).fingerprint());
        assertEquals(f, d.withPrompt(PromptTemplate.SUMMARIZE).withName("other").fingerprint());
        assertNotEquals(f, d.shuffle(1).fingerprint());
        assertNotEquals(f, sample(19).fingerprint());
        // moving a character between fields changes it (length prefixes)
        Dataset a = Dataset.of("a", List.of(new Example("1", "ab", "c", "")));
        Dataset b = Dataset.of("b", List.of(new Example("1", "a", "bc", "")));
        assertNotEquals(a.fingerprint(), b.fingerprint());
    }

    @Test void promptTemplate() {
        Dataset d = sample(3).withPrompt(PromptTemplate.SUMMARIZE);
        assertEquals("Summarize the following conversation.\n\n" + d.example(1).dialogue() + "\n\nSummary: ", d.sources().get(1));
        assertEquals(PromptTemplate.SUMMARIZE, d.shuffle(2).everyNth(2).prompt());
        assertEquals("[odd] {x}", new PromptTemplate("[{topic}] {dialogue}").apply("{x}", "odd"));
        assertThrows(IllegalArgumentException.class, () -> new PromptTemplate("no placeholder"));
        assertEquals(d.example(2).summary(), d.targets().get(2));
    }

    @Test void validatesColumnsAndRows() {
        Table t = Table.create("bad", StringColumn.create("id"), StringColumn.create("dialogue"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dataset(t));
        assertTrue(e.getMessage().contains("summary"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> sample(3).example(3));
    }

    @Test void multipleReferences() {
        Dataset d = Dataset.of("m", List.of(new Example("t", "d", "s1", "x", List.of("s1", "s2", "s3"))));
        assertEquals(List.of("s1", "s2", "s3"), d.example(0).references());
        assertTrue(d.table().containsColumn("summary3"));
    }
}
