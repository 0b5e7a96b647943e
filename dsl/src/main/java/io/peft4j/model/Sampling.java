package io.peft4j.model;

/**
 * Multinomial sampling settings, applied after the logits processors in transformers' order:
 * temperature, then top-k, then top-p (nucleus). {@code topK = 0} and {@code topP = 1} switch those
 * filters off. The seed makes a run repeatable (peft4j's own random stream: the same seed gives the
 * same tokens in peft4j, not the tokens torch would draw).
 */
public record Sampling(double temperature, int topK, double topP, long seed) {
    public Sampling {
        if (!(temperature > 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("temperature = " + temperature + " is invalid: allowed > 0 (finite); for greedy decoding do not sample");
        if (topK < 0) throw new IllegalArgumentException("top_k = " + topK + " is invalid: allowed >= 0 (0 = off)");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p = " + topP + " is invalid: allowed in (0, 1] (1 = off)");
    }

    /** Sampling at {@code temperature} with top-k and top-p off, seed 0. */
    public static Sampling of(double temperature) { return new Sampling(temperature, 0, 1.0, 0); }

    public Sampling topK(int k) { return new Sampling(temperature, k, topP, seed); }
    public Sampling topP(double p) { return new Sampling(temperature, topK, p, seed); }
    public Sampling seed(long s) { return new Sampling(temperature, topK, topP, s); }
}
