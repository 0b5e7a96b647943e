package io.peft4j.data;

/**
 * How a {@link Batcher} cuts a dataset into padded batches.
 *
 * @param batchSize       examples per batch (the last batch may be smaller), >= 1
 * @param maxSourceLength source tokens kept per example, including the closing {@code </s>}, >= 2
 * @param maxTargetLength target tokens kept per example, including the closing {@code </s>}, >= 2
 * @param shuffle         shuffle examples and batch order (training) or keep dataset order (evaluation)
 * @param bucketChunk     length bucketing: 0 = off; otherwise the (shuffled) examples are cut into
 *                        chunks of this many examples, each chunk is sorted by source length and
 *                        cut into batches, and the batches are shuffled. Must be 0 or >= batchSize.
 * @param seed            seed of every random choice
 */
public record BatchConfig(int batchSize, int maxSourceLength, int maxTargetLength, boolean shuffle,
                          int bucketChunk, long seed) {
    public BatchConfig {
        if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (maxSourceLength < 2) throw new IllegalArgumentException("maxSourceLength must be >= 2 (a token and </s>), got " + maxSourceLength);
        if (maxTargetLength < 2) throw new IllegalArgumentException("maxTargetLength must be >= 2 (a token and </s>), got " + maxTargetLength);
        if (bucketChunk != 0 && bucketChunk < batchSize)
            throw new IllegalArgumentException("bucketChunk must be 0 (off) or >= batchSize " + batchSize + ", got " + bucketChunk);
    }

    /** Training defaults: shuffled, buckets of 50 batches, seed 42 (source 512, target 128 tokens). */
    public static BatchConfig training(int batchSize) {
        return new BatchConfig(batchSize, 512, 128, true, 50 * batchSize, 42);
    }

    /** Evaluation defaults: dataset order, no bucketing. */
    public static BatchConfig evaluation(int batchSize) {
        return new BatchConfig(batchSize, 512, 128, false, 0, 0);
    }

    public BatchConfig withMaxLengths(int source, int target) {
        return new BatchConfig(batchSize, source, target, shuffle, bucketChunk, seed);
    }

    public BatchConfig withSeed(long newSeed) {
        return new BatchConfig(batchSize, maxSourceLength, maxTargetLength, shuffle, bucketChunk, newSeed);
    }
}
