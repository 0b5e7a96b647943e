package io.peft4j.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RougeScorerTest {

    private final RougeScorer scorer = new RougeScorer(false);

    @Test void tokenizerFollowsRougeScore() {
        RougeTokenizer plain = new RougeTokenizer(false), stem = new RougeTokenizer(true);
        assertEquals(List.of("it", "s", "3", "45pm", "e", "mail"), plain.tokenize("It's 3:45PM, e-mail!"));
        assertEquals(List.of("caf", "na", "ve", "i", "kelvin"), plain.tokenize("Café naïve İ \u212Aelvin"));
        assertEquals(List.of("the", "dog", "were", "run", "happili"), stem.tokenize("The dogs were running happily"));
        assertEquals(List.of("dogs"), plain.tokenize("dogs"));
        assertEquals(List.of("ies"), stem.tokenize("ies"), "tokens of 3 characters are not stemmed");
        assertEquals(List.of(), plain.tokenize(" \n\t…"));
    }

    @Test void argumentOrderIsReferenceThenPrediction() {
        Score s = scorer.score("a b c d", "a b").get(RougeType.ROUGE1);
        assertEquals(1.0, s.precision());
        assertEquals(0.5, s.recall());
        Score swapped = scorer.score("a b", "a b c d").get(RougeType.ROUGE1);
        assertEquals(0.5, swapped.precision());
        assertEquals(1.0, swapped.recall());
    }

    @Test void rougeNClipsCounts() {
        Score s = scorer.score("the the the the", "the the").get(RougeType.ROUGE1);
        assertEquals(1.0, s.precision());
        assertEquals(0.5, s.recall());
    }

    @Test void lsumCapsHitsSoATokenCountsOnce() {
        // every prediction line's LCS with "a a a" is read out as the same (last) reference index, so the
        // union has one index per reference line: 1 hit for "a", 1 for "b" (rouge_score gives 1/3)
        Map<RougeType, Score> m = scorer.score("a a a\nb b b", "a b\na b\na b");
        assertEquals(Score.of(2 / 6.0, 2 / 6.0), m.get(RougeType.ROUGE_LSUM));
        // 5 prediction "a"s but the union holds one reference index: P = 1/5, R = 1/3
        Map<RougeType, Score> m2 = scorer.score("a a a", "a\na\na\na\na");
        assertEquals(Score.of(0.2, 1 / 3.0), m2.get(RougeType.ROUGE_LSUM));
        // both reference lines match the one prediction line: uncapped that is 4 hits for 2 prediction tokens
        Map<RougeType, Score> m3 = scorer.score("a b\na b", "a b");
        assertEquals(Score.of(1.0, 0.5), m3.get(RougeType.ROUGE_LSUM));
    }

    @Test void backtrackingPicksRougeScoresLcs() {
        boolean[] mark = new boolean[4];
        // ref x y x y vs can y x: LCS length 2 could be ref indices {1,2} or {0,1}/{0,3}/...; rouge_score's walk takes {1,2}
        RougeScorer.markLcs(new int[]{0, 1, 0, 1}, new int[]{1, 0}, mark);
        assertEquals("[false, true, true, false]", java.util.Arrays.toString(mark));
    }

    @Test void multiReferenceTakesBestPerTypeIndependently() {
        Map<RougeType, Score> best = scorer.scoreMulti(List.of("a b c d", "d c b a"), "d c b a x");
        assertEquals(scorer.score("d c b a", "d c b a x").get(RougeType.ROUGE2), best.get(RougeType.ROUGE2));
        Map<RougeType, Score> first = scorer.scoreMulti(List.of("a b", "b a"), "a b b a");
        assertEquals(scorer.score("a b", "a b b a").get(RougeType.ROUGE1), first.get(RougeType.ROUGE1), "ties keep the first");
        assertThrows(IllegalArgumentException.class, () -> scorer.scoreMulti(List.of(), "x"));
    }

    @Test void emptySidesScoreZero() {
        for (Score s : scorer.score("", "something").values()) assertEquals(Score.ZERO, s);
        for (Score s : scorer.score("something", " ... ").values()) assertEquals(Score.ZERO, s);
    }

    @Test void generalNgramOrdersAndLongVocabulariesWork() {
        RougeScorer r4 = new RougeScorer(List.of(RougeType.parse("rouge4"), RougeType.parse("rouge9")), false);
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < 5000; i++) a.append("w").append(i).append(' ');
        Map<RougeType, Score> m = r4.score(a.toString(), a.toString());
        assertEquals(1.0, m.get(RougeType.parse("rouge4")).fmeasure());
        assertEquals(1.0, m.get(RougeType.parse("rouge9")).fmeasure());
        assertNotEquals(1.0, r4.score(a.toString(), a.toString().replace("w17 ", "")).get(RougeType.parse("rouge9")).fmeasure());
    }

    @Test void badInputIsRejectedWithItsValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RougeType.parse("rougeX"));
        assertTrue(e.getMessage().contains("rougeX") && e.getMessage().contains("rougeLsum"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scorer.score(null, "x"));
        assertThrows(IllegalArgumentException.class, () -> new RougeScorer(List.of(), true));
    }
}
