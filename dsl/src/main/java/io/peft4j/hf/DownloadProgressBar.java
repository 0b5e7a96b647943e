package io.peft4j.hf;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The terminal display of hub downloads: one line per file, rewritten in place with {@code \r} at
 * most once per {@code minIntervalMillis}, then left as a summary line:
 * <pre>
 * org/name model.safetensors [###########-------------]  45%  12.3/27.1 MB  8.4 MB/s  ETA 2s
 * org/name model.safetensors  27.1 MB in 3.2 s (8.5 MB/s)
 * </pre>
 */
public final class DownloadProgressBar implements DownloadListener {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final long minIntervalNanos;
    private final LongSupplier clock;
    private long lastPrint = Long.MIN_VALUE;
    private int lastLength;

    /** On standard error, at most 5 updates a second. */
    public DownloadProgressBar() { this(System.err, 200); }

    public DownloadProgressBar(PrintStream out, long minIntervalMillis) { this(out, minIntervalMillis, System::nanoTime); }

    DownloadProgressBar(PrintStream out, long minIntervalMillis, LongSupplier nanoClock) {
        if (minIntervalMillis < 0) throw new IllegalArgumentException("minIntervalMillis = " + minIntervalMillis + " is invalid: must be >= 0");
        this.out = out;
        this.minIntervalNanos = minIntervalMillis * 1_000_000L;
        this.clock = nanoClock;
    }

    @Override public synchronized void onFileStart(Event e) {
        lastPrint = clock.getAsLong();
        rewrite(line(e));
    }

    @Override public synchronized void onFileProgress(Event e) {
        long now = clock.getAsLong();
        if (lastPrint != Long.MIN_VALUE && now - lastPrint < minIntervalNanos) return;
        lastPrint = now;
        rewrite(line(e));
    }

    @Override public synchronized void onFileEnd(Event e, String outcome) {
        String head = e.repo() + " " + e.file() + "  ";
        if (outcome.equals("done")) {
            double secs = e.elapsedNanos() / 1e9;
            newline(head + size(e.bytes()) + String.format(Locale.ROOT, " in %.1f s (%s/s)", secs, size((long) e.bytesPerSecond()))
                + (e.resumedFrom() > 0 ? ", resumed at " + size(e.resumedFrom()) : ""));
        } else {
            newline(head + "failed after " + size(e.bytes()) + ": " + outcome);
        }
    }

    static String line(Event e) {
        StringBuilder sb = new StringBuilder(e.repo()).append(' ').append(e.file()).append(' ');
        double f = e.fraction();
        if (!Double.isNaN(f)) {
            int filled = (int) Math.round(f * WIDTH);
            sb.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append(']')
                .append(String.format(Locale.ROOT, " %3.0f%%  %s/%s", 100 * f, number(e.bytes(), e.totalBytes()), size(e.totalBytes())));
        } else {
            sb.append(size(e.bytes()));
        }
        sb.append("  ").append(size((long) e.bytesPerSecond())).append("/s");
        double eta = e.etaSeconds();
        if (!Double.isNaN(eta)) sb.append("  ETA ").append(Math.round(eta)).append('s');
        return sb.toString();
    }

    /** Human size: B, kB, MB, GB (powers of 1000, as huggingface_hub's bars). */
    static String size(long b) {
        if (b < 1000) return b + " B";
        String[] u = {"kB", "MB", "GB", "TB"};
        double v = b;
        int i = -1;
        while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }

    /** {@code bytes} in the unit {@code total} is shown in, without the unit. */
    private static String number(long bytes, long total) {
        String t = size(total);
        if (!t.contains(" ") || t.endsWith(" B")) return Long.toString(bytes);
        int exp = switch (t.substring(t.indexOf(' ') + 1)) { case "kB" -> 1; case "MB" -> 2; case "GB" -> 3; default -> 4; };
        return String.format(Locale.ROOT, "%.1f", bytes / Math.pow(1000, exp));
    }

    private void rewrite(String text) {
        int pad = Math.max(0, lastLength - text.length());
        out.print("\r" + text + " ".repeat(pad));
        out.flush();
        lastLength = text.length();
    }

    private void newline(String text) {
        if (lastLength > 0) { out.print("\r" + " ".repeat(lastLength) + "\r"); lastLength = 0; }
        out.println(text);
        out.flush();
    }
}
