package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.eval.PairedDifference;
import io.peft4j.eval.RougeReport;
import io.peft4j.eval.RougeType;
import io.peft4j.eval.ScoreInterval;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.util.List;
import java.util.Map;

import static io.peft4j.Peft.*;
import static org.junit.jupiter.api.Assertions.*;

/** The rank sweep's table with intervals, its reports and texts, and its paired rank comparisons. */
class RankSweepTest {
    static Dataset train, test;
    static final TrainOptions FAST = epochs(1).lr(1e-2).batchSize(8).maxLengths(96, 32).progress(false);

    @BeforeAll
    static void data() {
        train = TinyModels.dialogues("train", 16, 1).withPrompt(SUMMARIZE);
        test = TinyModels.dialogues("test", 8, 2).withPrompt(SUMMARIZE);
    }

    @Test
    void tableCarriesIntervalsAndThePairedDifferencesAreTheMeanPerExampleDifference() {
        T5 base = TinyModels.t5(11);
        RankSweep.Result r = rankSweep(base).on("attn.q", "attn.v").ranks(2, 4, 8).dropout(0.05).train(train, FAST);
        assertThrows(IllegalStateException.class, r::reports, "no reports before rouge(test)");
        Table t = r.rouge(test);
        assertEquals(3, t.rowCount());
        assertTrue(r.adapters().get(0).provenance().config().contains("dropout=0.05"), r.adapters().get(0).provenance().config());

        Map<Integer, RougeReport> reps = r.reports();
        assertEquals(List.of(2, 4, 8), List.copyOf(reps.keySet()));
        for (int i = 0; i < 3; i++) {
            int rank = r.ranks()[i];
            RougeReport rep = reps.get(rank);
            assertEquals(test.size(), rep.examples());
            assertEquals(r.adapters().get(i).generate(test.sources()), r.predictions().get(rank), "predictions are the adapter's own outputs");
            ScoreInterval iv = rep.intervals().get(RougeType.ROUGE_L);
            assertNotNull(iv, "ROUGE-L interval of rank " + rank);
            assertTrue(iv.low().fmeasure() <= rep.f1(RougeType.ROUGE_L) + 1e-9 && rep.f1(RougeType.ROUGE_L) <= iv.high().fmeasure() + 1e-9,
                "mean inside its interval: " + iv + " vs " + rep.f1(RougeType.ROUGE_L));
            String cell = t.stringColumn("ROUGE-L 95% interval").get(i);
            assertEquals(String.format(java.util.Locale.ROOT, "[%.2f, %.2f]", 100 * iv.low().fmeasure(), 100 * iv.high().fmeasure()), cell);
            assertEquals(Math.round(10000 * rep.f1(RougeType.ROUGE_L)) / 100.0, t.doubleColumn("ROUGE-L").get(i), 1e-9);
        }

        PairedDifference d = r.vsRank(8, 2, RougeType.ROUGE1);
        double sum = 0;
        for (int i = 0; i < test.size(); i++)
            sum += reps.get(8).perExample().get(i).get(RougeType.ROUGE1).fmeasure() - reps.get(2).perExample().get(i).get(RougeType.ROUGE1).fmeasure();
        assertEquals(sum / test.size(), d.difference(), 1e-12);
        assertTrue(d.low() <= d.difference() + 1e-12 && d.difference() <= d.high() + 1e-12, d.verdict());
        assertEquals("r=2", d.nameA());
        assertEquals("r=8", d.nameB());

        PairedDifference self = r.vsRank(4, 4, RougeType.ROUGE_L);
        assertEquals(0.0, self.difference());
        assertFalse(self.significant(), "a rank against itself never differs");

        Table paired = r.pairedDifferences(4);
        assertEquals(List.of(2, 8), paired.intColumn("rank").asList());
        String expected = (r.vsRank(2, 4, RougeType.ROUGE1).significant() ? "yes" : "no") + " / "
            + (r.vsRank(2, 4, RougeType.ROUGE_L).significant() ? "yes" : "no");
        assertEquals(expected, paired.stringColumn("interval excludes 0 (R-1 / R-L)").get(0));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.pairedDifferences(16));
        assertTrue(e.getMessage().contains("rank 16") && e.getMessage().contains("[2, 4, 8]"), e.getMessage());
    }

    @Test
    void dropoutOutsideItsRangeIsRefused() {
        T5 base = TinyModels.t5(12);
        var e = assertThrows(IllegalArgumentException.class, () -> rankSweep(base).on("attn.q").ranks(2).dropout(1.0));
        assertTrue(e.getMessage().contains("dropout = 1.0") && e.getMessage().contains("[0, 1)"), e.getMessage());
    }
}
