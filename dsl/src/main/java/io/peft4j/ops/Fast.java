package io.peft4j.ops;

import io.peft4j.model.Dropout;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Fused float32 element-wise kernels written as plain Java loops over the native storage of plain
 * ND4J arrays (c-ordered, offset 0, owning their whole buffer): one pass instead of several ND4J ops,
 * each of which costs tens to hundreds of microseconds of dispatch. Layers use these when every array
 * involved is {@link #plain}; otherwise (float64 gradient checks, views) they keep their ND4J code.
 */
public final class Fast {
    private Fast() {}

    /** Smallest number of elements worth handing to another thread. */
    public static final int GRAIN = 1 << 15;

    /** True when every array is float32, c-ordered, at offset 0 and spans its whole buffer. */
    public static boolean plain(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.offset() != 0
                || a.data().offset() != 0 || a.data().length() != a.length() || a.length() > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    /**
     * True when every array is float32 and stored densely in c order from the start of its buffer (the
     * buffer may be longer than the array: grow-only storage). {@link #fb} then indexes it directly.
     */
    public static boolean dense(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.offset() != 0 || a.data().offset() != 0
                || a.length() > Integer.MAX_VALUE || a.data().length() < a.length()) return false;
            long expect = 1;
            for (int d = a.rank() - 1; d >= 0; d--) {
                if (a.size(d) != 1 && a.stride(d) != expect) return false;
                expect *= a.size(d);
            }
        }
        return true;
    }

    public static FloatBuffer fb(INDArray a) { return a.data().asNioFloat(); }

    /** out = a + b (out may alias a or b). */
    public static void add(INDArray a, INDArray b, INDArray out) {
        FloatBuffer x = fb(a), y = fb(b), o = fb(out);
        Par.forRange((int) a.length(), GRAIN, (from, to) -> { for (int i = from; i < to; i++) o.put(i, x.get(i) + y.get(i)); });
    }

    /**
     * Inverted dropout of {@code x} into {@code out} with the mask kept in {@code mask}: element i is
     * dropped when the i-th {@code nextDouble()} of {@code new SplittableRandom(seed)} is below p,
     * otherwise scaled by 1/(1-p). Parallel, and the same mask as drawing that stream in order.
     */
    public static void dropoutInto(INDArray x, double p, long seed, INDArray mask, INDArray out) {
        FloatBuffer xb = fb(x), mb = fb(mask), ob = fb(out);
        float keep = (float) (1.0 / (1.0 - p));
        Par.forRange((int) x.length(), GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                float m = (Dropout.splitMix(seed, i) >>> 11) * 0x1.0p-53 < p ? 0f : keep;
                mb.put(i, m);
                ob.put(i, xb.get(i) * m);
            }
        });
    }

    /** acc += a * m (element-wise). */
    public static void addProduct(INDArray acc, INDArray a, INDArray m) {
        FloatBuffer o = fb(acc), x = fb(a), y = fb(m);
        Par.forRange((int) acc.length(), GRAIN, (from, to) -> { for (int i = from; i < to; i++) o.put(i, o.get(i) + x.get(i) * y.get(i)); });
    }

    /** a += b. */
    public static void addInPlace(INDArray a, INDArray b) { add(a, b, a); }
}
