package io.peft4j.report;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import static org.junit.jupiter.api.Assertions.*;

class RougeComparisonTest {
    static RougeComparison lab() {
        return new RougeComparison()
            .add("base", 0, 247_577_856, new RougeScores(0.2334, 0.0760, 0.2015, 0.2015))
            .add("full fine-tuning", 247_577_856, 247_577_856, new RougeScores(0.4216, 0.1804, 0.3384, 0.3384))
            .add("LoRA r=32", 3_538_944, 251_116_800, new RougeScores(0.4081, 0.1633, 0.3251, 0.3249),
                new RougeScores(0.39, 0.15, 0.31, 0.31), new RougeScores(0.42, 0.18, 0.34, 0.34))
            .base("base").full("full fine-tuning").setting("stemming on, exact mean");
    }

    @Test void percentagesAndDeltas() {
        Table t = lab().table();
        assertEquals(3, t.rowCount());
        assertEquals("ROUGE comparison (stemming on, exact mean)", t.name());
        assertEquals(40.81, t.doubleColumn("ROUGE-1").get(2), 1e-9);
        assertEquals(40.81 - 23.34, t.doubleColumn("Δ base ROUGE-1").get(2), 1e-9);   // 17.47 points, as the lab
        assertEquals(40.81 - 42.16, t.doubleColumn("Δ full ROUGE-1").get(2), 1e-9);
        assertEquals(0.0, t.doubleColumn("Δ base ROUGE-2").get(0), 0.0);
        assertEquals(100.0 * 3_538_944 / 251_116_800, t.doubleColumn("% trainable").get(2), 1e-12);
        assertEquals(3_538_944L, t.longColumn("trainable params").get(2));
        assertEquals("[39.00, 42.00]", t.stringColumn("ROUGE-1 CI").get(2));
        assertEquals("", t.stringColumn("ROUGE-1 CI").get(0));
        String text = Tables.text(t);
        assertTrue(text.contains("17.47") && text.contains("-1.35") && text.contains("3,538,944"), text);
    }

    @Test void optionalColumnsAndErrors() {
        Table t = new RougeComparison().add("only", 1, 2, new RougeScores(0.5, 0.25, 0.4, 0.4)).table();
        assertEquals(7, t.columnCount());
        assertFalse(t.containsColumn("Δ base ROUGE-1"));
        var e = assertThrows(IllegalArgumentException.class, () -> new RougeComparison().add("a", 0, 1, new RougeScores(0, 0, 0, 0)).base("b"));
        assertTrue(e.getMessage().contains("'b'"));
        assertThrows(IllegalArgumentException.class, () -> new RougeScores(42.0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> lab().add("base", 0, 1, new RougeScores(0, 0, 0, 0)));
        assertThrows(IllegalStateException.class, () -> new RougeComparison().table());
    }
}
