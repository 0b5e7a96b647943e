package io.peft4j.kernel.display;

import io.peft4j.hf.DownloadListener;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The notebook's view of hub downloads, registered once by the kernel with {@code Peft.onDownload}:
 * each resolve that downloads something (e.g. {@code T5.load("google/flan-t5-base")} on a fresh cache)
 * gets one output in the cell that loads, with a row per file (a progress bar, bytes, rate, ETA),
 * created at its first file (display_data with a transient display_id) and replaced in place
 * afterwards (update_display_data). Byte updates are throttled to one per {@code minIntervalNanos}
 * (default 250 ms); a file's start and end and the end of the resolve always update. A later resolve
 * gets a new output, so it never rewrites an earlier cell's.
 */
public final class DownloadDisplay implements DownloadListener {
    public static final long DEFAULT_MIN_INTERVAL_NANOS = 250_000_000L;

    private final Supplier<DisplaySink> sink;
    private final LongSupplier clock;
    private final long minIntervalNanos;
    private final Map<String, Row> rows = new LinkedHashMap<>();
    private String displayId;
    private String repo = "";
    private String outcome = "";
    private long lastUpdate;
    private int sent;

    private static final class Row {
        Event last;
        String outcome = "";
    }

    public DownloadDisplay(Supplier<DisplaySink> sink, LongSupplier nanoClock, long minIntervalNanos) {
        if (minIntervalNanos < 0) throw new IllegalArgumentException("minIntervalNanos must be >= 0, got " + minIntervalNanos);
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.minIntervalNanos = minIntervalNanos;
    }

    /** Number of display/update messages sent so far. */
    public synchronized int messagesSent() { return sent; }

    @Override public synchronized void onFileStart(Event e) {
        repo = e.repo();
        Row r = rows.computeIfAbsent(e.file(), k -> new Row());
        r.last = e;
        r.outcome = "";
        push(true);
    }

    @Override public synchronized void onFileProgress(Event e) {
        Row r = rows.computeIfAbsent(e.file(), k -> new Row());
        r.last = e;
        push(false);
    }

    @Override public synchronized void onFileEnd(Event e, String outcome) {
        Row r = rows.computeIfAbsent(e.file(), k -> new Row());
        r.last = e;
        r.outcome = outcome == null ? "" : outcome;
        push(true);
    }

    @Override public synchronized void onEnd(String repo, String outcome) {
        if (displayId == null) return;
        this.outcome = outcome == null ? "" : outcome;
        push(true);
        displayId = null;     // the next resolve gets its own output
        rows.clear();
        this.outcome = "";
    }

    private void push(boolean force) {
        long now = clock.getAsLong();
        if (displayId != null && !force && now - lastUpdate < minIntervalNanos) return;
        Map<String, String> bundle = bundle();
        if (displayId == null) {
            displayId = UUID.randomUUID().toString();
            sink.get().display(displayId, bundle);
        } else {
            sink.get().update(displayId, bundle);
        }
        lastUpdate = now;
        sent++;
    }

    private Map<String, String> bundle() {
        StringBuilder html = new StringBuilder("<div class=\"peft4j-download\"><div>").append(io.peft4j.report.Tables.escape(title())).append("</div><table>");
        for (Map.Entry<String, Row> en : rows.entrySet()) {
            Event e = en.getValue().last;
            html.append("<tr><td><code>").append(io.peft4j.report.Tables.escape(en.getKey())).append("</code></td><td>");
            if (e != null && e.totalBytes() > 0)
                html.append("<progress value=\"").append(e.bytes()).append("\" max=\"").append(e.totalBytes()).append("\" style=\"width:20em\"></progress>");
            html.append("</td><td>").append(io.peft4j.report.Tables.escape(status(en.getValue()))).append("</td></tr>");
        }
        html.append("</table></div>");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", html.toString());
        b.put("text/plain", text());
        return b;
    }

    private String title() {
        return "downloading " + repo + (outcome.isEmpty() ? "" : outcome.equals("done") ? ": done" : ": failed");
    }

    String text() {
        StringBuilder sb = new StringBuilder(title());
        int w = rows.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, Row> en : rows.entrySet())
            sb.append('\n').append("  ").append(String.format(Locale.ROOT, "%-" + Math.max(1, w) + "s", en.getKey())).append("  ").append(status(en.getValue()));
        if (!outcome.isEmpty() && !outcome.equals("done")) sb.append('\n').append(outcome);
        return sb.toString();
    }

    private static String status(Row r) {
        Event e = r.last;
        if (e == null) return "";
        if (r.outcome.equals("done"))
            return size(e.bytes()) + String.format(Locale.ROOT, " in %.1f s", e.elapsedNanos() / 1e9)
                + (e.resumedFrom() > 0 ? " (resumed at " + size(e.resumedFrom()) + ")" : "");
        if (!r.outcome.isEmpty()) return "failed after " + size(e.bytes());
        StringBuilder sb = new StringBuilder();
        if (e.totalBytes() > 0) sb.append(String.format(Locale.ROOT, "%3.0f%%  %s / %s", 100 * e.fraction(), size(e.bytes()), size(e.totalBytes())));
        else sb.append(size(e.bytes()));
        sb.append("  ").append(size((long) e.bytesPerSecond())).append("/s");
        double eta = e.etaSeconds();
        if (!Double.isNaN(eta)) sb.append("  ETA ").append(ProgressDisplay.eta(eta));
        return sb.toString();
    }

    static String size(long b) {
        if (b < 1000) return b + " B";
        String[] u = {"kB", "MB", "GB", "TB"};
        double v = b;
        int i = -1;
        while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }
}
