package io.peft4j.eval;

import io.peft4j.progress.Progress;
import io.peft4j.progress.Task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a corpus of (references, prediction) pairs and aggregates: exact mean per type and measure,
 * plus a seeded bootstrap interval (see {@link RougeSettings} for the defaults).
 */
public final class CorpusRouge {

    private final RougeSettings settings;
    private final RougeScorer scorer;

    public CorpusRouge(RougeSettings settings) {
        if (settings == null) throw new IllegalArgumentException("settings must be given, e.g. RougeSettings.defaults()");
        this.settings = settings;
        this.scorer = new RougeScorer(settings.types(), settings.stemming());
    }

    public CorpusRouge() { this(RougeSettings.defaults()); }

    public RougeSettings settings() { return settings; }

    /** One reference per prediction. */
    public RougeReport evaluateSingle(List<String> references, List<String> predictions) {
        if (references == null || predictions == null) throw new IllegalArgumentException("references and predictions must be given");
        List<List<String>> refs = new ArrayList<>(references.size());
        for (int i = 0; i < references.size(); i++) {
            String r = references.get(i);
            if (r == null) throw new IllegalArgumentException("reference " + i + " is null; pass a string (empty is allowed)");
            refs.add(List.of(r));
        }
        return evaluate(refs, predictions);
    }

    /** One or more references per prediction; several are scored with {@link RougeScorer#scoreMulti}. */
    public RougeReport evaluate(List<List<String>> references, List<String> predictions) {
        if (references == null || predictions == null) throw new IllegalArgumentException("references and predictions must be given");
        if (references.size() != predictions.size())
            throw new IllegalArgumentException(references.size() + " reference sets but " + predictions.size() + " predictions; they must pair up");
        if (predictions.isEmpty()) throw new IllegalArgumentException("no examples to score");
        List<Map<RougeType, Score>> rows = new ArrayList<>(predictions.size());
        // safe points: every example (an interrupt stops scoring with OperationInterruptedException)
        try (Task task = Progress.start("ROUGE", predictions.size())) {
            for (int i = 0; i < predictions.size(); i++) {
                task.advance(i == 0 ? 0 : 1);
                List<String> refs = references.get(i);
                if (refs == null || refs.isEmpty())
                    throw new IllegalArgumentException("example " + i + " has no reference");
                rows.add(refs.size() == 1 ? scorer.score(refs.get(0), predictions.get(i)) : scorer.scoreMulti(refs, predictions.get(i)));
            }
            task.advance(1);
            return aggregate(rows);
        }
    }

    /** Aggregates already computed per-example scores. */
    public RougeReport aggregate(List<Map<RougeType, Score>> rows) {
        int n = rows.size();
        if (n == 0) throw new IllegalArgumentException("no examples to aggregate");
        Map<RougeType, Score> mean = new LinkedHashMap<>();
        Map<RougeType, ScoreInterval> intervals = new LinkedHashMap<>();
        for (RougeType t : settings.types()) {
            Progress.checkInterrupted("ROUGE aggregation");
            double[][] v = new double[3][n];
            for (int i = 0; i < n; i++) {
                Score s = rows.get(i).get(t);
                if (s == null) throw new IllegalArgumentException("example " + i + " lacks a score for " + t);
                v[0][i] = s.precision(); v[1][i] = s.recall(); v[2][i] = s.fmeasure();
            }
            mean.put(t, new Score(Bootstrap.mean(v[0]), Bootstrap.mean(v[1]), Bootstrap.mean(v[2])));
            if (settings.resamples() > 0) {
                // the same seed for every type: each type sees the same resampled example sets
                double[][] means = Bootstrap.resampleMeans(v, settings.resamples(), settings.seed());
                double lowQ = 50 * (1 - settings.confidence()), highQ = 100 - lowQ;
                Score[] at = new Score[3];
                double[] qs = {lowQ, 50, highQ};
                for (int k = 0; k < 3; k++) {
                    at[k] = new Score(Bootstrap.percentile(means[0], qs[k]), Bootstrap.percentile(means[1], qs[k]),
                        Bootstrap.percentile(means[2], qs[k]));
                }
                intervals.put(t, new ScoreInterval(at[0], at[1], at[2]));
            }
        }
        return new RougeReport(settings, n, mean, intervals, rows);
    }
}
