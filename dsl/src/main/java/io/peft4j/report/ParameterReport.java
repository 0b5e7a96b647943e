package io.peft4j.report;

import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Parameter-count arithmetic for LoRA, as Tablesaw tables.
 * <ul>
 *   <li>One weight matrix {@code W [out, in]}: full fine-tuning trains {@code out * in} values; LoRA
 *       of rank r trains {@code A [r, in]} and {@code B [out, r]}, i.e. {@code r * (in + out)}.
 *       512 x 64 at r = 8: 32,768 vs 4,608, 85.94% fewer.</li>
 *   <li>A whole model from per-module rows, with a total row.</li>
 *   <li>PEFT's {@code print_trainable_parameters} line, formatted exactly as Python formats it
 *       ({@code {:,d}} and {@code {:.4f}}: correctly rounded, half-even on the exact binary value).</li>
 * </ul>
 */
public final class ParameterReport {
    private ParameterReport() {}

    /** One module of a model: its name, kind (e.g. "attn.q" or "lora_A"), shape text, and counts. */
    public record ModuleRow(String module, String kind, String shape, long trainable, long all) {
        public ModuleRow {
            Objects.requireNonNull(module, "module");
            kind = kind == null ? "" : kind;
            shape = shape == null ? "" : shape;
            if (trainable < 0 || all < 0) throw new IllegalArgumentException("parameter counts must be >= 0: " + module + " trainable " + trainable + ", all " + all);
            if (trainable > all) throw new IllegalArgumentException(module + ": trainable " + trainable + " > all " + all);
        }
    }

    public static long fullParams(long rows, long cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("matrix shape must be positive, got " + rows + " x " + cols);
        return Math.multiplyExact(rows, cols);
    }

    /** LoRA parameters for a {@code rows x cols} matrix at rank r: {@code r * (rows + cols)}. */
    public static long loraParams(long rows, long cols, int rank) {
        fullParams(rows, cols);
        if (rank <= 0) throw new IllegalArgumentException("rank must be >= 1, got " + rank);
        return Math.multiplyExact((long) rank, rows + cols);
    }

    /** Percent fewer trainable parameters with LoRA than with full fine-tuning of the matrix. */
    public static double reductionPercent(long rows, long cols, int rank) {
        return 100.0 * (1.0 - (double) loraParams(rows, cols, rank) / fullParams(rows, cols));
    }

    /** A one-row-per-rank table for one matrix: shape, rank, full, LoRA, LoRA % of full, reduction %. */
    public static Table matrix(long rows, long cols, int... ranks) {
        if (ranks.length == 0) throw new IllegalArgumentException("give at least one rank");
        StringColumn shape = StringColumn.create("shape");
        IntColumn rank = IntColumn.create("rank");
        LongColumn full = LongColumn.create("full params"), lora = LongColumn.create("LoRA params");
        DoubleColumn share = DoubleColumn.create("LoRA % of full"), fewer = DoubleColumn.create("% fewer");
        for (int r : ranks) {
            shape.append(rows + " x " + cols);
            rank.append(r);
            full.append(fullParams(rows, cols));
            lora.append(loraParams(rows, cols, r));
            share.append(100.0 * loraParams(rows, cols, r) / fullParams(rows, cols));
            fewer.append(reductionPercent(rows, cols, r));
        }
        full.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        lora.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        share.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2));
        fewer.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2));
        return Table.create("LoRA parameters of one " + rows + " x " + cols + " matrix", shape, rank, full, lora, share, fewer);
    }

    /**
     * Per-module rows plus a final {@value #TOTAL_ROW} row (the sum over these rows only, not the whole
     * model): module, kind, shape, trainable, all, % trainable.
     */
    public static Table model(String title, List<ModuleRow> modules) {
        Objects.requireNonNull(modules, "modules");
        StringColumn module = StringColumn.create("module"), kind = StringColumn.create("kind"), shape = StringColumn.create("shape");
        LongColumn trainable = LongColumn.create("trainable"), all = LongColumn.create("all");
        DoubleColumn pct = DoubleColumn.create("% trainable");
        long tt = 0, ta = 0;
        for (ModuleRow m : modules) {
            module.append(m.module()); kind.append(m.kind()); shape.append(m.shape());
            trainable.append(m.trainable()); all.append(m.all());
            pct.append(percent(m.trainable(), m.all()));
            tt = Math.addExact(tt, m.trainable());
            ta = Math.addExact(ta, m.all());
        }
        module.append(TOTAL_ROW); kind.append(""); shape.append("");
        trainable.append(tt); all.append(ta); pct.append(percent(tt, ta));
        trainable.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        all.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        pct.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        return Table.create(title == null ? "parameters" : title, module, kind, shape, trainable, all, pct);
    }

    /** The label of the sum row of {@link #model}: the listed modules, not the whole model. */
    public static final String TOTAL_ROW = "total of these modules";

    static double percent(long part, long whole) { return whole == 0 ? 0.0 : 100.0 * part / whole; }

    /**
     * PEFT's line: {@code trainable params: 3,538,944 || all params: 251,116,800 || trainable%: 1.4093}.
     * The percentage is {@code 100 * trainable / all} in double precision, printed with 4 decimals
     * rounded as Python rounds (exact binary value, half-even).
     */
    public static String peftLine(long trainable, long all) {
        if (trainable < 0 || all <= 0 || trainable > all)
            throw new IllegalArgumentException("need 0 <= trainable <= all and all > 0, got trainable " + trainable + ", all " + all);
        double pct = 100.0 * trainable / all;   // Python: 100 * trainable_params / all_param
        String p = new BigDecimal(pct).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %s", trainable, all, p);
    }

    /** The PEFT line for a model table made by {@link #model}: its total row. */
    public static String peftLine(Table modelTable) {
        int last = modelTable.rowCount() - 1;
        return peftLine(modelTable.longColumn("trainable").get(last), modelTable.longColumn("all").get(last));
    }
}
