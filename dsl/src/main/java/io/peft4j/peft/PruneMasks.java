package io.peft4j.peft;

import java.util.SplittableRandom;

/**
 * Where DARE's random keep-masks come from. PEFT draws them with {@code torch.bernoulli(density)}, one
 * per tensor; peft4j draws them from a seed ({@link #seeded}), so a combination is repeatable, and
 * accepts masks from outside ({@code of}-style lambdas) to reproduce PEFT's exact draw in tests.
 *
 * <p>Tensors are named by module, part and input: part {@code lora_A} or {@code lora_B} for the
 * factor-space types ({@code dare_linear}, {@code dare_ties}), {@code delta} for the delta-space ones
 * ({@code dare_linear_svd}, {@code dare_ties_svd}); {@code input} is the position of the adapter in
 * the combination's list.
 */
@FunctionalInterface
public interface PruneMasks {
    /** Part name of a mask over an input's delta W [out, in]. */
    String DELTA = "delta";

    /**
     * The keep-mask of one tensor, row-major, {@code true} where the value is kept.
     *
     * @param module Hugging Face module name
     * @param part   {@code lora_A}, {@code lora_B} or {@link #DELTA}
     * @param input  the adapter's position in the combination
     * @param rows   the tensor's rows
     * @param cols   the tensor's columns
     * @param keep   the probability of keeping a value (DARE's density)
     * @return {@code rows * cols} flags
     */
    boolean[] mask(String module, String part, int input, int rows, int cols, double keep);

    /**
     * Masks drawn from {@code seed}: each tensor from its own stream (seed, module, part and input
     * hashed), so a mask depends neither on the order tensors are visited nor on other modules.
     */
    static PruneMasks seeded(long seed) {
        return (module, part, input, rows, cols, keep) -> {
            long h = seed;
            h = h * 0x9E3779B97F4A7C15L + module.hashCode();
            h = h * 0x9E3779B97F4A7C15L + part.hashCode();
            h = h * 0x9E3779B97F4A7C15L + input;
            SplittableRandom r = new SplittableRandom(h);
            boolean[] m = new boolean[Math.multiplyExact(rows, cols)];
            for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() < keep;
            return m;
        };
    }
}
