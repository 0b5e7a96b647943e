package io.peft4j.model.causal;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access to the native storage of a dense c-ordered float32 or float64 array, so the causal
 * layers' Java loops (masked softmax, rotary embeddings, activations) are written once for the
 * model's float type (FLOAT normally, DOUBLE for gradient checks). Values pass through double;
 * a float32 array stores them rounded to float.
 */
public final class Vals {
    private final FloatBuffer f;
    private final DoubleBuffer d;

    private Vals(FloatBuffer f, DoubleBuffer d) { this.f = f; this.d = d; }

    /** @throws IllegalArgumentException when the array is neither FLOAT nor DOUBLE or not dense from offset 0 */
    public static Vals of(INDArray a) {
        if (!dense(a)) throw new IllegalArgumentException("expected a dense c-ordered array at offset 0, got " + a.shapeInfoToString());
        if (a.dataType() == DataType.FLOAT) return new Vals(a.data().asNioFloat(), null);
        if (a.dataType() == DataType.DOUBLE) return new Vals(null, a.data().asNioDouble());
        throw new IllegalArgumentException("unsupported type " + a.dataType() + " (FLOAT or DOUBLE)");
    }

    /** True when {@code a} is stored densely in c order from the start of its buffer (the buffer may be longer). */
    public static boolean dense(INDArray a) {
        if (a.ordering() != 'c' || a.offset() != 0 || a.data().offset() != 0 || a.data().length() < a.length()
            || a.length() > Integer.MAX_VALUE) return false;
        long expect = 1;
        for (int i = a.rank() - 1; i >= 0; i--) {
            if (a.size(i) != 1 && a.stride(i) != expect) return false;
            expect *= a.size(i);
        }
        return true;
    }

    /** {@code a} itself when {@link #dense}, else a dense copy. */
    public static INDArray denseOrCopy(INDArray a) { return dense(a) ? a : a.dup('c'); }

    public double get(int i) { return f != null ? f.get(i) : d.get(i); }

    public void put(int i, double v) {
        if (f != null) f.put(i, (float) v);
        else d.put(i, v);
    }

    public boolean isFloat() { return f != null; }
}
