package io.peft4j.model;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Inverted dropout as in PyTorch: in training mode each element is zeroed with probability p and
 * the survivors scaled by 1/(1-p); inactive in inference mode. The mask comes from
 * {@link ForwardContext#nextSeed()} through SplitMix64 addressed by position ({@link #draw}), so it depends
 * only on (seed, step, call order), not on how the work is split among threads.
 */
public final class Dropout {
    private final double p;
    private final Buf mask = new Buf(), dx = new Buf();
    private boolean active;
    private boolean seeded;            // float32 path: the mask is recomputed from lastSeed
    private long lastSeed;
    private int lastLength;

    public Dropout(double p) { this.p = p; }

    /** The backward output uses {@code other}'s storage (the same dropout role in another block; see {@link Buf#shareStorageOf}). */
    public void shareBackwardBuffers(Dropout other) { dx.shareStorageOf(other.dx); }

    /** Applies dropout to {@code x} IN PLACE (the caller passes a tensor it owns) and returns it. */
    public INDArray forwardInPlace(INDArray x, ForwardContext ctx) { return forwardInto(x, x, ctx); }

    /**
     * {@code out = dropout(x)} ({@code out} may be {@code x}); returns {@code out}. On float32 storage
     * no mask is kept: the backward pass recomputes it from the stream's seed (random access), which
     * saves one float per element of memory and a pass over it.
     */
    public INDArray forwardInto(INDArray x, INDArray out, ForwardContext ctx) {
        active = ctx.training() && p > 0;
        seeded = false;
        if (!active) { if (out != x) out.assign(x); return out; }
        if (Fast.plain(x, out)) {                // the mask fill() would draw, applied in the same pass, in parallel
            FloatBuffer xb = Fast.fb(x), ob = Fast.fb(out);
            long seed = ctx.nextSeed();
            int n = (int) x.length();
            apply(xb, ob, seed, n);
            seeded = true;
            lastSeed = seed;
            lastLength = n;
            return out;
        }
        INDArray m = mask.get(x.dataType(), x.shape());
        fill(m, ctx.nextSeed());
        if (out != x) out.assign(x);
        return out.muli(m);
    }

    /** Elements per bulk copy between a direct buffer and a Java array in {@link #apply}. */
    private static final int CHUNK = 2048;

    /**
     * The 16-bit draw of element {@code i} of the stream {@code seed}: the {@code i / 4}-th output of
     * SplitMix64 (as {@code new SplittableRandom(seed)} would give it), its 16-bit lanes low first.
     * Any element's draw is computed directly, so any thread can draw any range; the loops below
     * mix one 64-bit word per four elements.
     */
    static int draw(long seed, int i) {
        return (int) ((splitMix(seed, i >>> 2) >>> ((i & 3) << 4)) & 0xFFFF);
    }

    /** The {@code index}-th (0-based) {@code nextLong()} of {@code new SplittableRandom(seed)}, computed directly. */
    static long splitMix(long seed, long index) { return mix(seed + (index + 1) * GOLDEN); }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Elements whose 16-bit draw is below this are dropped: p * 2^16, rounded. */
    private int threshold() { return (int) Math.round(p * 65536.0); }

    /** o[i] = x[i] * keep(i) for the stream of {@code seed}. */
    private void apply(FloatBuffer xb, FloatBuffer ob, long seed, int n) { masked(xb, ob, false, seed, n); }

    /**
     * {@code dst[i] = src[i] * keep(i)}, or {@code dst[i] += src[i] * keep(i)} when {@code accumulate},
     * for the stream of {@code seed}: in parallel, chunk by chunk through Java arrays, one SplitMix64
     * word per four elements.
     */
    private void masked(FloatBuffer src, FloatBuffer dst, boolean accumulate, long seed, int n) {
        int threshold = threshold();
        float k = (float) (1.0 / (1.0 - p));
        Par.forRange(n, 1 << 14, (from, to) -> maskedRange(src, dst, accumulate, seed, threshold, k, from, to));
    }

    /** {@link #masked} over elements [from, to) on the calling thread. */
    private static void maskedRange(FloatBuffer src, FloatBuffer dst, boolean accumulate, long seed, int threshold, float k, int from, int to) {
        int cap = Math.min(CHUNK, to - from);
        float[] g = new float[cap], a = accumulate ? new float[cap] : null;
        long[] words = new long[cap / 4 + 2];
        int[] draws = new int[4 * words.length];
        for (int s = from; s < to; s += CHUNK) {
            int len = Math.min(CHUNK, to - s);
            src.get(s, g, 0, len);
            long w0 = s >>> 2;
            int nw = (int) (((long) s + len + 3) >>> 2) - (int) w0;
            // the SplitMix64 words of this chunk (one per four elements), then their 16-bit lanes
            // low first, then the masked copy: three simple loops the JIT vectorises (the single
            // loop with a word per fourth element ran 1.6x slower; docs/BENCHMARKS.md)
            long z0 = seed + (w0 + 1) * GOLDEN;
            for (int q = 0; q < nw; q++) words[q] = mix(z0 + q * GOLDEN);
            for (int q = 0; q < nw; q++) {
                long v = words[q];
                int o = 4 * q;
                draws[o] = (int) v & 0xFFFF;
                draws[o + 1] = (int) (v >>> 16) & 0xFFFF;
                draws[o + 2] = (int) (v >>> 32) & 0xFFFF;
                draws[o + 3] = (int) (v >>> 48) & 0xFFFF;
            }
            int off = s & 3;
            if (accumulate) {
                dst.get(s, a, 0, len);
                for (int j = 0; j < len; j++) a[j] += g[j] * (k * (float) ((threshold - 1 - draws[j + off]) >>> 31));
                dst.put(s, a, 0, len);
            } else {
                // keep = 1 when draw >= threshold: the sign bit of (threshold - 1 - draw), branch-free
                for (int j = 0; j < len; j++) g[j] = g[j] * (k * (float) ((threshold - 1 - draws[j + off]) >>> 31));
                dst.put(s, g, 0, len);
            }
        }
    }

    /**
     * Starts a dropout that the caller applies itself, range by range, inside its own parallel loop
     * ({@link #forwardRange}; the backward with {@link #backwardRange}): fused with the pass that
     * produced the input, while it is still in cache. Draws this call's seed exactly as
     * {@link #forwardInto} would (the masks are the same). Float32 only.
     *
     * @param n elements of the tensor the ranges index
     * @return true when dropout is active (training and p > 0): the caller must then cover [0, n)
     *         with {@link #forwardRange}; false: the output is the input, backward is the identity
     */
    public boolean beginFused(ForwardContext ctx, int n) {
        active = ctx.training() && p > 0;
        seeded = active;
        if (active) { lastSeed = ctx.nextSeed(); lastLength = n; }
        return active;
    }

    /** True when the last forward dropped elements (backward is then not the identity). */
    public boolean active() { return active; }

    /** dst[i] = src[i] * keep(i) for i in [from, to) of the dropout started by {@link #beginFused}; dst may be src. */
    public void forwardRange(FloatBuffer src, FloatBuffer dst, int from, int to) {
        checkRange(from, to);
        maskedRange(src, dst, false, lastSeed, threshold(), (float) (1.0 / (1.0 - p)), from, to);
    }

    /** dx[i] = dy[i] * keep(i) for i in [from, to), the last forward's mask; dx may be dy. */
    public void backwardRange(FloatBuffer dy, FloatBuffer dx, int from, int to) { forwardRange(dy, dx, from, to); }

    private void checkRange(int from, int to) {
        if (!active || !seeded) throw new IllegalStateException("dropout: no fused float32 forward in progress (beginFused first)");
        if (from < 0 || to > lastLength || from > to)
            throw new IllegalArgumentException("dropout: range [" + from + ", " + to + ") outside [0, " + lastLength + ")");
    }

    /**
     * {@code acc += dy * mask} in one pass (no buffer for the masked gradient): the input gradient
     * of a branch that read the dropped input (a LoRA adapter's), added to the layer's. Returns acc.
     */
    public INDArray backwardAddInto(INDArray dy, INDArray acc) {
        if (!active) {
            if (Fast.plain(dy, acc)) Fast.addInPlace(acc, dy); else acc.addi(dy);
            return acc;
        }
        if (seeded && dy.length() == lastLength && Fast.plain(dy, acc) && acc.length() == lastLength) {
            masked(Fast.fb(dy), Fast.fb(acc), true, lastSeed, lastLength);
            return acc;
        }
        INDArray masked = backward(dy);
        if (Fast.plain(acc, masked)) Fast.addInPlace(acc, masked); else acc.addi(masked);
        return acc;
    }

    /** @return dy * mask in a buffer of this layer (dy untouched), or dy itself when inactive */
    public INDArray backward(INDArray dy) {
        if (!active) return dy;
        INDArray out = dx.get(dy.dataType(), dy.shape());
        if (seeded) {
            if (dy.length() != lastLength || !Fast.plain(dy, out))
                throw new IllegalArgumentException("dropout backward: gradient of " + dy.length() + " elements for a forward of " + lastLength);
            apply(Fast.fb(dy), Fast.fb(out), lastSeed, lastLength);
            return out;
        }
        return out.assign(dy).muli(mask.get(dy.dataType(), dy.shape()));
    }

    /** The mask {@link #apply} multiplies by, written out (c order): 0 or 1/(1-p) per element. */
    private void fill(INDArray m, long seed) {
        long n = m.length();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("dropout: " + n + " elements; at most " + Integer.MAX_VALUE + " per call");
        int threshold = threshold();
        double keep = 1.0 / (1.0 - p);
        if (m.dataType() == DataType.FLOAT) {
            FloatBuffer b = m.data().asNioFloat();
            float k = (float) keep;
            for (int i = 0; i < n; i++) b.put(i, draw(seed, i) >= threshold ? k : 0f);
        } else if (m.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = m.data().asNioDouble();
            for (int i = 0; i < n; i++) b.put(i, draw(seed, i) >= threshold ? keep : 0.0);
        } else throw new IllegalArgumentException("dropout: unsupported type " + m.dataType() + "; allowed FLOAT, DOUBLE");
    }
}
