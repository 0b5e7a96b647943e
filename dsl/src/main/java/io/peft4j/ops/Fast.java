package io.peft4j.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Fused float32 element-wise kernels written as plain Java loops over the native storage of plain
 * ND4J arrays (c-ordered, offset 0, owning their whole buffer): one pass instead of several ND4J ops,
 * each of which costs tens to hundreds of microseconds of dispatch. Layers use these when every array
 * involved is {@link #plain}; otherwise (float64 gradient checks, views) they keep their ND4J code.
 * The optimizer's fused loops use the same access ({@link #fb}, {@link #forChunks}).
 */
public final class Fast {
    private Fast() {}

    /** Smallest number of elements worth handing to another thread. */
    public static final int GRAIN = 1 << 15;

    /**
     * {@code x} itself when it is {@link #plain} (a {@link Buf} array: a dense view of its storage) or
     * not a view; otherwise a copy ({@code cOrder}: also copied when not c-ordered, and copies are c-ordered).
     */
    public static INDArray unlessView(INDArray x, boolean cOrder) {
        if (plain(x)) return x;
        if (cOrder) return x.isView() || x.ordering() != 'c' ? x.dup('c') : x;
        return x.isView() ? x.dup() : x;
    }

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

    /** The array's storage as a float buffer (absolute indexing), for a {@link #plain} or {@link #dense} array. */
    public static FloatBuffer fb(INDArray a) { return a.data().asNioFloat(); }

    /** Tensors longer than this are processed in parallel chunks by {@link #forChunks}. */
    public static final int CHUNK = 1 << 18;

    /** to = from, element-wise, for {@link #plain} arrays of equal length. */
    public static void copy(INDArray from, INDArray to) {
        FloatBuffer f = fb(from), t = fb(to);
        forChunks((int) from.length(), (a, b) -> {
            float[] u = new float[Math.min(ARRAY_CHUNK, b - a)];
            for (int s = a; s < b; s += ARRAY_CHUNK) { int len = Math.min(ARRAY_CHUNK, b - s); f.get(s, u, 0, len); t.put(s, u, 0, len); }
            return true;
        });
    }

    /** A part [from, to) of a loop; false stops nothing but is reported by {@link #forChunks}. */
    public interface Range { boolean run(int from, int to); }

    /**
     * Runs {@code body} over [0, n) in parts of at least {@link #CHUNK} elements on the engine's
     * thread pool ({@link Par}, the same threads as the model's loops; the common fork-join pool has
     * one worker on two cores); true when every part returned true.
     */
    public static boolean forChunks(int n, Range body) {
        if (n <= CHUNK) return body.run(0, n);
        java.util.concurrent.atomic.AtomicBoolean ok = new java.util.concurrent.atomic.AtomicBoolean(true);
        Par.forRange(n, CHUNK, (from, to) -> { if (!body.run(from, to)) ok.set(false); });
        return ok.get();
    }

    /** out = a + b (out may alias a or b). */
    public static void add(INDArray a, INDArray b, INDArray out) {
        FloatBuffer x = fb(a), y = fb(b), o = fb(out);
        Par.forRange((int) a.length(), GRAIN, (from, to) -> {
            int cap = Math.min(ARRAY_CHUNK, to - from);
            float[] u = new float[cap], v = new float[cap];
            for (int s = from; s < to; s += ARRAY_CHUNK) {
                int len = Math.min(ARRAY_CHUNK, to - s);
                x.get(s, u, 0, len);
                y.get(s, v, 0, len);
                for (int i = 0; i < len; i++) u[i] += v[i];
                o.put(s, u, 0, len);
            }
        });
    }

    /** acc += a * m (element-wise). */
    public static void addProduct(INDArray acc, INDArray a, INDArray m) {
        FloatBuffer o = fb(acc), x = fb(a), y = fb(m);
        Par.forRange((int) acc.length(), GRAIN, (from, to) -> {
            int cap = Math.min(ARRAY_CHUNK, to - from);
            float[] u = new float[cap], v = new float[cap], w = new float[cap];
            for (int s = from; s < to; s += ARRAY_CHUNK) {
                int len = Math.min(ARRAY_CHUNK, to - s);
                o.get(s, u, 0, len);
                x.get(s, v, 0, len);
                y.get(s, w, 0, len);
                for (int i = 0; i < len; i++) u[i] += v[i] * w[i];
                o.put(s, u, 0, len);
            }
        });
    }

    /**
     * Elements per bulk copy between native storage and Java arrays in the element-wise loops: the
     * loops then run over arrays, which the JIT vectorises (per-element buffer access it does not).
     */
    public static final int ARRAY_CHUNK = 2048;

    /** a += b. */
    public static void addInPlace(INDArray a, INDArray b) { add(a, b, a); }
}
