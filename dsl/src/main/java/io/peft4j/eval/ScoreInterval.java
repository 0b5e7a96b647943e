package io.peft4j.eval;

/** Bootstrap percentiles of the corpus mean: low (e.g. 2.5th), mid (50th), high (e.g. 97.5th), per measure. */
public record ScoreInterval(Score low, Score mid, Score high) {
    public ScoreInterval {
        if (low == null || mid == null || high == null)
            throw new IllegalArgumentException("low, mid and high must all be given");
    }
}
