package io.peft4j.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The paired bootstrap behind the notebooks' "which is better" sentences. */
class PairedDifferenceTest {
    static final List<String> REFS = new ArrayList<>(), GOOD = new ArrayList<>(), BAD = new ArrayList<>(), MIXED = new ArrayList<>();

    static {
        for (int i = 0; i < 30; i++) {
            String ref = "person " + i + " asks about the train to city " + (i % 7) + " and buys a ticket";
            REFS.add(ref);
            GOOD.add(ref);
            BAD.add("weather talk number " + i);
            MIXED.add(i % 2 == 0 ? ref : "weather talk number " + i);
        }
    }

    @Test
    void aClearWinnerIsNamedAndATieIsNot() {
        CorpusRouge scorer = new CorpusRouge();
        RougeReport good = scorer.evaluateSingle(REFS, GOOD), bad = scorer.evaluateSingle(REFS, BAD), mixed = scorer.evaluateSingle(REFS, MIXED);
        PairedDifference d = PairedDifference.of(RougeType.ROUGE_L, "bad", bad, "good", good);
        assertTrue(d.significant());
        assertEquals("good", d.winner());
        assertTrue(d.difference() > 0.5 && d.low() > 0, d.toString());
        assertTrue(d.verdict().contains("good is better"), d.verdict());
        PairedDifference same = PairedDifference.of(RougeType.ROUGE_L, "a", mixed, "b", mixed);
        assertEquals(0.0, same.difference());
        assertFalse(same.significant());
        assertNull(same.winner());
        assertTrue(same.verdict().contains("do not show either one to be better"), same.verdict());
        PairedDifference reversed = PairedDifference.of(RougeType.ROUGE_L, "good", good, "bad", bad);
        assertEquals("good", reversed.winner());
        assertEquals(-d.difference(), reversed.difference(), 1e-12);
        assertTrue(reversed.low() <= reversed.difference() && reversed.difference() <= reversed.high());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> PairedDifference.of(RougeType.ROUGE_L, "a", good, "b", scorer.evaluateSingle(REFS.subList(0, 5), GOOD.subList(0, 5))));
        assertTrue(e.getMessage().contains("30") && e.getMessage().contains("5"), e.getMessage());
    }
}
