package io.peft4j.eval;

/**
 * Precision, recall and F1 of one ROUGE type, as rouge_score's {@code Score} named tuple.
 * Precision is measured over the prediction, recall over the reference.
 */
public record Score(double precision, double recall, double fmeasure) {

    public static final Score ZERO = new Score(0.0, 0.0, 0.0);

    public Score {
        check("precision", precision);
        check("recall", recall);
        check("fmeasure", fmeasure);
    }

    private static void check(String name, double v) {
        // the tolerance only admits floating-point rounding of a ratio in [0, 1]
        if (!(v >= 0.0 && v <= 1.0 + 1e-12))
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + v);
    }

    /** rouge_score's {@code scoring.fmeasure}: {@code 2 * p * r / (p + r)}, evaluated left to right; 0 when p + r is 0. */
    public static double fmeasure(double precision, double recall) {
        if (precision + recall > 0) return 2 * precision * recall / (precision + recall);
        return 0.0;
    }

    /** A score from precision and recall, F1 computed as rouge_score does. */
    public static Score of(double precision, double recall) {
        return new Score(precision, recall, fmeasure(precision, recall));
    }
}
