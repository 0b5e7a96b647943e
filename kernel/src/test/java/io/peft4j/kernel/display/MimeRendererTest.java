package io.peft4j.kernel.display;

import io.peft4j.report.RichDisplay;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MimeRendererTest {
    public static final class Report {
        public Table toTable() { return Table.create("r", StringColumn.create("k", "<script>")); }
        @Override public String toString() { return "Report"; }
    }

    @Test void tablesAreEscapedHtmlWithTextFallback() {
        Map<String, String> b = MimeRenderer.render(Table.create("t", StringColumn.create("a&b", "<i>x</i>")));
        assertTrue(b.get("text/html").contains("<th>a&amp;b</th>") && b.get("text/html").contains("&lt;i&gt;x&lt;/i&gt;"));
        assertTrue(b.get("text/plain").contains("a&b"));
    }

    @Test void toTableObjectsAndRichDisplaysAndArrays() {
        Map<String, String> b = MimeRenderer.render(new Report());
        assertTrue(b.get("text/html").contains("&lt;script&gt;"));
        assertEquals("Report", b.get("text/plain"));

        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        Map<String, String> img = MimeRenderer.render(RichDisplay.png(png, "a chart"));
        assertArrayEquals(png, Base64.getDecoder().decode(img.get("image/png")));
        assertEquals("a chart", img.get("text/plain"));

        assertEquals("[1, 2]", MimeRenderer.render(new int[]{1, 2}).get("text/plain"));
        assertEquals("null", MimeRenderer.render(null).get("text/plain"));
    }
}
