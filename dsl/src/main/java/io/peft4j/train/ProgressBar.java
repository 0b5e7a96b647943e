package io.peft4j.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line terminal progress display for training, rewritten in place with {@code \r} on
 * standard error (or any stream), at most once per {@code minIntervalMillis} (the last step of the
 * run and epoch/eval lines are always shown):
 * <pre>epoch 2/3 [##########----------] 120/240 loss 2.3456 lr 1.00e-03 1234 tok/s ETA 1m05s</pre>
 */
public final class ProgressBar implements TrainingListener {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final long minIntervalNanos;
    private final LongSupplier clock;
    private long lastPrint = Long.MIN_VALUE;
    private int lastLength;

    /** Prints to {@code System.err}, at most 5 times a second. */
    public ProgressBar() { this(System.err, 200); }

    public ProgressBar(PrintStream out, long minIntervalMillis) { this(out, minIntervalMillis, System::nanoTime); }

    ProgressBar(PrintStream out, long minIntervalMillis, LongSupplier nanoClock) {
        if (minIntervalMillis < 0) throw new IllegalArgumentException("minIntervalMillis = " + minIntervalMillis + " is invalid: must be >= 0");
        this.out = out;
        this.minIntervalNanos = minIntervalMillis * 1_000_000L;
        this.clock = nanoClock;
    }

    @Override public void onStep(StepEvent e) {
        long now = clock.getAsLong();
        boolean last = e.step() >= e.totalSteps();
        if (!last && lastPrint != Long.MIN_VALUE && now - lastPrint < minIntervalNanos) return;
        lastPrint = now;
        rewrite(line(e));
    }

    @Override public void onEpoch(EpochEvent e) {
        newline(String.format(Locale.ROOT, "epoch %d/%d done: mean loss %.4f (%.1f s)", e.epoch(), e.totalEpochs(), e.meanLoss(), e.seconds()));
    }

    @Override public void onEvaluation(EvalEvent e) {
        StringBuilder sb = new StringBuilder("eval epoch " + e.epoch() + ":");
        e.metrics().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
            .forEach(m -> sb.append(String.format(Locale.ROOT, " %s %.4f", m.getKey(), m.getValue())));
        newline(sb.toString());
    }

    @Override public void onEnd(String outcome) {
        newline("training " + outcome.toLowerCase(Locale.ROOT));
    }

    static String line(StepEvent e) {
        double frac = e.totalSteps() > 0 ? Math.min(1.0, (double) e.step() / e.totalSteps()) : 0;
        int filled = (int) Math.round(frac * WIDTH);
        return String.format(Locale.ROOT, "epoch %d [%s%s] %d/%d loss %.4f lr %.2e %.0f tok/s ETA %s",
            e.epoch(), "#".repeat(filled), "-".repeat(WIDTH - filled), e.step(), e.totalSteps(), e.loss(),
            e.learningRate(), e.tokensPerSecond(), duration(e.etaSeconds()));
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
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
