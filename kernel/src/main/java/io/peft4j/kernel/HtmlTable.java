package io.peft4j.kernel;

import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Renders a Tablesaw {@link Table} as an HTML table (every name and cell escaped). tablesaw-core
 * has no HTML writer; this one is small on purpose. At most {@link #MAX_ROWS} rows are written,
 * followed by a note with the number left out.
 */
public final class HtmlTable {
    public static final int MAX_ROWS = 500;

    private HtmlTable() {}

    public static String render(Table t) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("<table class=\"peft4j-table\">");
        if (t.name() != null && !t.name().isBlank()) {
            sb.append("<caption>").append(escape(t.name())).append("</caption>");
        }
        sb.append("<thead><tr>");
        for (Column<?> c : t.columns()) sb.append("<th>").append(escape(c.name())).append("</th>");
        sb.append("</tr></thead><tbody>");
        int rows = Math.min(t.rowCount(), MAX_ROWS);
        for (int r = 0; r < rows; r++) {
            sb.append("<tr>");
            for (Column<?> c : t.columns()) {
                boolean numeric = c.type().name().matches("(?i)DOUBLE|FLOAT|INTEGER|LONG|SHORT");
                sb.append(numeric ? "<td style=\"text-align:right\">" : "<td>")
                  .append(escape(c.getString(r))).append("</td>");
            }
            sb.append("</tr>");
        }
        sb.append("</tbody></table>");
        if (t.rowCount() > rows) {
            sb.append("<p>&hellip; ").append(t.rowCount() - rows).append(" more rows</p>");
        }
        return sb.toString();
    }

    /** Escapes the five HTML-special characters (the library's one escaper). */
    public static String escape(String s) {
        return s == null ? "" : io.peft4j.report.Tables.escape(s);
    }
}
