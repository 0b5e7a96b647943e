package io.peft4j.data;

import io.peft4j.model.Batch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BatcherTest {
    static Dataset data(int... lengths) {
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++)
            ex.add(new Example("e" + i, "w ".repeat(lengths[i]).trim(), "s ".repeat(1 + i % 3).trim(), ""));
        return Dataset.of("b", ex);
    }

    @Test void padsDynamicallyWithMaskAndIgnoredLabels() {
        WordTokenizer tok = new WordTokenizer();
        Batcher b = new Batcher(tok, new BatchConfig(2, 100, 100, false, 0, 0));
        List<Batch> batches = b.batches(data(3, 1, 2));
        assertEquals(2, batches.size());
        Batch first = batches.get(0);
        int w = tok.vocab.get("w"), s = tok.vocab.get("s");
        assertArrayEquals(new int[]{w, w, w, 1}, first.inputIds()[0]);
        assertArrayEquals(new int[]{w, 1, 0, 0}, first.inputIds()[1]);
        assertArrayEquals(new int[]{1, 1, 1, 1}, first.attentionMask()[0]);
        assertArrayEquals(new int[]{1, 1, 0, 0}, first.attentionMask()[1]);
        assertArrayEquals(new int[]{s, 1, -100}, first.labels()[0]);
        assertArrayEquals(new int[]{s, s, 1}, first.labels()[1]);
        assertEquals(5, first.targetTokens());
        Batch last = batches.get(1);   // dynamic: padded to its own length only
        assertEquals(1, last.size());
        assertArrayEquals(new int[]{w, w, 1}, last.inputIds()[0]);
    }

    @Test void truncationKeepsEos() {
        WordTokenizer tok = new WordTokenizer();
        Batcher b = new Batcher(tok, new BatchConfig(1, 4, 2, false, 0, 0));
        Batch batch = b.batches(data(10)).get(0);
        int w = tok.vocab.get("w");
        assertArrayEquals(new int[]{w, w, w, 1}, batch.inputIds()[0]);
        assertArrayEquals(new int[]{tok.vocab.get("s"), 1}, batch.labels()[0]);
    }

    @Test void promptIsApplied() {
        WordTokenizer tok = new WordTokenizer();
        Batcher b = new Batcher(tok, new BatchConfig(1, 100, 10, false, 0, 0));
        Batch batch = b.batches(data(2).withPrompt(PromptTemplate.SUMMARIZE)).get(0);
        assertEquals("Summarize the following conversation. w w Summary:", tok.decode(batch.inputIds()[0]));
    }

    @Test void shuffledPlanIsSeededAndCoversEveryExampleOnce() {
        int[] lengths = new int[103];
        for (int i = 0; i < lengths.length; i++) lengths[i] = 1 + (i * 37) % 50;
        Dataset d = data(lengths);
        BatchConfig cfg = new BatchConfig(8, 512, 64, true, 40, 11);
        List<int[]> p1 = new Batcher(new WordTokenizer(), cfg).plan(d);
        List<int[]> p2 = new Batcher(new WordTokenizer(), cfg).plan(d);
        List<int[]> p3 = new Batcher(new WordTokenizer(), cfg.withSeed(12)).plan(d);
        assertEquals(flat(p1), flat(p2));
        assertNotEquals(flat(p1), flat(p3));
        int[] all = p1.stream().flatMapToInt(Arrays::stream).sorted().toArray();
        assertArrayEquals(java.util.stream.IntStream.range(0, 103).toArray(), all);
        // bucketing: within a batch lengths are sorted (longest first), and padding waste is lower than unbucketed
        for (int[] batch : p1)
            for (int j = 1; j < batch.length; j++) assertTrue(lengths[batch[j - 1]] >= lengths[batch[j]]);
        List<int[]> plain = new Batcher(new WordTokenizer(), new BatchConfig(8, 512, 64, true, 0, 11)).plan(d);
        assertTrue(padding(p1, lengths) < padding(plain, lengths), padding(p1, lengths) + " vs " + padding(plain, lengths));
    }

    static String flat(List<int[]> plan) { return plan.stream().map(Arrays::toString).toList().toString(); }

    static long padding(List<int[]> plan, int[] lengths) {
        long waste = 0;
        for (int[] b : plan) {
            int max = Arrays.stream(b).map(i -> lengths[i]).max().orElse(0);
            for (int i : b) waste += max - lengths[i];
        }
        return waste;
    }

    @Test void errorsNameTheValue() {
        WordTokenizer tok = new WordTokenizer();
        var e1 = assertThrows(IllegalArgumentException.class, () -> new BatchConfig(0, 10, 10, false, 0, 0));
        assertTrue(e1.getMessage().contains("0"));
        var e2 = assertThrows(IllegalArgumentException.class, () -> new Batcher(tok, new BatchConfig(5, 10, 10, false, 0, 0)).batches(data(1, 2)));
        assertTrue(e2.getMessage().contains("5") && e2.getMessage().contains("2"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> new Batcher(tok, BatchConfig.evaluation(1)).batches(data()));
        assertTrue(e3.getMessage().contains("empty"));
        assertThrows(IllegalArgumentException.class, () -> new BatchConfig(4, 1, 10, false, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchConfig(4, 10, 10, true, 2, 0));
    }

    @Test void rejectsOutOfVocabularyIds() {
        WordTokenizer tok = new WordTokenizer() { @Override public int vocabSize() { return 3; } };
        var e = assertThrows(IllegalStateException.class, () -> new Batcher(tok, BatchConfig.evaluation(1)).batches(data(2)));
        assertTrue(e.getMessage().contains("outside [0, 3)"), e.getMessage());
    }
}
