package io.peft4j.eval;

import java.util.List;

/**
 * How a corpus is scored. The defaults follow the course lab: stemming on, the corpus score is the
 * exact mean of per-example scores, and an example with several references is scored against the
 * best reference per ROUGE type (highest F1, as rouge_score's {@code score_multi}). A seeded
 * bootstrap (1,000 resamples, 95% interval: 2.5 / 50 / 97.5 percentiles) comes with it.
 *
 * @param types      ROUGE types, in report order
 * @param stemming   Porter-stem tokens longer than 3 characters
 * @param resamples  bootstrap resamples (0 disables the interval)
 * @param confidence two-sided confidence level of the interval, in (0, 1)
 * @param seed       seed of the bootstrap's random index draws (same seed, same interval)
 */
public record RougeSettings(List<RougeType> types, boolean stemming, int resamples, double confidence, long seed) {

    public static final int DEFAULT_RESAMPLES = 1000;
    public static final double DEFAULT_CONFIDENCE = 0.95;
    public static final long DEFAULT_SEED = 42L;

    public RougeSettings {
        if (types == null || types.isEmpty())
            throw new IllegalArgumentException("types must name at least one rouge type, e.g. " + RougeType.STANDARD);
        types = List.copyOf(types);
        if (resamples < 0) throw new IllegalArgumentException("resamples must be >= 0, got " + resamples);
        if (!(confidence > 0 && confidence < 1))
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }

    /** The course lab's setting: rouge1/2/L/Lsum, stemming on, 1,000 resamples, 95%, seed 42. */
    public static RougeSettings defaults() {
        return new RougeSettings(RougeType.STANDARD, true, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, DEFAULT_SEED);
    }

    public RougeSettings withStemming(boolean on) { return new RougeSettings(types, on, resamples, confidence, seed); }

    public RougeSettings withSeed(long s) { return new RougeSettings(types, stemming, resamples, confidence, s); }

    public RougeSettings withResamples(int r) { return new RougeSettings(types, stemming, r, confidence, seed); }

    /** One line saying which setting was used, for reports. */
    public String describe() {
        return "ROUGE (rouge_score 0.1.2 semantics) " + types + ", stemming " + (stemming ? "on" : "off")
            + ", corpus score = exact mean of per-example scores"
            + ", multi-reference = best reference per type by F1"
            + (resamples > 0
                ? String.format(java.util.Locale.ROOT, ", bootstrap %d resamples, %.1f/50/%.1f percentiles, seed %d",
                    resamples, 50 * (1 - confidence), 100 - 50 * (1 - confidence), seed)
                : ", no bootstrap");
    }
}
