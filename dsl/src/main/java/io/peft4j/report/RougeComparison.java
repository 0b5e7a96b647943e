package io.peft4j.report;

import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The course lab's comparison table: one row per model (base, full fine-tuning, LoRA r=..., ...).
 *
 * <p>Columns: {@code model}, {@code trainable params}, {@code % trainable}, {@code ROUGE-1},
 * {@code ROUGE-2}, {@code ROUGE-L}, {@code ROUGE-Lsum}, then, when a base model is named,
 * {@code Δ base ROUGE-*} and, when a full fine-tuning row is named, {@code Δ full ROUGE-*}; and, when
 * any row has a confidence interval, {@code ROUGE-* CI} text columns ({@code [low, high]}).
 *
 * <p>Units: scores are <b>percentages</b> (the fraction x 100, as the lab prints
 * {@code 17.47%}); deltas are absolute differences in <b>percentage points</b> (row minus
 * reference), so a LoRA row 3.1 below full fine-tuning shows -3.10. Values are stored unrounded;
 * the print formatters show 2 decimals.
 */
public final class RougeComparison {
    /** One model's row. {@code low} / {@code high} are optional bootstrap bounds (both or neither). */
    public record Row(String model, long trainable, long all, RougeScores scores, RougeScores low, RougeScores high) {
        public Row {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(scores, "scores");
            if (trainable < 0 || all < 0 || trainable > all)
                throw new IllegalArgumentException(model + ": need 0 <= trainable <= all, got " + trainable + " / " + all);
            if ((low == null) != (high == null)) throw new IllegalArgumentException(model + ": give both CI bounds or neither");
        }
    }

    static final String[] METRICS = {"ROUGE-1", "ROUGE-2", "ROUGE-L", "ROUGE-Lsum"};

    private final List<Row> rows = new ArrayList<>();
    private String base, full, setting = "";

    public RougeComparison add(String model, long trainable, long all, RougeScores scores) {
        return add(new Row(model, trainable, all, scores, null, null));
    }

    public RougeComparison add(String model, long trainable, long all, RougeScores scores, RougeScores low, RougeScores high) {
        return add(new Row(model, trainable, all, scores, low, high));
    }

    public RougeComparison add(Row row) {
        for (Row r : rows) if (r.model().equals(row.model())) throw new IllegalArgumentException("duplicate model name '" + row.model() + "'");
        rows.add(row);
        return this;
    }

    /** Names the row the "Δ base" columns compare against. */
    public RougeComparison base(String model) { base = requireRow(model); return this; }
    /** Names the row the "Δ full" columns compare against. */
    public RougeComparison full(String model) { full = requireRow(model); return this; }
    /** Free text saying how ROUGE was computed (e.g. "stemming on, exact mean, best of 3 references"); becomes part of the table name. */
    public RougeComparison setting(String text) { setting = text == null ? "" : text; return this; }

    private String requireRow(String model) {
        for (Row r : rows) if (r.model().equals(model)) return model;
        throw new IllegalArgumentException("no row named '" + model + "'; rows: " + rows.stream().map(Row::model).toList());
    }

    private Row row(String model) { return rows.stream().filter(r -> r.model().equals(model)).findFirst().orElseThrow(); }

    public Table table() {
        if (rows.isEmpty()) throw new IllegalStateException("no rows: add at least one model");
        StringColumn model = StringColumn.create("model");
        LongColumn trainable = LongColumn.create("trainable params");
        DoubleColumn pct = DoubleColumn.create("% trainable");
        DoubleColumn[] score = new DoubleColumn[4], dBase = new DoubleColumn[4], dFull = new DoubleColumn[4];
        StringColumn[] ci = new StringColumn[4];
        boolean anyCi = rows.stream().anyMatch(r -> r.low() != null);
        for (int k = 0; k < 4; k++) {
            score[k] = DoubleColumn.create(METRICS[k]);
            dBase[k] = DoubleColumn.create("Δ base " + METRICS[k]);
            dFull[k] = DoubleColumn.create("Δ full " + METRICS[k]);
            ci[k] = StringColumn.create(METRICS[k] + " CI");
        }
        double[] b = base == null ? null : row(base).scores().toArray(), f = full == null ? null : row(full).scores().toArray();
        for (Row r : rows) {
            model.append(r.model());
            trainable.append(r.trainable());
            pct.append(ParameterReport.percent(r.trainable(), r.all()));
            double[] s = r.scores().toArray();
            for (int k = 0; k < 4; k++) {
                score[k].append(100 * s[k]);
                if (b != null) dBase[k].append(100 * s[k] - 100 * b[k]);
                if (f != null) dFull[k].append(100 * s[k] - 100 * f[k]);
                ci[k].append(r.low() == null ? "" : String.format(Locale.ROOT, "[%.2f, %.2f]", 100 * r.low().toArray()[k], 100 * r.high().toArray()[k]));
            }
        }
        Table t = Table.create("ROUGE comparison" + (setting.isEmpty() ? "" : " (" + setting + ")"), model, trainable, pct);
        trainable.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        pct.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        for (DoubleColumn c : score) { c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2)); t.addColumns(c); }
        if (b != null) for (DoubleColumn c : dBase) { c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2)); t.addColumns(c); }
        if (f != null) for (DoubleColumn c : dFull) { c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2)); t.addColumns(c); }
        if (anyCi) t.addColumns(ci);
        return t;
    }
}
