package io.peft4j.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Corpus-level ROUGE: the exact mean of per-example scores per type, the bootstrap interval of that
 * mean, and the setting used to compute them ({@link RougeSettings#describe()}).
 *
 * @param settings   how the scores were computed
 * @param examples   number of scored examples
 * @param mean       per type: exact mean of per-example precision, recall and F1
 * @param intervals  per type: bootstrap low / mid / high (empty when the bootstrap was off)
 * @param perExample per example, per type: the score that entered the mean
 */
public record RougeReport(RougeSettings settings, int examples, Map<RougeType, Score> mean,
                          Map<RougeType, ScoreInterval> intervals, List<Map<RougeType, Score>> perExample) {

    public RougeReport {
        if (settings == null) throw new IllegalArgumentException("settings must be given");
        if (examples <= 0) throw new IllegalArgumentException("examples must be > 0, got " + examples);
        mean = Collections.unmodifiableMap(new LinkedHashMap<>(mean));
        intervals = Collections.unmodifiableMap(new LinkedHashMap<>(intervals));
        perExample = List.copyOf(perExample);
        if (perExample.size() != examples)
            throw new IllegalArgumentException("perExample has " + perExample.size() + " rows, expected " + examples);
    }

    /** Mean F1 of one type (the number usually quoted as "ROUGE-1" etc.). */
    public double f1(RougeType type) {
        Score s = mean.get(type);
        if (s == null) throw new IllegalArgumentException("type " + type + " was not computed; computed: " + mean.keySet());
        return s.fmeasure();
    }

    /** A plain-text table: one row per type, mean P/R/F and the F1 interval, then the setting. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %9s %9s %9s   %s%n", "type", "P", "R", "F", "F interval (low / mid / high)"));
        for (Map.Entry<RougeType, Score> e : mean.entrySet()) {
            Score s = e.getValue();
            ScoreInterval iv = intervals.get(e.getKey());
            String ci = iv == null ? "-" : String.format(Locale.ROOT, "%.4f / %.4f / %.4f",
                iv.low().fmeasure(), iv.mid().fmeasure(), iv.high().fmeasure());
            sb.append(String.format(Locale.ROOT, "%-10s %9.4f %9.4f %9.4f   %s%n",
                e.getKey().name(), s.precision(), s.recall(), s.fmeasure(), ci));
        }
        sb.append(examples).append(" examples; ").append(settings.describe()).append('\n');
        return sb.toString();
    }

    @Override public String toString() { return toText(); }
}
