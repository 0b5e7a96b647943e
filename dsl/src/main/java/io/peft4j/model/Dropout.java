package io.peft4j.model;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Inverted dropout as in PyTorch: in training mode each element is zeroed with probability p and
 * the survivors scaled by 1/(1-p); inactive in inference mode. The mask comes from
 * {@link ForwardContext#nextRandom()}, so it depends only on (seed, step, call order).
 */
public final class Dropout {
    private final double p;
    private final Buf mask = new Buf(), dx = new Buf();
    private boolean active;
    private boolean seeded;            // float32 path: the mask is recomputed from lastSeed
    private long lastSeed;
    private int lastLength;

    public Dropout(double p) { this.p = p; }

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
        fill(m, ctx.nextRandom());
        if (out != x) out.assign(x);
        return out.muli(m);
    }

    /** o[i] = x[i] * keep(i) for the stream of {@code seed}: four 16-bit draws per 64-bit draw. */
    private void apply(FloatBuffer xb, FloatBuffer ob, long seed, int n) {
        int threshold = (int) Math.round(p * 65536.0);
        float k = (float) (1.0 / (1.0 - p));
        int words = (n + 3) / 4;
        Par.forRange(words, 1 << 12, (wFrom, wTo) -> {
            for (int w = wFrom; w < wTo; w++) {
                long bits = splitMix(seed, w);
                for (int i = 4 * w, end = Math.min(n, i + 4); i < end; i++, bits >>>= 16) {
                    float v = k * (1 - (((int) (bits & 0xFFFF) - threshold) >>> 31));   // branch-free keep test
                    ob.put(i, xb.get(i) * v);
                }
            }
        });
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

    /**
     * The {@code index}-th (0-based) {@code nextLong()} of {@code new SplittableRandom(seed)}, computed
     * directly (SplitMix64: the state advances by the golden gamma, each output is mixed).
     */
    public static long splitMix(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void fill(INDArray m, SplittableRandom rnd) {
        long n = m.length();
        int threshold = (int) Math.round(p * 65536.0);    // keep when a 16-bit draw >= p * 2^16
        double keep = 1.0 / (1.0 - p);
        if (m.dataType() == DataType.FLOAT) {
            FloatBuffer b = m.data().asNioFloat();
            float k = (float) keep;
            for (int i = 0; i < n; ) {
                long bits = rnd.nextLong();
                for (int j = 0; j < 4 && i < n; j++, i++, bits >>>= 16)
                    b.put(i, (int) (bits & 0xFFFF) >= threshold ? k : 0f);
            }
        } else if (m.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = m.data().asNioDouble();
            for (int i = 0; i < n; ) {
                long bits = rnd.nextLong();
                for (int j = 0; j < 4 && i < n; j++, i++, bits >>>= 16)
                    b.put(i, (int) (bits & 0xFFFF) >= threshold ? keep : 0.0);
            }
        } else throw new IllegalArgumentException("dropout: unsupported type " + m.dataType());
    }
}
