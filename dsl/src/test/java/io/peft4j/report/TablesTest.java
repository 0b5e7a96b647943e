package io.peft4j.report;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class TablesTest {
    static Table evil() {
        return Table.create("a <b> & c",
            StringColumn.create("text", "<script>alert('x')</script>", "Tom & Jerry \"quoted\"", "line1\nline2"),
            IntColumn.create("n<", 1, 22, 333));
    }

    @Test void htmlEscapesEveryCell() throws Exception {
        String html = Tables.html(evil());
        assertFalse(html.contains("<script>"), html);
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), html);
        assertTrue(html.contains("Tom &amp; Jerry &quot;quoted&quot;"), html);
        assertTrue(html.contains("<th>n&lt;</th>"), html);
        assertTrue(html.contains("<caption>a &lt;b&gt; &amp; c</caption>"), html);
        assertTrue(html.contains("line1<br>line2"), html);
        // well-formed (after making <br> XML-valid), with exactly 3 body rows
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new ByteArrayInputStream(html.replace("<br>", "<br/>").getBytes(StandardCharsets.UTF_8)));
        assertEquals(3, doc.getElementsByTagName("tbody").item(0).getChildNodes().getLength() - countText(doc.getElementsByTagName("tbody").item(0)));
        assertEquals("<script>alert('x')</script>", doc.getElementsByTagName("td").item(0).getTextContent());
    }

    private static int countText(org.w3c.dom.Node n) {
        int k = 0;
        for (int i = 0; i < n.getChildNodes().getLength(); i++) if (n.getChildNodes().item(i).getNodeType() == org.w3c.dom.Node.TEXT_NODE) k++;
        return k;
    }

    @Test void textIsAlignedAndOneLinePerRow() {
        String text = Tables.text(evil(), 12);
        String[] lines = text.split("\n");
        assertEquals(1 + 2 + 3, lines.length, text);   // name, header, rule, 3 rows
        int width = lines[1].length();
        for (int i = 2; i < lines.length; i++) assertEquals(width, lines[i].length(), text);
        assertTrue(lines[3].startsWith("<script>a..."), text);   // truncated at 12
        assertTrue(lines[5].contains("line1\u23CEline2"), text);
        assertTrue(lines[3].endsWith("  1"), text);                // numbers right-aligned
        assertThrows(IllegalArgumentException.class, () -> Tables.text(evil(), 2));
    }

    @Test void htmlCapsTheRowsWithANote() {
        Table big = Table.create("big", IntColumn.create("i", java.util.stream.IntStream.range(0, 1234).toArray()));
        String html = Tables.html(big);
        assertEquals(Tables.DEFAULT_MAX_HTML_ROWS, html.split("<tr>").length - 2, "header row + capped body rows");
        assertTrue(html.contains("&hellip; 734 more rows"), html.substring(html.length() - 80));
        assertEquals(3, Tables.html(big, 2).split("<tr>").length - 1);
        assertFalse(Tables.html(evil(), 3).contains("more rows"));
        assertThrows(IllegalArgumentException.class, () -> Tables.html(big, -1));
    }
}
