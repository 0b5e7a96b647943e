package io.peft4j.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded bootstrap of a mean, in the manner of rouge_score's {@code BootstrapAggregator}: draw n
 * indices with replacement, take the mean of each measure over the draw, repeat, and report
 * percentiles of those means with numpy's default ({@code linear}) interpolation. The draws come from
 * {@link SplittableRandom} seeded explicitly, so the same inputs and seed give the same interval
 * (not numpy's random stream, so not numerically the same interval as rouge_score's).
 */
public final class Bootstrap {
    private Bootstrap() {}

    /**
     * @param values    [measure][example] values
     * @param resamples number of bootstrap draws (> 0)
     * @param seed      seed of the index draws
     * @return [measure][resample] sample means
     */
    public static double[][] resampleMeans(double[][] values, int resamples, long seed) {
        if (resamples <= 0) throw new IllegalArgumentException("resamples must be > 0, got " + resamples);
        int measures = values.length;
        int n = measures == 0 ? 0 : values[0].length;
        if (n == 0) throw new IllegalArgumentException("cannot bootstrap an empty sample");
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] means = new double[measures][resamples];
        int[] idx = new int[n];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) idx[i] = rng.nextInt(n);
            for (int m = 0; m < measures; m++) {
                double[] v = values[m];
                double sum = 0;
                for (int i = 0; i < n; i++) sum += v[idx[i]];
                means[m][b] = sum / n;
            }
        }
        return means;
    }

    /**
     * Percentile {@code q} in [0, 100] of {@code values} with numpy's default linear interpolation
     * (index {@code q/100 * (N-1)}, and numpy's lerp that interpolates from the upper neighbour when
     * the fraction is at least 0.5).
     */
    public static double percentile(double[] values, double q) {
        if (values.length == 0) throw new IllegalArgumentException("percentile of an empty array");
        if (!(q >= 0 && q <= 100)) throw new IllegalArgumentException("q must be in [0, 100], got " + q);
        double[] s = values.clone();
        Arrays.sort(s);
        return sortedPercentile(s, q);
    }

    static double sortedPercentile(double[] s, double q) {
        double h = (q / 100.0) * (s.length - 1);
        int lo = (int) Math.floor(h);
        if (lo >= s.length - 1) return s[s.length - 1];
        double t = h - lo, a = s[lo], b = s[lo + 1], diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /** Plain mean: sequential sum divided by the count (as Python's {@code sum(xs) / len(xs)}). */
    public static double mean(double[] v) {
        if (v.length == 0) throw new IllegalArgumentException("mean of an empty array");
        double sum = 0;
        for (double x : v) sum += x;
        return sum / v.length;
    }
}
