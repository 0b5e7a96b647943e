package io.peft4j.report;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ParameterReportTest {
    @Test void oneMatrix512x64Rank8() {
        assertEquals(32_768, ParameterReport.fullParams(512, 64));
        assertEquals(4_608, ParameterReport.loraParams(512, 64, 8));
        assertEquals("85.94", String.format(java.util.Locale.ROOT, "%.2f", ParameterReport.reductionPercent(512, 64, 8)));
        Table t = ParameterReport.matrix(512, 64, 4, 8, 16);
        assertEquals(3, t.rowCount());
        assertEquals(32_768L, t.longColumn("full params").get(1));
        assertEquals(4_608L, t.longColumn("LoRA params").get(1));
        assertEquals(85.9375, t.doubleColumn("% fewer").get(1), 1e-12);
        assertEquals(2_304L, t.longColumn("LoRA params").get(0));
        String text = Tables.text(t);
        assertTrue(text.contains("32,768") && text.contains("4,608") && text.contains("85.94"), text);
        assertThrows(IllegalArgumentException.class, () -> ParameterReport.loraParams(512, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> ParameterReport.fullParams(-1, 64));
    }

    @Test void peftLineMatchesPythonFormatting() {
        assertEquals("trainable params: 3,538,944 || all params: 251,116,800 || trainable%: 1.4093",
            ParameterReport.peftLine(3_538_944, 251_116_800));
        assertEquals("trainable params: 0 || all params: 10 || trainable%: 0.0000", ParameterReport.peftLine(0, 10));
        assertEquals("trainable params: 1 || all params: 3 || trainable%: 33.3333", ParameterReport.peftLine(1, 3));
        assertEquals("trainable params: 2 || all params: 3 || trainable%: 66.6667", ParameterReport.peftLine(2, 3));
        assertEquals("trainable params: 5 || all params: 5 || trainable%: 100.0000", ParameterReport.peftLine(5, 5));
        // values checked with Python f"{100*t/a:.4f}": 100*1/160000 = 0.000625 -> Python '0.0006' (binary value below the tie)
        assertEquals("trainable params: 1 || all params: 160,000 || trainable%: 0.0006", ParameterReport.peftLine(1, 160_000));
        var e = assertThrows(IllegalArgumentException.class, () -> ParameterReport.peftLine(5, 4));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("4"));
    }

    @Test void wholeModelTotals() {
        List<ParameterReport.ModuleRow> rows = List.of(
            new ParameterReport.ModuleRow("encoder.block.0.layer.0.SelfAttention.q", "lora", "768 x 768", 2 * 8 * 768, 768 * 768 + 2 * 8 * 768),
            new ParameterReport.ModuleRow("encoder.block.0.layer.0.SelfAttention.v", "lora", "768 x 768", 2 * 8 * 768, 768 * 768 + 2 * 8 * 768),
            new ParameterReport.ModuleRow("shared", "embedding", "32128 x 768", 0, 32128L * 768));
        Table t = ParameterReport.model("flan-t5 slice", rows);
        assertEquals(4, t.rowCount());
        assertEquals(ParameterReport.TOTAL_ROW, t.stringColumn("module").get(3));
        long trainable = 2L * 2 * 8 * 768, all = 2L * (768 * 768 + 2 * 8 * 768) + 32128L * 768;
        assertEquals(trainable, t.longColumn("trainable").get(3));
        assertEquals(all, t.longColumn("all").get(3));
        assertEquals(100.0 * trainable / all, t.doubleColumn("% trainable").get(3), 1e-12);
        assertEquals(ParameterReport.peftLine(trainable, all), ParameterReport.peftLine(t));
        assertThrows(IllegalArgumentException.class, () -> new ParameterReport.ModuleRow("x", "", "", 5, 4));
    }
}
