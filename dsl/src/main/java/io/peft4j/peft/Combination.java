package io.peft4j.peft;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The ways PEFT's {@code add_weighted_adapter} combines LoRA adapters into a new one, by their PEFT
 * names ({@link #peftName()}). Two families:
 * <ul>
 *   <li><b>factor space</b> ({@link #LINEAR}, {@link #TIES}, {@link #DARE_LINEAR}, {@link #DARE_TIES},
 *       {@link #MAGNITUDE_PRUNE}): A and B are merged separately, each input weighted by
 *       {@code sqrt(|w s|)} (the sign of {@code w s} on A only), so the new rank is the inputs' (which
 *       must be equal). With two or more inputs the product B A gains cross terms {@code B_i A_j}:
 *       the result is PEFT's rule, not the weighted sum of the inputs' delta W;</li>
 *   <li><b>delta space</b> ({@link #CAT} and the {@code *_svd} types): {@code CAT} stacks the scaled
 *       factors, so its delta W is exactly {@code sum_i w_i dW_i} (rank = sum of ranks); the
 *       {@code *_svd} types merge the inputs' delta W with the rule named ({@link #SVD}: the weighted
 *       sum) and keep the best rank-k approximation (truncated SVD).</li>
 * </ul>
 * A combination of one adapter is {@link #LINEAR} whatever type was asked for (as in PEFT), which
 * gives back {@code w dW} exactly.
 */
public enum Combination {
    LINEAR("linear", false, Rule.SUM),
    CAT("cat", false, Rule.SUM),
    SVD("svd", true, Rule.SUM),
    TIES("ties", false, Rule.TIES),
    TIES_SVD("ties_svd", true, Rule.TIES),
    DARE_LINEAR("dare_linear", false, Rule.DARE_LINEAR),
    DARE_TIES("dare_ties", false, Rule.DARE_TIES),
    DARE_LINEAR_SVD("dare_linear_svd", true, Rule.DARE_LINEAR),
    DARE_TIES_SVD("dare_ties_svd", true, Rule.DARE_TIES),
    MAGNITUDE_PRUNE("magnitude_prune", false, Rule.MAGNITUDE_PRUNE),
    MAGNITUDE_PRUNE_SVD("magnitude_prune_svd", true, Rule.MAGNITUDE_PRUNE);

    /** How the inputs' tensors are merged (PEFT's {@code merge_utils} functions). */
    public enum Rule {
        /** {@code task_arithmetic}: the weighted sum. */
        SUM(false, false, false),
        /** {@code ties}: keep the top-{@code density} magnitudes of each input, elect a sign, average the agreeing weighted values. */
        TIES(true, false, true),
        /** {@code dare_linear}: drop values at random (keep probability {@code density}, rescaled by 1/density), weighted sum. */
        DARE_LINEAR(true, true, false),
        /** {@code dare_ties}: DARE's random drop, then TIES's sign election and disjoint mean. */
        DARE_TIES(true, true, true),
        /** {@code magnitude_prune}: keep the top-{@code density} magnitudes of each input, weighted sum. */
        MAGNITUDE_PRUNE(true, false, false);

        private final boolean density, random, sign;

        Rule(boolean density, boolean random, boolean sign) { this.density = density; this.random = random; this.sign = sign; }

        public boolean needsDensity() { return density; }
        /** Draws random masks (seeded, or injected for comparisons). */
        public boolean random() { return random; }
        /** Elects a majority sign ({@link MajoritySign}). */
        public boolean electsSign() { return sign; }
    }

    /** How TIES elects the sign of each entry ({@code majority_sign_method}). */
    public enum MajoritySign {
        /** The sign of the sum of the (pruned, unweighted) values. */
        TOTAL("total"),
        /** The sign held by more inputs (ties count as positive). */
        FREQUENCY("frequency");

        private final String peftName;

        MajoritySign(String peftName) { this.peftName = peftName; }

        public String peftName() { return peftName; }

        public static MajoritySign fromPeft(String name) {
            for (MajoritySign m : values()) if (m.peftName.equals(name)) return m;
            throw new IllegalArgumentException("majority_sign_method '" + name + "' is invalid: allowed total, frequency");
        }
    }

    private final String peftName;
    private final boolean svd;
    private final Rule rule;

    Combination(String peftName, boolean svd, Rule rule) { this.peftName = peftName; this.svd = svd; this.rule = rule; }

    /** PEFT's {@code combination_type} string. */
    public String peftName() { return peftName; }

    /** Merges the inputs' delta W and truncates it by SVD. */
    public boolean svd() { return svd; }

    /** Merges A and B separately (the factor-space types). */
    public boolean factorSpace() { return !svd && this != CAT; }

    public Rule rule() { return rule; }

    /** The type for a PEFT {@code combination_type} string. */
    public static Combination fromPeft(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (Combination c : values()) if (c.peftName.equals(n)) return c;
        List<String> valid = new ArrayList<>();
        for (Combination c : values()) valid.add(c.peftName);
        throw new IllegalArgumentException("combination_type '" + name + "' is invalid: allowed " + valid);
    }

    @Override public String toString() { return peftName; }
}
