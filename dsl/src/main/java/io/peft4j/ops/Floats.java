package io.peft4j.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Direct access to the float32 storage of plain (c-ordered, non-view) ND4J arrays, for the
 * optimizer's fused elementwise loops: one pass instead of a dozen ND4J operations, each of which
 * costs tens to hundreds of microseconds of dispatch on small tensors.
 */
public final class Floats {
    private Floats() {}
    /** Tensors longer than this are processed in parallel chunks. */
    public static final int CHUNK = 1 << 18;

    /** True when every array is a float32, c-ordered, non-view array that owns its whole buffer. */
    public static boolean eligible(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c'
                || a.data().offset() != 0 || a.data().length() != a.length() || a.length() > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    /** The array's storage as a float buffer (absolute indexing), for an {@link #eligible} array. */
    public static FloatBuffer of(INDArray a) {
        return a.data().asNioFloat();
    }

    public static void copy(INDArray from, INDArray to) {
        FloatBuffer f = of(from), t = of(to);
        forChunks((int) from.length(), (a, b) -> { for (int k = a; k < b; k++) t.put(k, f.get(k)); return true; });
    }

    public interface Range { boolean run(int from, int to); }

    /**
     * Runs {@code body} over [0, n) in parts of at least {@link #CHUNK} elements on the engine's
     * thread pool ({@link io.peft4j.ops.Par}, the same threads as the model's loops; the common
     * fork-join pool has one worker on two cores); true when every part returned true.
     */
    public static boolean forChunks(int n, Range body) {
        if (n <= CHUNK) return body.run(0, n);
        java.util.concurrent.atomic.AtomicBoolean ok = new java.util.concurrent.atomic.AtomicBoolean(true);
        io.peft4j.ops.Par.forRange(n, CHUNK, (from, to) -> { if (!body.run(from, to)) ok.set(false); });
        return ok.get();
    }
}
