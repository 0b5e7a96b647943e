package io.peft4j.model;

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

    public Dropout(double p) { this.p = p; }

    /** Applies dropout to {@code x} IN PLACE (the caller passes a tensor it owns) and returns it. */
    public INDArray forwardInPlace(INDArray x, ForwardContext ctx) {
        active = ctx.training() && p > 0;
        if (!active) return x;
        INDArray m = mask.get(x.dataType(), x.shape());
        if (Fast.plain(x, m)) {                  // same mask as fill(), applied in the same pass
            FloatBuffer b = Fast.fb(m), xb = Fast.fb(x);
            SplittableRandom rnd = ctx.nextRandom();
            int n = (int) m.length(), threshold = (int) Math.round(p * 65536.0);
            float k = (float) (1.0 / (1.0 - p));
            for (int i = 0; i < n; ) {
                long bits = rnd.nextLong();
                for (int j = 0; j < 4 && i < n; j++, i++, bits >>>= 16) {
                    float v = (int) (bits & 0xFFFF) >= threshold ? k : 0f;
                    b.put(i, v);
                    xb.put(i, xb.get(i) * v);
                }
            }
            return x;
        }
        fill(m, ctx.nextRandom());
        return x.muli(m);
    }

    /** @return dy * mask in a buffer of this layer (dy untouched), or dy itself when inactive */
    public INDArray backward(INDArray dy) {
        if (!active) return dy;
        INDArray m = mask.get(dy.dataType(), dy.shape()), out = dx.get(dy.dataType(), dy.shape());
        if (Fast.plain(dy, m)) {
            FloatBuffer a = Fast.fb(dy), b = Fast.fb(m), o = Fast.fb(out);
            int n = (int) dy.length();
            for (int i = 0; i < n; i++) o.put(i, a.get(i) * b.get(i));
            return out;
        }
        return dx.get(dy.dataType(), dy.shape()).assign(dy).muli(mask.get(dy.dataType(), dy.shape()));
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
