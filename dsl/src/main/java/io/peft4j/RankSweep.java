package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.eval.RougeReport;
import io.peft4j.eval.RougeType;
import io.peft4j.report.Charts;
import io.peft4j.report.LineChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LoRA at several ranks on one base model: {@code rankSweep(base).on("attn.q","attn.v").ranks(4, 8, 16, 32)
 * .train(data, epochs(1)).rouge(test)} gives one row per rank (trainable parameters, % trainable,
 * ROUGE) and {@link Result#chart()} plots ROUGE and parameters against rank. Every rank trains a
 * fresh adapter with alpha = 2r (unless set) on the same shared base.
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
    }

    /** Choose the targets first ({@code lora(...).on(...)} rules). */
    public RanksStep on(String... targets) {
        if (targets == null || targets.length == 0) throw new IllegalArgumentException("rankSweep targets are empty: name at least one module");
        return ranks -> {
            if (ranks == null || ranks.length == 0) throw new IllegalArgumentException("ranks(...) needs at least one rank");
            for (int r : ranks) if (r <= 0) throw new IllegalArgumentException("rank " + r + " is invalid: allowed > 0");
            return new Sweep(targets.clone(), ranks.clone(), 2.0);
        };
    }

    /** The configured sweep, bound to this base model. */
    private final class Sweep implements TrainStep {
        private final String[] targets;
        private final int[] ranks;
        private final double factor;

        Sweep(String[] targets, int[] ranks, double factor) { this.targets = targets; this.ranks = ranks; this.factor = factor; }

        @Override public TrainStep alphaPerRank(double f) {
            if (!(f > 0)) throw new IllegalArgumentException("alphaPerRank = " + f + " is invalid: allowed > 0");
            return new Sweep(targets, ranks, f);
        }

        @Override public Result train(Dataset data, TrainOptions o) {
            List<FineTuned> results = new ArrayList<>();
            for (int r : ranks) {
                io.peft4j.progress.Progress.checkInterrupted("rank sweep");
                results.add(Peft.lora(base).on(targets).rank(r).alpha(factor * r).named("sweep_r" + r).train(data, o));
            }
            return new Result(ranks, results);
        }
    }

    /** Trained adapters per rank. */
    public static final class Result {
        private final int[] ranks;
        private final List<FineTuned> adapters;
        private Table last;

        Result(int[] ranks, List<FineTuned> adapters) { this.ranks = ranks; this.adapters = List.copyOf(adapters); }

        public List<FineTuned> adapters() { return adapters; }

        /** ROUGE of each rank's adapter on {@code test}: rank, trainable, % trainable, ROUGE-1/2/L/Lsum (percent). */
        public Table rouge(Dataset test) {
            IntColumn rank = IntColumn.create("rank");
            LongColumn params = LongColumn.create("trainable params");
            DoubleColumn pct = DoubleColumn.create("% trainable");
            DoubleColumn r1 = DoubleColumn.create("ROUGE-1"), r2 = DoubleColumn.create("ROUGE-2"),
                rl = DoubleColumn.create("ROUGE-L"), rls = DoubleColumn.create("ROUGE-Lsum");
            for (int i = 0; i < ranks.length; i++) {
                FineTuned f = adapters.get(i);
                RougeReport rep = f.rouge(test);
                rank.append(ranks[i]);
                params.append(f.trainableParameters());
                pct.append(round(f.trainablePercent(), 4));
                r1.append(round(100 * rep.f1(RougeType.ROUGE1), 2));
                r2.append(round(100 * rep.f1(RougeType.ROUGE2), 2));
                rl.append(round(100 * rep.f1(RougeType.ROUGE_L), 2));
                rls.append(round(100 * rep.f1(RougeType.ROUGE_LSUM), 2));
            }
            last = Table.create("LoRA rank sweep on " + test.name(), rank, params, pct, r1, r2, rl, rls);
            return last;
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

        private static double round(double v, int digits) {
            double f = Math.pow(10, digits);
            return Math.round(v * f) / f;
        }
    }
}
