package io.peft4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorpusRougeTest {

    /** percentiles.jsonl holds numpy.percentile (default linear) results for fixed arrays. */
    @Test void percentileMatchesNumpy() throws IOException {
        ObjectMapper om = new ObjectMapper();
        int checked = 0;
        try (InputStream in = getClass().getResourceAsStream("/rouge/percentiles.jsonl");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode c = om.readTree(line);
                double[] v = new double[c.get("values").size()];
                for (int i = 0; i < v.length; i++) v[i] = c.get("values").get(i).doubleValue();
                for (int k = 0; k < c.get("q").size(); k++) {
                    assertEquals(c.get("expected").get(k).doubleValue(), Bootstrap.percentile(v, c.get("q").get(k).doubleValue()),
                        "n=" + v.length + " q=" + c.get("q").get(k));
                    checked++;
                }
            }
        }
        assertEquals(36, checked);
    }

    private static List<String> refs() {
        return List.of("the cat sat on the mat", "a dog barked at the mailman", "it is raining today",
            "she bought three apples", "they are running late for the meeting", "the sky is blue");
    }

    private static List<String> preds() {
        return List.of("a cat sat on a mat", "the dog barks", "today it rains", "she buys apples",
            "they run late to a meeting", "blue skies");
    }

    @Test void meanIsExactMeanOfPerExampleScores() {
        CorpusRouge corpus = new CorpusRouge();
        RougeReport rep = corpus.evaluateSingle(refs(), preds());
        RougeScorer scorer = new RougeScorer(true);
        for (RougeType t : RougeType.STANDARD) {
            double p = 0, r = 0, f = 0;
            for (int i = 0; i < refs().size(); i++) {
                Score s = scorer.score(refs().get(i), preds().get(i)).get(t);
                p += s.precision(); r += s.recall(); f += s.fmeasure();
            }
            assertEquals(new Score(p / 6, r / 6, f / 6), rep.mean().get(t), t.name());
        }
        assertEquals(6, rep.examples());
    }

    @Test void defaultsAreStemmingExactMeanBestReference() {
        RougeSettings d = RougeSettings.defaults();
        assertTrue(d.stemming());
        assertEquals(1000, d.resamples());
        String text = new CorpusRouge().evaluateSingle(refs(), preds()).toText();
        assertTrue(text.contains("stemming on") && text.contains("exact mean") && text.contains("best reference per type")
            && text.contains("1000 resamples") && text.contains("2.5/50/97.5"), text);
        // stemming changes the numbers: "skies"/"sky" only match with the stemmer
        RougeReport off = new CorpusRouge(d.withStemming(false)).evaluateSingle(refs(), preds());
        RougeReport on = new CorpusRouge(d).evaluateSingle(refs(), preds());
        assertTrue(on.f1(RougeType.ROUGE1) > off.f1(RougeType.ROUGE1));
        assertTrue(off.toText().contains("stemming off"));
    }

    @Test void bootstrapIsSeededAndBracketsTheMean() {
        List<String> refs = new ArrayList<>(), preds = new ArrayList<>();
        for (int k = 0; k < 5; k++) { refs.addAll(refs()); preds.addAll(preds()); }
        RougeReport a = new CorpusRouge().evaluateSingle(refs, preds);
        RougeReport b = new CorpusRouge().evaluateSingle(refs, preds);
        RougeReport c = new CorpusRouge(RougeSettings.defaults().withSeed(7)).evaluateSingle(refs, preds);
        assertEquals(a.intervals(), b.intervals());
        assertNotEquals(a.intervals(), c.intervals());
        for (RougeType t : RougeType.STANDARD) {
            ScoreInterval iv = a.intervals().get(t);
            double f = a.mean().get(t).fmeasure();
            assertTrue(iv.low().fmeasure() < f && f < iv.high().fmeasure(), t + ": " + iv + " vs " + f);
            assertTrue(iv.low().fmeasure() <= iv.mid().fmeasure() && iv.mid().fmeasure() <= iv.high().fmeasure());
        }
        assertTrue(new CorpusRouge(RougeSettings.defaults().withResamples(0)).evaluateSingle(refs, preds).intervals().isEmpty());
    }

    @Test void multiReferenceExamplesUseTheBestReference() {
        CorpusRouge corpus = new CorpusRouge(RougeSettings.defaults().withResamples(0));
        RougeReport rep = corpus.evaluate(List.of(List.of("completely different words", "the cat sat on the mat")),
            List.of("the cat sat on the mat"));
        assertEquals(1.0, rep.f1(RougeType.ROUGE1));
        assertThrows(IllegalArgumentException.class, () -> corpus.evaluate(List.of(List.of()), List.of("x")));
        assertThrows(IllegalArgumentException.class, () -> corpus.evaluateSingle(List.of("a"), List.of("a", "b")));
        assertThrows(IllegalArgumentException.class, () -> new RougeSettings(RougeType.STANDARD, true, -1, 0.95, 1));
    }
}
