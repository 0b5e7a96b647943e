package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.eval.CorpusRouge;
import io.peft4j.eval.PairedDifference;
import io.peft4j.eval.RougeReport;
import io.peft4j.eval.RougeType;
import io.peft4j.eval.ScoreInterval;
import io.peft4j.report.Charts;
import io.peft4j.report.LineChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * LoRA at several ranks on one base model: {@code rankSweep(base).on("attn.q","attn.v").ranks(4, 8, 16, 32)
 * .train(data, epochs(1)).rouge(test)} gives one row per rank (trainable parameters, % trainable,
 * ROUGE with its bootstrap 95% interval) and {@link Result#chart()} plots ROUGE and parameters
 * against rank. Every rank trains a fresh adapter with alpha = 2r (unless set) on the same shared base.
 * {@link Result#pairedDifferences(int)} says whether any rank differs from a reference rank by a
 * paired bootstrap interval (the same resampled examples for both ranks) that excludes 0.
 */
public final class RankSweep {
    private final Model base;

    RankSweep(Model base) { this.base = base; }

    /** Then the ranks. */
    public interface RanksStep { TrainStep ranks(int... ranks); }

    /** Then train: one adapter per rank. */
    public interface TrainStep {
        Result train(Dataset data, TrainOptions options);
        /** alpha = factor * r for every rank (default 2). */
        TrainStep alphaPerRank(double factor);
        /** LoRA dropout of every rank's adapter (default 0, PEFT's default). */
        TrainStep dropout(double p);
    }

    /** Choose the targets first ({@code lora(...).on(...)} rules). */
    public RanksStep on(String... targets) {
        if (targets == null || targets.length == 0) throw new IllegalArgumentException("rankSweep targets are empty: name at least one module");
        return ranks -> {
            if (ranks == null || ranks.length == 0) throw new IllegalArgumentException("ranks(...) needs at least one rank");
            for (int r : ranks) if (r <= 0) throw new IllegalArgumentException("rank " + r + " is invalid: allowed > 0");
            return new Sweep(targets.clone(), ranks.clone(), 2.0, 0.0);
        };
    }

    /** The configured sweep, bound to this base model. */
    private final class Sweep implements TrainStep {
        private final String[] targets;
        private final int[] ranks;
        private final double factor;
        private final double dropout;

        Sweep(String[] targets, int[] ranks, double factor, double dropout) {
            this.targets = targets; this.ranks = ranks; this.factor = factor; this.dropout = dropout;
        }

        @Override public TrainStep alphaPerRank(double f) {
            if (!(f > 0)) throw new IllegalArgumentException("alphaPerRank = " + f + " is invalid: allowed > 0");
            return new Sweep(targets, ranks, f, dropout);
        }

        @Override public TrainStep dropout(double p) {
            if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("rank sweep dropout = " + p + " is invalid: allowed [0, 1)");
            return new Sweep(targets, ranks, factor, p);
        }

        @Override public Result train(Dataset data, TrainOptions o) {
            List<FineTuned> results = new ArrayList<>();
            for (int r : ranks) {
                io.peft4j.progress.Progress.checkInterrupted("rank sweep");
                results.add(Peft.lora(base).on(targets).rank(r).alpha(factor * r).dropout(dropout).named("sweep_r" + r).train(data, o));
            }
            return new Result(ranks, results);
        }
    }

    /** Trained adapters per rank. */
    public static final class Result {
        private final int[] ranks;
        private final List<FineTuned> adapters;
        private Table last;
        private Map<Integer, RougeReport> reports;
        private Map<Integer, List<String>> predictions;

        Result(int[] ranks, List<FineTuned> adapters) { this.ranks = ranks; this.adapters = List.copyOf(adapters); }

        public List<FineTuned> adapters() { return adapters; }

        /** The swept ranks, in training order. */
        public int[] ranks() { return ranks.clone(); }

        /**
         * ROUGE of each rank's adapter on {@code test}: rank, trainable, % trainable, ROUGE-1/2/L/Lsum
         * (percent), and the bootstrap 95% interval of ROUGE-1 and ROUGE-L (the resampling of
         * {@link CorpusRouge}'s default setting). The reports and the generated texts stay available
         * through {@link #reports()} and {@link #predictions()}.
         */
        public Table rouge(Dataset test) {
            IntColumn rank = IntColumn.create("rank");
            LongColumn params = LongColumn.create("trainable params");
            DoubleColumn pct = DoubleColumn.create("% trainable");
            DoubleColumn r1 = DoubleColumn.create("ROUGE-1"), r2 = DoubleColumn.create("ROUGE-2"),
                rl = DoubleColumn.create("ROUGE-L"), rls = DoubleColumn.create("ROUGE-Lsum");
            StringColumn ci1 = StringColumn.create("ROUGE-1 95% interval"), cil = StringColumn.create("ROUGE-L 95% interval");
            Map<Integer, RougeReport> reps = new LinkedHashMap<>();
            Map<Integer, List<String>> preds = new LinkedHashMap<>();
            CorpusRouge scorer = new CorpusRouge();
            for (int i = 0; i < ranks.length; i++) {
                FineTuned f = adapters.get(i);
                List<String> generated = f.generate(test.sources());
                RougeReport rep = scorer.evaluate(test.references(), generated);
                reps.put(ranks[i], rep);
                preds.put(ranks[i], List.copyOf(generated));
                rank.append(ranks[i]);
                params.append(f.trainableParameters());
                pct.append(round(f.trainablePercent(), 4));
                r1.append(round(100 * rep.f1(RougeType.ROUGE1), 2));
                r2.append(round(100 * rep.f1(RougeType.ROUGE2), 2));
                rl.append(round(100 * rep.f1(RougeType.ROUGE_L), 2));
                rls.append(round(100 * rep.f1(RougeType.ROUGE_LSUM), 2));
                ci1.append(interval(rep, RougeType.ROUGE1));
                cil.append(interval(rep, RougeType.ROUGE_L));
            }
            reports = Collections.unmodifiableMap(reps);
            predictions = Collections.unmodifiableMap(preds);
            last = Table.create("LoRA rank sweep on " + test.name() + " (" + test.size() + " examples; intervals: bootstrap 95%)",
                rank, params, pct, r1, r2, rl, rls, ci1, cil);
            return last;
        }

        /** Per rank (training order), the ROUGE report of the last {@link #rouge} call. */
        public Map<Integer, RougeReport> reports() {
            if (reports == null) throw new IllegalStateException("call rouge(test) first");
            return reports;
        }

        /** Per rank (training order), the texts generated for the last {@link #rouge} call. */
        public Map<Integer, List<String>> predictions() {
            if (predictions == null) throw new IllegalStateException("call rouge(test) first");
            return predictions;
        }

        /**
         * ROUGE of rank {@code rank} minus ROUGE of rank {@code reference} on the examples of the last
         * {@link #rouge} call, with its paired bootstrap 95% interval.
         */
        public PairedDifference vsRank(int rank, int reference, RougeType type) {
            RougeReport a = report(reference), b = report(rank);
            return PairedDifference.of(type, "r=" + reference, a, "r=" + rank, b);
        }

        /**
         * Every other rank against {@code reference}: the ROUGE-1 and ROUGE-L differences with paired
         * bootstrap 95% intervals, and whether each interval excludes 0 (only then do the data
         * show the two ranks to differ).
         */
        public Table pairedDifferences(int reference) {
            report(reference);
            IntColumn rank = IntColumn.create("rank");
            StringColumn d1 = StringColumn.create("dR-1 vs r=" + reference + " [95%]"), dl = StringColumn.create("dR-L vs r=" + reference + " [95%]");
            StringColumn verdict = StringColumn.create("interval excludes 0 (R-1 / R-L)");
            for (int r : ranks) {
                if (r == reference) continue;
                PairedDifference p1 = vsRank(r, reference, RougeType.ROUGE1), pl = vsRank(r, reference, RougeType.ROUGE_L);
                rank.append(r);
                d1.append(delta(p1));
                dl.append(delta(pl));
                verdict.append((p1.significant() ? "yes" : "no") + " / " + (pl.significant() ? "yes" : "no"));
            }
            return Table.create("each rank - rank " + reference + " (paired bootstrap over the same examples)", rank, d1, dl, verdict);
        }

        private RougeReport report(int rank) {
            RougeReport r = reports().get(rank);
            if (r == null) throw new IllegalArgumentException("rank " + rank + " was not swept; swept ranks: " + Arrays.toString(ranks));
            return r;
        }

        /** ROUGE (left axis) and trainable parameters (right axis) against rank; needs {@link #rouge} first. */
        public LineChart chart() {
            if (last == null) throw new IllegalStateException("call rouge(test) first");
            List<double[]> values = new ArrayList<>();
            for (String c : List.of("ROUGE-1", "ROUGE-2", "ROUGE-L"))
                values.add(last.doubleColumn(c).asDoubleArray());
            long[] params = Arrays.stream(adapters.toArray(new FineTuned[0])).mapToLong(FineTuned::trainableParameters).toArray();
            return Charts.rankSweep(ranks, List.of("ROUGE-1", "ROUGE-2", "ROUGE-L"), values, params);
        }

        private static String interval(RougeReport r, RougeType t) {
            ScoreInterval iv = r.intervals().get(t);
            return iv == null ? "" : String.format(Locale.ROOT, "[%.2f, %.2f]", 100 * iv.low().fmeasure(), 100 * iv.high().fmeasure());
        }

        private static String delta(PairedDifference d) {
            return String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f]", 100 * d.difference(), 100 * d.low(), 100 * d.high());
        }

        private static double round(double v, int digits) {
            double f = Math.pow(10, digits);
            return Math.round(v * f) / f;
        }
    }
}
