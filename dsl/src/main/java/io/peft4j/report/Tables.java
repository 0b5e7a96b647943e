package io.peft4j.report;

import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Renders Tablesaw tables as aligned plain text (terminal, JShell) and as escaped HTML (the
 * Jupyter kernel). Cells use each column's print formatter ({@code Column.getString}); numbers are
 * right-aligned, text left-aligned; newlines in cells show as {@code ⏎} in text and
 * {@code <br>} in HTML; text cells longer than {@code maxCellWidth} are cut with "...".
 */
public final class Tables {
    private Tables() {}

    public static final int DEFAULT_MAX_CELL = 60;

    public static String text(Table t) { return text(t, DEFAULT_MAX_CELL); }

    public static String text(Table t, int maxCellWidth) {
        if (maxCellWidth < 4) throw new IllegalArgumentException("maxCellWidth must be >= 4, got " + maxCellWidth);
        int cols = t.columnCount(), rows = t.rowCount();
        String[][] cells = new String[rows + 1][cols];
        int[] width = new int[cols];
        for (int c = 0; c < cols; c++) {
            Column<?> col = t.column(c);
            cells[0][c] = col.name();
            for (int r = 0; r < rows; r++) {
                String v = col.getString(r).replace("\r\n", "\u23CE").replace("\n", "\u23CE");
                if (v.length() > maxCellWidth) v = v.substring(0, maxCellWidth - 3) + "...";
                cells[r + 1][c] = v;
            }
            for (String[] row : cells) width[c] = Math.max(width[c], row[c].length());
        }
        StringBuilder sb = new StringBuilder();
        if (t.name() != null && !t.name().isEmpty()) sb.append(t.name()).append('\n');
        for (int r = 0; r <= rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (c > 0) sb.append(" | ");
                boolean right = r > 0 && t.column(c) instanceof NumericColumn;
                sb.append(pad(cells[r][c], width[c], right));
            }
            sb.append('\n');
            if (r == 0) {
                for (int c = 0; c < cols; c++) { if (c > 0) sb.append("-+-"); sb.append("-".repeat(width[c])); }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static String pad(String s, int w, boolean right) {
        String fill = " ".repeat(w - s.length());
        return right ? fill + s : s + fill;
    }

    /** Rows {@link #html(Table)} writes at most (a notebook output stays small). */
    public static final int DEFAULT_MAX_HTML_ROWS = 500;

    /**
     * An HTML {@code <table>} with the table name as caption; every cell and header is escaped.
     * The one HTML table renderer of the project: reports write it to files and the Jupyter kernel
     * sends it as a table's {@code text/html}. At most {@link #DEFAULT_MAX_HTML_ROWS} rows.
     */
    public static String html(Table t) { return html(t, DEFAULT_MAX_HTML_ROWS); }

    /** As {@link #html(Table)} with at most {@code maxRows} rows, followed by a note of how many were left out. */
    public static String html(Table t, int maxRows) {
        if (maxRows < 0) throw new IllegalArgumentException("maxRows must be >= 0, got " + maxRows);
        StringBuilder sb = new StringBuilder("<table class=\"peft4j\">\n");
        if (t.name() != null && !t.name().isEmpty()) sb.append("<caption>").append(escape(t.name())).append("</caption>\n");
        sb.append("<thead><tr>");
        for (Column<?> c : t.columns()) sb.append("<th>").append(escape(c.name())).append("</th>");
        sb.append("</tr></thead>\n<tbody>\n");
        int rows = Math.min(t.rowCount(), maxRows);
        for (int r = 0; r < rows; r++) {
            sb.append("<tr>");
            for (Column<?> c : t.columns()) {
                boolean num = c instanceof NumericColumn;
                sb.append(num ? "<td style=\"text-align:right\">" : "<td>")
                  .append(escape(c.getString(r)).replace("\n", "<br>")).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        if (t.rowCount() > rows) sb.append("<p>&hellip; ").append(t.rowCount() - rows).append(" more rows</p>\n");
        return sb.toString();
    }

    /** Escapes {@code & < > " '} for HTML text and attribute values. */
    public static String escape(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
