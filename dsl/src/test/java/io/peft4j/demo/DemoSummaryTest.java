package io.peft4j.demo;

import io.peft4j.data.Example;
import io.peft4j.tools.DemoTasks;
import io.peft4j.train.TrainingResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class DemoSummaryTest {

    @Test void degenerateMeansEmptyOrAThreeWordSequenceThreeTimes() {
        assertTrue(DemoSummary.degenerate(""));
        assertTrue(DemoSummary.degenerate("  ,. "));
        assertTrue(DemoSummary.degenerate("2 ham sandwiches and 2 ham sandwiches and 2 ham sandwiches"));
        assertFalse(DemoSummary.degenerate("2 ham sandwiches and 2 ham sandwiches, then tea."), "twice is allowed");
        assertFalse(DemoSummary.degenerate("#Person1# orders 3 cheese pizzas; it costs $46.50."));
    }

    @Test void distinctLineCountsEachModelsDifferentSummaries() {
        var preds = new java.util.LinkedHashMap<String, List<String>>();
        preds.put("base", List.of("a", "b", "c"));
        preds.put("collapsed", List.of("#Person1# talks.", "#Person1# talks.", "#Person1# talks."));
        assertEquals("distinct summaries: base 3/3; collapsed 1/3;", DemoRun.distinctLine(preds));
    }

    @Test void theRecipeNamesTheDataTheBaseWasMadeFrom() {
        assertEquals("project's own `datasets/dialogues/train.jsonl`", io.peft4j.tools.DemoPretraining.source(java.nio.file.Path.of("datasets/dialogues")));
        assertTrue(io.peft4j.tools.DemoPretraining.source(java.nio.file.Path.of("../shared/datasets/dialogsum")).startsWith("training split of `dialogsum`"));
    }

    @Test void steadyRateLeavesTheWarmUpStepsOut() {
        var r = new TrainingResult(List.of(1.0, 1.0, 1.0, 1.0), List.of(), 4, 400, 13, 400 / 13.0, 0, Double.NaN,
            TrainingResult.Outcome.COMPLETED, List.of(10.0, 1.0, 1.0, 1.0), List.of(100L, 100L, 100L, 100L));
        assertEquals(100.0, r.steadyTokensPerSecond(1), 1e-9, "300 tokens in 3 s after the 10 s warm-up step");
        assertEquals(10.0, r.warmupSeconds(1), 1e-9);
        assertTrue(Double.isNaN(r.steadyTokensPerSecond(4)), "no step left after the warm-up");
        assertThrows(IllegalArgumentException.class, () -> r.steadyTokensPerSecond(-1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingResult(List.of(), List.of(), 0, 0, 0, 0, 0, Double.NaN,
            TrainingResult.Outcome.COMPLETED, List.of(1.0), List.of()));
    }

    @Test void pretrainingTasksNeverTargetTheWholeSummary() {
        var ex = new Example("t", "#Person1#: Hi, a table for 2 at 7 pm?\n#Person2#: Sure, name please?\n#Person1#: Lee.",
            "#Person1# books a table. It is for 2 at 7 pm under Lee.", "reservation");
        var rng = new SplittableRandom(1);
        for (DemoTasks.Kind k : DemoTasks.Kind.values())
            for (int i = 0; i < 20; i++) {
                String[] st = DemoTasks.make(k, ex, rng);
                assertNotNull(st, k.name());
                assertNotEquals(ex.summary(), st[1], k.name());
                assertFalse(st[0].contains("{d}") || st[0].contains("{l}"), st[0]);
            }
        assertEquals("#Person1# books a table.", DemoTasks.make(DemoTasks.Kind.TITLE, ex, rng)[1]);
        assertEquals("It is for 2 at 7 pm under Lee.", DemoTasks.make(DemoTasks.Kind.DETAILS, ex, rng)[1]);
    }
}
