package io.peft4j.model.llama;

import io.peft4j.model.causal.Vals;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rotary position embeddings in transformers' half-split layout ({@code rotate_half}): in every
 * head, element {@code i < hd/2} and element {@code i + hd/2} are rotated together by the angle
 * {@code position * invFreq[i]},
 * <pre>
 *   y[i]        = x[i] cos - x[i + hd/2] sin
 *   y[i + hd/2] = x[i + hd/2] cos + x[i] sin
 * </pre>
 * with the inverse frequencies of {@link RopeConfig} (default, {@code linear}, {@code llama3}). The
 * angles and their cosines/sines are computed in float32 as transformers computes them (inverse
 * frequency times position, both float32) and cached per position. The backward is the transposed
 * rotation (by minus the angle).
 */
public final class RotaryEmbedding {
    private final int headDim, half;
    private final double[] inv;                  // [hd/2], float32 values
    private double[] cos = new double[0], sin = new double[0];   // [positions * hd/2]
    private int cached;

    public RotaryEmbedding(RopeConfig rope, int headDim) {
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("rotary head_dim must be even and >= 2, got " + headDim);
        this.headDim = headDim;
        this.half = headDim / 2;
        this.inv = rope.inverseFrequencies(headDim);
    }

    /** The inverse frequencies [hd/2] (a copy). */
    public double[] inverseFrequencies() { return inv.clone(); }

    private synchronized void ensure(int maxPos) {
        if (maxPos < cached) return;
        int n = Math.max(maxPos + 1, Math.max(64, cached * 2));
        double[] c = new double[n * half], s = new double[n * half];
        for (int p = 0; p < n; p++)
            for (int i = 0; i < half; i++) {
                float angle = (float) inv[i] * (float) p;
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        cos = c; sin = s; cached = n;
    }

    private void check(INDArray a, int heads, int[] pos) {
        if (a.rank() != 2 || a.size(1) != (long) heads * headDim || a.size(0) != pos.length)
            throw new IllegalArgumentException("rotary input must be [" + pos.length + ", " + heads * headDim + "], got "
                + java.util.Arrays.toString(a.shape()));
    }

    /** {@code dst = rotate(src)}: row r of {@code src [N, heads*hd]} at position {@code pos[r]} ({@code dst} may be {@code src}). */
    public void forward(INDArray src, INDArray dst, int heads, int[] pos) { rotate(src, dst, heads, pos, 1.0); }

    /** Backward: {@code dSrc = rotate^T(dDst)} (rotation by minus the angle; {@code dSrc} may be {@code dDst}). */
    public void backward(INDArray dDst, INDArray dSrc, int heads, int[] pos) { rotate(dDst, dSrc, heads, pos, -1.0); }

    private void rotate(INDArray src, INDArray dst, int heads, int[] pos, double sign) {
        check(src, heads, pos);
        check(dst, heads, pos);
        int max = 0;
        for (int p : pos) {
            if (p < 0) throw new IllegalArgumentException("position ids must be >= 0, got " + p);
            max = Math.max(max, p);
        }
        ensure(max);
        Vals x = Vals.of(src), y = Vals.of(dst);
        double[] c = cos, s = sin;
        int width = heads * headDim, hd = headDim, h2 = half;
        Par.forRange(pos.length, Math.max(1, (1 << 14) / Math.max(1, width)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int cb = pos[r] * h2;
                for (int h = 0; h < heads; h++) {
                    int o = r * width + h * hd;
                    for (int i = 0; i < h2; i++) {
                        double a = x.get(o + i), b = x.get(o + i + h2), co = c[cb + i], si = sign * s[cb + i];
                        y.put(o + i, a * co - b * si);
                        y.put(o + i + h2, b * co + a * si);
                    }
                }
            }
        });
    }
}
