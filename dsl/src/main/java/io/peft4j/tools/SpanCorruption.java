package io.peft4j.tools;

import io.peft4j.data.Example;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * T5's span-corruption pretraining objective: about {@code noiseDensity} of the tokens, in spans of
 * mean length {@code meanSpanLength}, are cut out of the input and replaced by one sentinel each
 * ({@code <extra_id_0>}, {@code <extra_id_1>}, ... with descending ids starting at
 * {@code firstSentinelId}); the target lists each sentinel followed by the tokens it hid, then
 * {@code </s>}. As in T5's {@code random_spans_noise_mask}, the number of noise tokens and of spans
 * is fixed by the length, and the span lengths are random partitions of those totals.
 *
 * @param noiseDensity   fraction of tokens masked, in (0, 1)
 * @param meanSpanLength mean length of a masked span, at least 1
 * @param firstSentinelId id of {@code <extra_id_0>}; {@code <extra_id_k>} is {@code firstSentinelId - k}
 * @param eosId          id of {@code </s>}
 */
public record SpanCorruption(double noiseDensity, double meanSpanLength, int firstSentinelId, int eosId) {

    public SpanCorruption {
        if (!(noiseDensity > 0 && noiseDensity < 1))
            throw new IllegalArgumentException("noiseDensity must be in (0, 1), got " + noiseDensity);
        if (!(meanSpanLength >= 1)) throw new IllegalArgumentException("meanSpanLength must be >= 1, got " + meanSpanLength);
        if (firstSentinelId < 1) throw new IllegalArgumentException("firstSentinelId must be positive, got " + firstSentinelId);
    }

    /** T5's defaults: 15% noise, mean span 3. */
    public static SpanCorruption t5(int firstSentinelId, int eosId) {
        return new SpanCorruption(0.15, 3.0, firstSentinelId, eosId);
    }

    /** An input/target pair, both ending with {@code </s>}. */
    public record Example(int[] input, int[] target) {}

    /**
     * Corrupts {@code tokens} (without a trailing {@code </s>}; one is appended to both sides).
     * Deterministic for a given random state.
     */
    public Example apply(int[] tokens, SplittableRandom rng) {
        int n = tokens.length;
        if (n < 2) return new Example(append(tokens, eosId), new int[]{eosId});
        int noise = (int) Math.round(n * noiseDensity);
        noise = Math.min(Math.max(noise, 1), n - 1);
        int spans = (int) Math.round(noise / meanSpanLength);
        spans = Math.max(spans, 1);
        spans = Math.min(spans, Math.min(noise, n - noise));
        int[] noiseLens = partition(noise, spans, rng);
        int[] keepLens = partition(n - noise, spans, rng);
        // interleave: keep, noise, keep, noise ... (T5 starts with a non-noise span)
        List<Integer> in = new ArrayList<>(n), out = new ArrayList<>(noise + spans + 1);
        int pos = 0;
        for (int s = 0; s < spans; s++) {
            for (int i = 0; i < keepLens[s]; i++) in.add(tokens[pos++]);
            int sentinel = firstSentinelId - s;
            in.add(sentinel);
            out.add(sentinel);
            for (int i = 0; i < noiseLens[s]; i++) out.add(tokens[pos++]);
        }
        while (pos < n) in.add(tokens[pos++]);
        in.add(eosId);
        out.add(eosId);
        return new Example(in.stream().mapToInt(Integer::intValue).toArray(), out.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Splits {@code total} into {@code parts} positive lengths, uniformly among compositions. */
    private static int[] partition(int total, int parts, SplittableRandom rng) {
        // choose parts-1 distinct cut points in 1..total-1
        int[] cuts = new int[parts - 1];
        int[] pool = new int[total - 1];
        for (int i = 0; i < pool.length; i++) pool[i] = i + 1;
        for (int i = 0; i < cuts.length; i++) {
            int j = i + rng.nextInt(pool.length - i);
            int t = pool[i]; pool[i] = pool[j]; pool[j] = t;
            cuts[i] = pool[i];
        }
        Arrays.sort(cuts);
        int[] lens = new int[parts];
        int prev = 0;
        for (int i = 0; i < cuts.length; i++) { lens[i] = cuts[i] - prev; prev = cuts[i]; }
        lens[parts - 1] = total - prev;
        return lens;
    }

    private static int[] append(int[] a, int v) {
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }
}
