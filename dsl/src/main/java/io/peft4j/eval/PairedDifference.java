package io.peft4j.eval;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which of two systems scored higher on the same examples, and whether the data support it: the
 * mean per-example difference of one ROUGE F1 ({@code b - a}) with a paired bootstrap interval
 * (the same resampled examples for both systems, which is tighter and more honest than comparing
 * two separate intervals). The verdict names a winner only when the whole interval lies on one
 * side of zero.
 *
 * @param type       the ROUGE type compared
 * @param nameA      first system
 * @param nameB      second system
 * @param difference mean of (F1 of b - F1 of a) over the examples
 * @param low        lower end of the interval of that mean
 * @param high       upper end
 * @param confidence two-sided confidence of [low, high]
 * @param examples   number of paired examples
 */
public record PairedDifference(RougeType type, String nameA, String nameB, double difference, double low, double high,
                               double confidence, int examples) {

    /** With the bootstrap setting of {@code a} (resamples, confidence, seed). */
    public static PairedDifference of(RougeType type, String nameA, RougeReport a, String nameB, RougeReport b) {
        RougeSettings s = a.settings();
        return of(type, nameA, a, nameB, b, s.resamples() > 0 ? s.resamples() : RougeSettings.DEFAULT_RESAMPLES, s.confidence(), s.seed());
    }

    public static PairedDifference of(RougeType type, String nameA, RougeReport a, String nameB, RougeReport b,
                                      int resamples, double confidence, long seed) {
        if (a.examples() != b.examples())
            throw new IllegalArgumentException("a paired comparison needs the same examples: " + nameA + " has " + a.examples()
                + ", " + nameB + " has " + b.examples());
        if (!(confidence > 0 && confidence < 1)) throw new IllegalArgumentException("confidence = " + confidence + " is invalid: allowed (0, 1)");
        int n = a.examples();
        double[] d = new double[n];
        List<Map<RougeType, Score>> pa = a.perExample(), pb = b.perExample();
        for (int i = 0; i < n; i++) {
            Score sa = pa.get(i).get(type), sb = pb.get(i).get(type);
            if (sa == null || sb == null) throw new IllegalArgumentException("type " + type + " was not computed for both systems");
            d[i] = sb.fmeasure() - sa.fmeasure();
        }
        double[] means = Bootstrap.resampleMeans(new double[][]{d}, resamples, seed)[0];
        double tail = (1 - confidence) / 2 * 100;
        return new PairedDifference(type, nameA, nameB, Bootstrap.mean(d), Bootstrap.percentile(means, tail),
            Bootstrap.percentile(means, 100 - tail), confidence, n);
    }

    /** True when the interval excludes zero (the data then support a winner at this confidence). */
    public boolean significant() { return low > 0 || high < 0; }

    /** The system the data support as better, or null when the interval includes zero. */
    public String winner() { return low > 0 ? nameB : high < 0 ? nameA : null; }

    /** One sentence: the difference in points, its interval and what it supports. */
    public String verdict() {
        String head = String.format(Locale.ROOT, "%s %s - %s: %+.2f points, %.0f%% interval [%+.2f, %+.2f] over %d examples: ",
            type.name(), nameB, nameA, 100 * difference, 100 * confidence, 100 * low, 100 * high, examples);
        String w = winner();
        return head + (w == null ? "the interval includes 0, so these data do not show either one to be better"
            : w + " is better at this confidence");
    }

    @Override public String toString() { return verdict(); }
}
