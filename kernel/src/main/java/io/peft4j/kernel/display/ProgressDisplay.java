package io.peft4j.kernel.display;

import io.peft4j.train.TrainingListener;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Drives one notebook output from training events: the first event creates it (display_data
 * with a transient display_id), later ones replace it (update_display_data). Step updates are
 * throttled to one per {@code minIntervalNanos} (default 250 ms: at most 4 a second, since every
 * update is a message to the front end); the last step, epoch ends, evaluations and the end of
 * training always update.
 */
public final class ProgressDisplay implements TrainingListener {
    public static final long DEFAULT_MIN_INTERVAL_NANOS = 250_000_000L;

    private final DisplaySink sink;
    private final LongSupplier clock;
    private final long minIntervalNanos;
    private final String displayId = UUID.randomUUID().toString();
    private boolean shown;
    private long lastUpdate;
    private StepEvent step;
    private String epochLine = "";
    private String evalLine = "";
    private String outcome = "";
    private int sent;

    public ProgressDisplay(DisplaySink sink, LongSupplier nanoClock, long minIntervalNanos) {
        if (minIntervalNanos < 0) throw new IllegalArgumentException("minIntervalNanos must be >= 0, got " + minIntervalNanos);
        this.sink = java.util.Objects.requireNonNull(sink, "sink");
        this.clock = java.util.Objects.requireNonNull(nanoClock, "nanoClock");
        this.minIntervalNanos = minIntervalNanos;
    }

    /** Number of display/update messages sent so far. */
    public synchronized int messagesSent() { return sent; }

    @Override public synchronized void onStep(StepEvent e) {
        step = e;
        boolean last = e.totalSteps() > 0 && e.step() >= e.totalSteps();
        push(last);
    }

    @Override public synchronized void onEpoch(EpochEvent e) {
        epochLine = String.format(Locale.ROOT, "epoch %d/%d done: mean loss %.4f in %.1f s",
                e.epoch(), e.totalEpochs(), e.meanLoss(), e.seconds());
        push(true);
    }

    @Override public synchronized void onEvaluation(EvalEvent e) {
        StringBuilder sb = new StringBuilder("eval @ step " + e.step() + ":");
        e.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s=%.4f", k, v)));
        evalLine = sb.toString();
        push(true);
    }

    @Override public synchronized void onEnd(String outcome) {
        this.outcome = outcome == null ? "" : outcome;
        push(true);
    }

    private void push(boolean force) {
        long now = clock.getAsLong();
        if (shown && !force && now - lastUpdate < minIntervalNanos) return;
        Map<String, String> bundle = bundle();
        if (!shown) {
            sink.display(displayId, bundle);
            shown = true;
        } else {
            sink.update(displayId, bundle);
        }
        lastUpdate = now;
        sent++;
    }

    private Map<String, String> bundle() {
        String text = text();
        StringBuilder html = new StringBuilder("<div class=\"peft4j-progress\">");
        if (step != null && step.totalSteps() > 0) {
            html.append("<progress value=\"").append(step.step()).append("\" max=\"").append(step.totalSteps())
                .append("\" style=\"width:30em\"></progress> ");
        }
        for (String line : text.split("\n")) html.append("<div>").append(io.peft4j.report.Tables.escape(line)).append("</div>");
        html.append("</div>");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", html.toString());
        b.put("text/plain", text);
        return b;
    }

    String text() {
        StringBuilder sb = new StringBuilder();
        if (step != null) {
            sb.append(String.format(Locale.ROOT, "step %d/%d", step.step(), step.totalSteps()));
            if (step.totalSteps() > 0) sb.append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * step.step() / step.totalSteps()));
            sb.append(String.format(Locale.ROOT, "  epoch %d  loss %.4f  lr %.2e  %.0f tok/s  ETA %s",
                    step.epoch(), step.loss(), step.learningRate(), step.tokensPerSecond(), eta(step.etaSeconds())));
        } else {
            sb.append("starting");
        }
        if (!epochLine.isEmpty()) sb.append('\n').append(epochLine);
        if (!evalLine.isEmpty()) sb.append('\n').append(evalLine);
        if (!outcome.isEmpty()) sb.append('\n').append("training ").append(outcome);
        return sb.toString();
    }

    static String eta(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
