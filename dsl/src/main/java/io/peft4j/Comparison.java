package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.eval.CorpusRouge;
import io.peft4j.eval.RougeReport;
import io.peft4j.eval.RougeType;
import io.peft4j.eval.Score;
import io.peft4j.eval.ScoreInterval;
import io.peft4j.report.RougeComparison;
import io.peft4j.report.RougeScores;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base model, full fine-tuning and PEFT results side by side on held-out data: each model
 * generates a summary per example, and the summaries are scored with ROUGE (rouge_score-exact,
 * stemming on, exact mean; best reference per type where there are several) — the course lab's
 * table, with deltas against the base and against full fine-tuning.
 */
public final class Comparison {
    private final List<Object> models;
    private final Map<String, List<String>> predictions = new LinkedHashMap<>();
    private final Map<String, RougeReport> reports = new LinkedHashMap<>();
    private Dataset evaluated;

    Comparison(List<Object> models) {
        if (models.isEmpty()) throw new IllegalArgumentException("compare(...) needs at least one model");
        for (Object m : models)
            if (!(m instanceof Model) && !(m instanceof FineTuned))
                throw new IllegalArgumentException("compare(...) takes models and FineTuned results, got "
                    + (m == null ? "null" : m.getClass().getName()));
        this.models = List.copyOf(models);
    }

    /** Generates for every example of {@code test} with every model and returns the ROUGE table. */
    public Table rouge(Dataset test) {
        if (test == null || test.isEmpty()) throw new IllegalArgumentException("compare(...).rouge needs a non-empty held-out dataset");
        evaluated = test;
        predictions.clear();
        reports.clear();
        RougeComparison table = new RougeComparison();
        CorpusRouge scorer = new CorpusRouge();
        String baseName = null, fullName = null;
        // safe points: each model, and within it each generated token and each scored example
        try (io.peft4j.progress.Task task = io.peft4j.progress.Progress.start("compare", models.size())) {
        for (Object m : models) {
            String name = uniqueName(nameOf(m));
            task.detail(name);
            List<String> preds = m instanceof Model t ? t.generate(test.sources()) : ((FineTuned) m).generate(test.sources());
            RougeReport r = scorer.evaluate(test.references(), preds);
            predictions.put(name, preds);
            reports.put(name, r);
            long trainable = m instanceof FineTuned f ? f.trainableParameters() : 0;
            long all = m instanceof FineTuned f ? f.totalParameters() : ((Model) m).parameterCount();
            table.add(name, trainable, all, scores(r, null), scores(r, ScoreInterval::low), scores(r, ScoreInterval::high));
            if (m instanceof Model && baseName == null) baseName = name;
            if (m instanceof FineTuned f && f.method() == Method.FULL && fullName == null) fullName = name;
            task.advance();
        }
        }
        if (baseName != null) table.base(baseName);
        if (fullName != null) table.full(fullName);
        table.setting(scorer.settings().describe() + "; " + test.size() + " examples of " + test.name());
        return table.table();
    }

    private String uniqueName(String n) {
        String s = n;
        for (int i = 2; predictions.containsKey(s); i++) s = n + " #" + i;
        return s;
    }

    private static String nameOf(Object m) {
        return m instanceof Model t ? "base (" + t.id() + ")" : ((FineTuned) m).name();
    }

    private static RougeScores scores(RougeReport r, java.util.function.Function<ScoreInterval, Score> pick) {
        double[] v = new double[4];
        RougeType[] types = {RougeType.ROUGE1, RougeType.ROUGE2, RougeType.ROUGE_L, RougeType.ROUGE_LSUM};
        for (int i = 0; i < 4; i++) {
            if (pick == null) v[i] = r.f1(types[i]);
            else {
                ScoreInterval ci = r.intervals() == null ? null : r.intervals().get(types[i]);
                v[i] = ci == null ? r.f1(types[i]) : pick.apply(ci).fmeasure();
            }
        }
        return new RougeScores(v[0], v[1], v[2], v[3]);
    }

    /** The ROUGE reports of the last {@link #rouge} call, by model name. */
    public Map<String, RougeReport> reports() { return Map.copyOf(reports); }

    /** Generated summaries of the last {@link #rouge} call, by model name. */
    public Map<String, List<String>> predictions() { return Map.copyOf(predictions); }

    /** The first {@code n} examples: dialogue, reference, and each model's summary side by side. */
    public Table samples(int n) {
        if (evaluated == null) throw new IllegalStateException("call rouge(test) first");
        int k = Math.min(n, evaluated.size());
        List<String> dialogue = new ArrayList<>(), ref = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            dialogue.add(evaluated.example(i).dialogue());
            ref.add(evaluated.example(i).summary());
        }
        Table t = Table.create("sample summaries", StringColumn.create("dialogue", dialogue), StringColumn.create("reference", ref));
        for (var e : predictions.entrySet()) t.addColumns(StringColumn.create(e.getKey(), e.getValue().subList(0, k)));
        return t;
    }
}
