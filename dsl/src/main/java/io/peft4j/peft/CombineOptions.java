package io.peft4j.peft;

import java.util.List;
import java.util.Objects;

/**
 * The settings of one adapter combination, mirroring the arguments of PEFT's
 * {@code add_weighted_adapter}. Immutable and validated on construction.
 *
 * @param type         the combination ({@code combination_type})
 * @param weights      one weight per input adapter, any finite sign ({@code weights})
 * @param density      fraction of values kept by the pruning types, in [0, 1] (DARE: in (0, 1],
 *                     it rescales by 1/density); null for the types that do not prune
 * @param majoritySign TIES's sign election ({@code majority_sign_method})
 * @param svdRank      rank of an {@code *_svd} result ({@code svd_rank}); null: the largest input rank
 * @param svdClamp     quantile at which an {@code *_svd} result's factors are clamped
 *                     ({@code svd_clamp}, in [0, 1]); null: no clamping
 * @param masks        DARE's keep-masks (seeded by default)
 */
public record CombineOptions(Combination type, List<Double> weights, Double density, Combination.MajoritySign majoritySign,
                             Integer svdRank, Double svdClamp, PruneMasks masks) {

    /** The seed of DARE's masks when none is given. */
    public static final long DEFAULT_SEED = 42;

    public CombineOptions {
        Objects.requireNonNull(type, "type (combination_type) must be given, e.g. Combination.CAT");
        Objects.requireNonNull(weights, "weights must be given: one per input adapter");
        if (weights.isEmpty()) throw new IllegalArgumentException("weights are empty: give one weight per input adapter");
        for (int i = 0; i < weights.size(); i++) {
            Double w = weights.get(i);
            if (w == null || !Double.isFinite(w))
                throw new IllegalArgumentException("weights[" + i + "] = " + w + " is invalid: weights must be finite numbers (negative subtracts)");
        }
        weights = List.copyOf(weights);
        if (density != null) {
            if (!(density >= 0 && density <= 1))
                throw new IllegalArgumentException("density = " + density + " is invalid: it is the fraction of values kept, in [0, 1]");
            if (density == 0 && type.rule().random())
                throw new IllegalArgumentException("density = 0 is invalid for " + type + ": DARE rescales the kept values by 1/density; allowed (0, 1]");
        }
        if (majoritySign == null) majoritySign = Combination.MajoritySign.TOTAL;
        if (svdRank != null && svdRank < 1)
            throw new IllegalArgumentException("svd_rank = " + svdRank + " is invalid: allowed >= 1 (or null for the largest input rank)");
        if (svdClamp != null && !(svdClamp >= 0 && svdClamp <= 1))
            throw new IllegalArgumentException("svd_clamp = " + svdClamp + " is invalid: it is a quantile, in [0, 1]");
        if (masks == null) masks = PruneMasks.seeded(DEFAULT_SEED);
    }

    /** {@code type} with these weights and PEFT's defaults otherwise (no density, total sign, seeded masks). */
    public static CombineOptions of(Combination type, double... weights) {
        return new CombineOptions(type, java.util.Arrays.stream(weights).boxed().toList(), null, null, null, null, null);
    }

    public CombineOptions withDensity(double d) { return new CombineOptions(type, weights, d, majoritySign, svdRank, svdClamp, masks); }
    public CombineOptions withMajoritySign(Combination.MajoritySign m) { return new CombineOptions(type, weights, density, m, svdRank, svdClamp, masks); }
    public CombineOptions withSvdRank(int r) { return new CombineOptions(type, weights, density, majoritySign, r, svdClamp, masks); }
    public CombineOptions withSvdClamp(double q) { return new CombineOptions(type, weights, density, majoritySign, svdRank, q, masks); }
    public CombineOptions withMasks(PruneMasks m) { return new CombineOptions(type, weights, density, majoritySign, svdRank, svdClamp, m); }
    /** DARE's masks drawn from this seed. */
    public CombineOptions withSeed(long seed) { return withMasks(PruneMasks.seeded(seed)); }
    public CombineOptions withType(Combination t) { return new CombineOptions(t, weights, density, majoritySign, svdRank, svdClamp, masks); }

    /** One line for provenance and tables, e.g. {@code ties(density 0.2, total) of 0.5 x summarize + 0.5 x topic}. */
    public String describe(List<String> adapters) {
        StringBuilder b = new StringBuilder(type.peftName());
        StringBuilder opt = new StringBuilder();
        if (density != null) opt.append("density ").append(density);
        if (type.rule().electsSign()) opt.append(opt.length() == 0 ? "" : ", ").append(majoritySign.peftName());
        if (type.svd() && svdRank != null) opt.append(opt.length() == 0 ? "" : ", ").append("rank ").append(svdRank);
        if (type.svd() && svdClamp != null) opt.append(opt.length() == 0 ? "" : ", ").append("clamp ").append(svdClamp);
        if (opt.length() > 0) b.append('(').append(opt).append(')');
        b.append(" of ");
        for (int i = 0; i < weights.size(); i++)
            b.append(i == 0 ? "" : " + ").append(weights.get(i)).append(" x ").append(i < adapters.size() ? adapters.get(i) : "?");
        return b.toString();
    }
}
