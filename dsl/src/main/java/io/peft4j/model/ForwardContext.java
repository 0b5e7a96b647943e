package io.peft4j.model;

import java.util.SplittableRandom;

/**
 * Per-pass settings: training mode (dropout on, activations kept for backward) or inference, and a
 * deterministic source of dropout masks. Masks depend only on (seed, step, call index), so a resumed
 * run draws exactly the masks an uninterrupted run would have drawn.
 */
public final class ForwardContext {
    private final boolean training;
    private final long seed;
    private final long step;
    private int calls;

    private ForwardContext(boolean training, long seed, long step) {
        this.training = training; this.seed = seed; this.step = step;
    }

    public static ForwardContext inference() { return new ForwardContext(false, 0, 0); }

    public static ForwardContext training(long seed, long step) { return new ForwardContext(true, seed, step); }

    public boolean training() { return training; }
    public long seed() { return seed; }
    public long step() { return step; }

    /** A fresh random stream for the next dropout site of this pass. */
    public SplittableRandom nextRandom() { return new SplittableRandom(nextSeed()); }

    /**
     * The seed of the next dropout site's stream: {@code new SplittableRandom(nextSeed())} is the
     * stream {@link #nextRandom()} would return; {@link Dropout} reads it with random access.
     */
    public long nextSeed() {
        return seed * 0x9E3779B97F4A7C15L ^ (step + 1) * 0xC2B2AE3D27D4EB4FL ^ (++calls) * 0x165667B19E3779F9L;
    }
}
