package io.peft4j.report;

/**
 * Corpus-level ROUGE F-measures as fractions in [0, 1] (what rouge_score / {@code evaluate} return),
 * filled by the evaluation package. Reports multiply by 100 for display.
 */
public record RougeScores(double rouge1, double rouge2, double rougeL, double rougeLsum) {
    public RougeScores {
        check("rouge1", rouge1); check("rouge2", rouge2); check("rougeL", rougeL); check("rougeLsum", rougeLsum);
    }
    private static void check(String name, double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(name + " must be a fraction in [0, 1], got " + v);
    }
    /** The four scores in the order rouge1, rouge2, rougeL, rougeLsum. */
    public double[] toArray() { return new double[]{rouge1, rouge2, rougeL, rougeLsum}; }
}
