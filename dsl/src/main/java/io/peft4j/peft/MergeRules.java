package io.peft4j.peft;

import java.util.Arrays;
import java.util.List;

/**
 * PEFT's {@code merge_utils} on flat row-major tensors of equal length, in double precision:
 * {@code task_arithmetic}, {@code ties}, {@code dare_linear}, {@code dare_ties} and
 * {@code magnitude_prune} (see {@link Combination.Rule}).
 *
 * <ul>
 *   <li>magnitude pruning keeps the {@code k = (int) (density * n)} largest magnitudes of each tensor
 *       (equal magnitudes: the lower index first); {@code density >= 1} keeps everything;</li>
 *   <li>random pruning keeps a value where its mask says so and divides it by {@code density}
 *       ({@code density >= 1} keeps everything unscaled, as PEFT);</li>
 *   <li>TIES's sign is elected on the pruned, unweighted values (sum or count of signs; a tie is +),
 *       and the result is the sum of the weighted values that carry the elected sign, divided by
 *       how many do (at least 1).</li>
 * </ul>
 */
final class MergeRules {
    private MergeRules() {}

    /** A mask source for one input's tensor (random pruning); called only for the DARE rules. */
    @FunctionalInterface
    interface MaskFor { boolean[] mask(int input); }

    /**
     * Merges {@code tensors} (each of length n) with {@code weights}.
     *
     * @param masks random keep-masks per input (DARE rules only)
     */
    static double[] merge(Combination.Rule rule, List<double[]> tensors, double[] weights, double density,
                          Combination.MajoritySign sign, MaskFor masks) {
        int k = tensors.size();
        if (k == 0 || weights.length != k) throw new IllegalArgumentException(k + " tensors but " + weights.length + " weights");
        int n = tensors.get(0).length;
        double[][] t = new double[k][];
        for (int i = 0; i < k; i++) {
            double[] x = tensors.get(i);
            if (x.length != n) throw new IllegalArgumentException("tensor " + i + " has " + x.length + " values, tensor 0 has " + n);
            t[i] = switch (rule) {
                case SUM -> x;
                case TIES, MAGNITUDE_PRUNE -> magnitudePrune(x, density);
                case DARE_LINEAR, DARE_TIES -> density >= 1 ? x : randomPrune(x, density, masks.mask(i));
            };
        }
        double[] out = new double[n];
        if (!rule.electsSign()) {
            for (int i = 0; i < k; i++) { double w = weights[i]; double[] x = t[i]; for (int j = 0; j < n; j++) out[j] += w * x[j]; }
            return out;
        }
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < k; i++) s += sign == Combination.MajoritySign.TOTAL ? t[i][j] : Math.signum(t[i][j]);
            double majority = s >= 0 ? 1 : -1;
            double sum = 0;
            int count = 0;
            for (int i = 0; i < k; i++) {
                if (Math.signum(t[i][j]) == majority) { sum += weights[i] * t[i][j]; count++; }
            }
            out[j] = sum / Math.max(count, 1);
        }
        return out;
    }

    /** Keeps the {@code (int) (density * n)} largest magnitudes (all when density >= 1). */
    static double[] magnitudePrune(double[] x, double density) {
        if (density >= 1) return x;
        int n = x.length, keep = (int) (density * n);
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(Math.abs(x[b]), Math.abs(x[a]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        double[] out = new double[n];
        for (int i = 0; i < keep; i++) out[idx[i]] = x[idx[i]];
        return out;
    }

    /** x * mask / density. */
    static double[] randomPrune(double[] x, double density, boolean[] mask) {
        if (mask.length != x.length) throw new IllegalArgumentException("a mask of " + mask.length + " flags for a tensor of " + x.length + " values");
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = mask[i] ? x[i] / density : 0;
        return out;
    }
}
